package io.github.peft4j.core.io;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.models.Generator;
import io.github.peft4j.core.models.Models;
import io.github.peft4j.core.models.Task;
import io.github.peft4j.core.models.TransformerModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Models.fromHub: a tiny GPT-2 served by the fake hub is downloaded into the HF cache and loaded. */
class ModelsFromHubTest {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    static final String CONFIG = "{\"model_type\": \"gpt2\", \"vocab_size\": 8, \"n_embd\": 4, \"n_head\": 1, \"n_layer\": 1,"
            + " \"n_positions\": 16, \"eos_token_id\": 7}";

    @TempDir
    Path tmp;
    FakeHub server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void fromHubDownloadsAndLoadsAModel() throws Exception {
        Random random = new Random(5);
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        put(tensors, "transformer.wte.weight", random, 8, 4);
        put(tensors, "transformer.wpe.weight", random, 16, 4);
        for (String norm : new String[] {"transformer.h.0.ln_1", "transformer.h.0.ln_2", "transformer.ln_f"}) {
            put(tensors, norm + ".weight", random, 4);
            put(tensors, norm + ".bias", random, 4);
        }
        put(tensors, "transformer.h.0.attn.c_attn.weight", random, 4, 12);
        put(tensors, "transformer.h.0.attn.c_attn.bias", random, 12);
        put(tensors, "transformer.h.0.attn.c_proj.weight", random, 4, 4);
        put(tensors, "transformer.h.0.attn.c_proj.bias", random, 4);
        put(tensors, "transformer.h.0.mlp.c_fc.weight", random, 4, 16);
        put(tensors, "transformer.h.0.mlp.c_fc.bias", random, 16);
        put(tensors, "transformer.h.0.mlp.c_proj.weight", random, 16, 4);
        put(tensors, "transformer.h.0.mlp.c_proj.bias", random, 4);
        Path st = tmp.resolve("w.safetensors");
        SafeTensors.write(st, tensors, Map.of("format", "pt"));

        server = new FakeHub();
        server.add("org/tiny-gpt2", COMMIT).file("config.json", CONFIG).file("model.safetensors", Files.readAllBytes(st))
                .file("tokenizer.json", "{\"model\": {\"type\": \"BPE\"}}");
        Hub hub = Hub.builder().endpoint(server.endpoint()).cacheDir(tmp.resolve("hub")).token(null).offline(false)
                .progress(new PrintStream(OutputStream.nullOutputStream())).build();

        try (TransformerModel model = Models.fromHub(hub, "org/tiny-gpt2", "main"); NDManager m = NDManager.newBaseManager()) {
            assertEquals("org/tiny-gpt2", model.modelId());
            assertEquals("gpt2", model.architecture());
            assertEquals(Task.CAUSAL_LM, model.task());
            assertTrue(model.tokenizerFile().orElseThrow().endsWith("tokenizer.json"));
            assertArrayEquals(tensors.get("transformer.h.0.attn.c_attn.weight").floats(),
                    model.parameters().get("transformer.h.0.attn.c_attn.weight").toFloatArray(), 0f);
            long[] out = Generator.greedy(model, new long[] {1, 2, 3}, 5);
            assertTrue(out.length >= 4 && out.length <= 8, "prompt + 1..5 new tokens");
            for (long id : out) {
                assertTrue(id >= 0 && id < 8);
            }
        }
    }

    private static void put(Map<String, HostTensor> tensors, String name, Random random, long... shape) {
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian() * 0.5f;
        }
        tensors.put(name, HostTensor.f32(shape, values));
    }
}
