package io.github.peft4j.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmbeddedMiniLmTest {
    /** Shared by the tests that only read the converted folder, so the conversion runs once. */
    @TempDir
    static Path sharedHome;

    @Test
    void convertsOnceIntoAnHfFolderAndReusesIt() throws Exception {
        Path home = sharedHome;
        Path folder = EmbeddedMiniLm.folder(home);
        assertEquals(home.resolve("models").resolve("sentence-transformers--all-MiniLM-L6-v2").toAbsolutePath(), folder);

        JsonNode config = Json.readTree(folder.resolve("config.json"));
        assertEquals("bert", config.get("model_type").asText());
        assertEquals(30522, config.get("vocab_size").asInt());
        assertEquals(384, config.get("hidden_size").asInt());
        assertEquals(6, config.get("num_hidden_layers").asInt());
        assertEquals(12, config.get("num_attention_heads").asInt());
        assertEquals(1536, config.get("intermediate_size").asInt());
        assertEquals(512, config.get("max_position_embeddings").asInt());
        assertEquals(2, config.get("type_vocab_size").asInt());
        assertEquals(1e-12, config.get("layer_norm_eps").asDouble(), 0);

        SafeTensors.Header header = SafeTensors.header(folder.resolve("model.safetensors"));
        assertEquals(101, header.entries().size());
        assertEquals("pt", header.metadata().get("format"));
        assertArrayEquals(new long[] {384, 384}, header.entries().get("encoder.layer.4.attention.output.dense.weight").shape());
        assertArrayEquals(new long[] {1536, 384}, header.entries().get("encoder.layer.0.intermediate.dense.weight").shape());
        long params = header.entries().values().stream().mapToLong(SafeTensors.Entry::numel).sum();
        assertEquals(22_565_376L, params); // all-MiniLM-L6-v2 without its unused pooler
        assertTrue(header.entries().values().stream().allMatch(e -> e.dtype().equals("F32")));

        assertEquals(384, Json.readTree(folder.resolve("1_Pooling/config.json")).get("word_embedding_dimension").asInt());
        assertTrue(Json.readTree(folder.resolve("1_Pooling/config.json")).get("pooling_mode_mean_tokens").asBoolean());
        assertEquals("BertTokenizer", Json.readTree(folder.resolve("tokenizer_config.json")).get("tokenizer_class").asText());
        assertEquals(3, Json.mapper().readTree(folder.resolve("modules.json").toFile()).size());

        JsonNode marker = Json.readTree(folder.resolve(EmbeddedMiniLm.MARKER_FILE));
        assertEquals("1.19.0-beta29", marker.get("version").asText());
        assertEquals(64, marker.get("onnx_sha256").asText().length());
        assertEquals(Files.size(folder.resolve("tokenizer.json")), 711661);

        // Second call: no conversion, files untouched, fast.
        FileTime written = Files.getLastModifiedTime(folder.resolve("model.safetensors"));
        long t0 = System.nanoTime();
        assertEquals(folder, EmbeddedMiniLm.folder(home));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 500, "reuse took " + ms + " ms");
        assertEquals(written, Files.getLastModifiedTime(folder.resolve("model.safetensors")));
        try (var siblings = Files.list(folder.getParent())) {
            assertEquals(List.of(folder), siblings.map(Path::toAbsolutePath).toList()); // no temp folders left behind
        }
    }

    @Test
    void staleOrBrokenFolderIsRebuiltWhole(@TempDir Path home) throws IOException {
        Path folder = home.resolve("models").resolve(EmbeddedMiniLm.FOLDER_NAME);
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("config.json"), "{}");
        Files.writeString(folder.resolve("model.safetensors"), "half a file");
        Files.writeString(folder.resolve("tokenizer.json"), "{}");
        Files.writeString(folder.resolve(EmbeddedMiniLm.MARKER_FILE), "{\"format\": 1, \"version\": \"0.0.1-old\"}");
        Files.writeString(folder.resolve("leftover.txt"), "x");

        Path rebuilt = EmbeddedMiniLm.folder(home);
        assertTrue(Files.isRegularFile(rebuilt.resolve("1_Pooling/config.json")));
        assertEquals(101, SafeTensors.header(rebuilt.resolve("model.safetensors")).entries().size());
        assertFalse(Files.exists(rebuilt.resolve("leftover.txt")));
        assertTrue(EmbeddedMiniLm.isComplete(rebuilt, EmbeddedMiniLm.artifactVersion()));
    }

    @Test
    void weightsEqualTheOnnxInitializersTransposed() throws IOException {
        Path folder = EmbeddedMiniLm.folder(sharedHome);
        Map<String, HostTensor> w = SafeTensors.read(folder.resolve("model.safetensors"));
        byte[] onnx;
        try (var in = getClass().getClassLoader().getResourceAsStream(EmbeddedMiniLm.ONNX_RESOURCE)) {
            onnx = in.readAllBytes();
        }
        OnnxGraph g = OnnxGraph.parse(onnx, Path.of("m.onnx"));
        // layer 5 key: the MatMul node /encoder/layer.5/attention/self/key/MatMul reads onnx::MatMul_853
        float[] key = g.initializers().get("onnx::MatMul_853").floats();
        float[] hf = w.get("encoder.layer.5.attention.self.key.weight").floats();
        for (int out = 0; out < 384; out += 37) {
            for (int in = 0; in < 384; in += 41) {
                assertEquals(key[in * 384 + out], hf[out * 384 + in], 0f);
            }
        }
        assertArrayEquals(g.initializers().get("embeddings.LayerNorm.bias").floats(), w.get("embeddings.LayerNorm.bias").floats());
    }

    @Test
    void concurrentCallersGetOneFolder(@TempDir Path home) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Path>> calls = List.of(pool.submit(() -> EmbeddedMiniLm.folder(home)),
                    pool.submit(() -> EmbeddedMiniLm.folder(home)), pool.submit(() -> EmbeddedMiniLm.folder(home)));
            Path first = calls.get(0).get();
            for (Future<Path> f : calls) {
                assertEquals(first, f.get());
            }
            assertEquals(101, SafeTensors.header(first.resolve("model.safetensors")).entries().size());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void firstPublisherWinsWhenTwoJvmsRace(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("model");
        Path mine = Files.createDirectory(dir.resolve("mine"));
        Path theirs = Files.createDirectory(dir.resolve("theirs"));
        Files.writeString(mine.resolve("config.json"), "mine");
        Files.writeString(theirs.resolve("config.json"), "theirs");

        assertTrue(EmbeddedMiniLm.publish(theirs, target));
        assertFalse(EmbeddedMiniLm.publish(mine, target)); // the loser keeps its temp folder to delete
        assertEquals("theirs", Files.readString(target.resolve("config.json")));
        assertTrue(Files.exists(mine.resolve("config.json")));
    }
}
