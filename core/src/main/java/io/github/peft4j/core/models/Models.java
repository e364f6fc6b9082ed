package io.github.peft4j.core.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.io.EmbeddedMiniLm;
import io.github.peft4j.core.io.Hub;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.core.tensor.Devices;
import io.github.peft4j.core.tensor.ParameterStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Loads transformers in Hugging Face layout: {@code config.json} plus {@code model.safetensors} or
 * a sharded {@code model.safetensors.index.json}. Every tensor the config implies must be present
 * with the implied shape; tensors the architecture does not use (attention-mask buffers, MLM heads)
 * are skipped. Pickled {@code pytorch_model.bin} files are refused: they can run code on load.
 */
public final class Models {
    private Models() {}

    /** model_type values this library runs, and the class that runs them. */
    public static final List<String> SUPPORTED = List.of("bert", "llama", "qwen2", "mistral", "gemma", "granite", "gpt2", "gpt_neox");

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * all-MiniLM-L6-v2 (22.7M parameters, BERT, 384 hidden, 6 layers), converted from the ONNX
     * file inside the langchain4j jar on first use: no network. Mean pooling, as it was trained.
     */
    public static TransformerModel miniLM() {
        return load(EmbeddedMiniLm.folder(), EmbeddedMiniLm.MODEL_ID);
    }

    /** A hub model at branch main (downloaded once into the HF cache, honouring HF_TOKEN, HF_HUB_OFFLINE, HF_HOME). */
    public static TransformerModel fromHub(String repoId) {
        return fromHub(repoId, Hub.DEFAULT_REVISION);
    }

    /** A hub model at {@code revision} (branch, tag or commit). */
    public static TransformerModel fromHub(String repoId, String revision) {
        return load(Hub.download(repoId, revision), repoId);
    }

    /** A hub model through a configured {@link Hub} (own endpoint, cache folder, token or offline mode). */
    public static TransformerModel fromHub(Hub hub, String repoId, String revision) {
        return load(hub.snapshot(repoId, revision), repoId);
    }

    /** Loads the model in {@code folder}; its id is the folder path. */
    public static TransformerModel load(Path folder) {
        return load(folder, folder.toString());
    }

    /** Loads the model in {@code folder} under the given id (e.g. the hub repo it came from). */
    public static TransformerModel load(Path folder, String modelId) {
        if (!Files.isDirectory(folder)) {
            throw new FileFormatException(folder, "not a folder; pass the folder holding config.json and model.safetensors");
        }
        ModelConfig config = ModelConfig.read(folder.resolve("config.json"));
        String type = config.optString("model_type").orElseThrow(() -> config.invalid(
                "field 'model_type' is missing; it says which architecture to run (supported: " + String.join(", ", SUPPORTED) + ")"));
        if (!SUPPORTED.contains(type)) {
            throw config.invalid("model_type '" + type + "' is not supported; supported: " + String.join(", ", SUPPORTED)
                    + ". Pick a checkpoint of one of these architectures.");
        }
        Map<String, Path> shardOf = weightFiles(folder);
        Map<String, Shape> found = new LinkedHashMap<>();
        for (Path shard : new LinkedHashSet<>(shardOf.values())) {
            SafeTensors.header(shard).entries().forEach((name, e) -> found.put(name, new Shape(e.shape())));
        }
        Map<String, Shape> expected = expectedShapes(config, found.keySet());
        Path weightsName = shardOf.isEmpty() ? folder : shardOf.values().iterator().next();
        check(expected, found, shardOf, weightsName, config);

        ParameterStore store = new ParameterStore(NDManager.newBaseManager(Devices.choose()));
        try {
            Map<String, NDArray> loaded = new LinkedHashMap<>();
            for (Path shard : new LinkedHashSet<>(shardOf.values())) {
                // buffers and heads this architecture does not use (causal-mask buffers, MLM heads) are never read
                Map<String, NDArray> tensors = SafeTensors.load(shard, store.manager(), expected::containsKey);
                for (Map.Entry<String, NDArray> t : tensors.entrySet()) {
                    if (t.getValue().getDataType() != DataType.FLOAT32) {
                        throw new FileFormatException(shard, "tensor '" + t.getKey() + "' has dtype " + t.getValue().getDataType()
                                + "; weights must be floating point (F32, F16 or BF16)");
                    } else {
                        loaded.put(t.getKey(), t.getValue());
                    }
                }
            }
            for (String name : expected.keySet()) { // checkpoint-independent order: stable fingerprints
                store.put(name, loaded.get(name));
            }
            Path tokenizer = folder.resolve("tokenizer.json");
            boolean sentenceTransformers = Files.exists(folder.resolve("modules.json"))
                    || Files.exists(folder.resolve("config_sentence_transformers.json"))
                    || modelId.startsWith("sentence-transformers/");
            TransformerModel.Source source = new TransformerModel.Source(config, store, modelId, Files.isRegularFile(tokenizer) ? tokenizer : null);
            switch (type) {
                case "bert":
                    return Bert.create(source, sentenceTransformers);
                case "gpt2":
                    return Gpt2.create(source);
                case "gpt_neox":
                    return GptNeoX.create(source);
                default:
                    return Llama.create(source);
            }
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** Shapes the config implies, per architecture; {@code present} decides optional heads and name prefixes. */
    static Map<String, Shape> expectedShapes(ModelConfig config, Set<String> present) {
        switch (config.modelType()) {
            case "bert":
                return Bert.expectedShapes(config, present);
            case "gpt2":
                return Gpt2.expectedShapes(config, present);
            case "gpt_neox":
                return GptNeoX.expectedShapes(config, present);
            default:
                return Llama.expectedShapes(config, present);
        }
    }

    private static void check(Map<String, Shape> expected, Map<String, Shape> found, Map<String, Path> shardOf, Path weights, ModelConfig config) {
        for (Map.Entry<String, Shape> e : expected.entrySet()) {
            Shape actual = found.get(e.getKey());
            if (actual == null) {
                throw new FileFormatException(weights, "tensor '" + e.getKey() + "' " + e.getValue() + " is missing, but " + config.file()
                        + " (model_type '" + config.modelType() + "') requires it. The weights hold " + found.size() + " tensors, e.g. "
                        + String.join(", ", found.keySet().stream().limit(5).toList()) + ". Are config.json and the weights from the same model?");
            }
            if (!actual.equals(e.getValue())) {
                throw new FileFormatException(shardOf.get(e.getKey()), "tensor '" + e.getKey() + "' has shape " + actual + " but "
                        + config.file() + " implies " + e.getValue() + ". The config does not match these weights: use the config.json saved with them.");
            }
        }
    }

    /** Weight file of every tensor name (one file, or the shards an index names). */
    private static Map<String, Path> weightFiles(Path folder) {
        Path single = folder.resolve("model.safetensors");
        Path index = folder.resolve("model.safetensors.index.json");
        Map<String, Path> out = new LinkedHashMap<>();
        if (Files.isRegularFile(single)) {
            SafeTensors.header(single).entries().keySet().forEach(n -> out.put(n, single));
            return out;
        }
        if (Files.isRegularFile(index)) {
            JsonNode map;
            try {
                map = JSON.readTree(Files.readString(index)).get("weight_map");
            } catch (IOException e) {
                throw new FileFormatException(index, "not valid JSON: " + e.getMessage(), e);
            }
            if (map == null || !map.isObject()) {
                throw new FileFormatException(index, "has no 'weight_map' object mapping tensor names to shard files");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                Path shard = folder.resolve(e.getValue().asText()).normalize();
                if (!shard.startsWith(folder.normalize()) || !Files.isRegularFile(shard)) {
                    throw new FileFormatException(index, "names shard '" + e.getValue().asText() + "' for tensor '" + e.getKey()
                            + "', which is not a file in " + folder + ". Download all shards.");
                }
                out.put(e.getKey(), shard);
            }
            return out;
        }
        String[] pickles = listing(folder).filter(n -> n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".ckpt"))
                .toArray(String[]::new);
        if (pickles.length > 0) {
            throw new FileFormatException(folder, "holds only pickled PyTorch weights " + Arrays.toString(pickles)
                    + ", which peft4j does not load (unpickling can run arbitrary code). Convert once with Python: "
                    + "AutoModel.from_pretrained(folder).save_pretrained(folder, safe_serialization=True), or use the hub's safetensors revision.");
        }
        throw new FileFormatException(folder, "has no model.safetensors or model.safetensors.index.json (files: "
                + String.join(", ", listing(folder).toList()) + ")");
    }

    private static Stream<String> listing(Path folder) {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList().stream();
        } catch (IOException e) {
            throw new FileFormatException(folder, "cannot list: " + e.getMessage(), e);
        }
    }

    /** {@link Model#forClassification} for callers holding the interface type. */
    public static Model forClassification(Model model, int numLabels, long seed) {
        if (model == null) {
            throw new InvalidArgumentException("model is null");
        }
        return model.forClassification(numLabels, seed);
    }
}
