package io.github.peft4j.tests.interop;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.core.methods.Adapter;
import io.github.peft4j.core.methods.Adapters;
import io.github.peft4j.core.methods.lora.Lora;
import io.github.peft4j.core.methods.lora.LoraAdapter;
import io.github.peft4j.core.methods.sparse.SparseAdapter;
import io.github.peft4j.core.methods.sparse.SparseRandom;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.models.Bert;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.ModelWriter;
import io.github.peft4j.core.models.Models;
import io.github.peft4j.core.models.WeightView;
import io.github.peft4j.core.train.BatchSource;
import io.github.peft4j.core.train.Trainer;
import io.github.peft4j.core.train.TrainingOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Adapters and merged models cross between peft4j and Hugging Face transformers 5 + PEFT 0.21 with
 * the same logits (max |diff| ≤ 1e-4) on the tiny seed-fixed BERT classifier fixture (2 layers,
 * hidden 32, 3 labels). Python runs as one long-lived process ({@link PythonPeer}); the tests skip
 * without the venv, except under CI=true where that fails.
 */
class PeftInteropTest {
    /** Attention value and attention output projections (not the FFN's output.dense): as peft4j's default targets. */
    static final String PEFT_TARGETS = ".*attention\\.(self\\.value|output\\.dense)$";
    static final double TOLERANCE = 1e-4;
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/bert_cls").toAbsolutePath();

    @TempDir
    static Path tmp;
    static PythonPeer python;
    static Path inputs;

    @BeforeAll
    static void start() throws Exception {
        python = PythonPeer.start();
        inputs = tmp.resolve("inputs.safetensors");
        SafeTensors.write(inputs, fixedInputs(), Map.of());
    }

    @AfterAll
    static void stop() {
        if (python != null) {
            python.close();
        }
    }

    @Test
    void loraTrainedByPeft4jLoadsInPeftWithEqualLogits() throws Exception {
        Path dir = tmp.resolve("peft4j-lora");
        try (Model model = Models.load(FIXTURE); Adapter lora = Lora.of(4).attach(model)) {
            train(lora);
            lora.save(dir);
            float[] ours = logits(model, lora);
            assertChanged(ours, logits(model, null));
            JsonNode reply = pythonLogits(dir, false, "py-lora.safetensors");
            assertEquals("LORA", reply.path("peft_type").asText());
            assertClose(ours, read(tmp.resolve("py-lora.safetensors")), "peft4j LoRA in PeftModel.from_pretrained");
        }
    }

    @Test
    void spartaExportedAsShiraLoadsInPeftAndRoundTripsInPeftSpartaFormat() throws Exception {
        Path shiraDir = tmp.resolve("peft4j-shira");
        Path spartaDir = tmp.resolve("peft4j-sparta");
        try (Model model = Models.load(FIXTURE)) {
            float[] ours;
            // density 0.1 of a 32x32 matrix = 102 entries; SHiRA needs r(m+n) = 128 at r=2: padded with zeros
            try (SparseAdapter sparta = SparseRandom.of(0.1).withSeed(11).attach(model)) {
                train(sparta);
                sparta.exportShira(shiraDir);
                sparta.save(spartaDir);
                ours = logits(model, sparta);
                assertChanged(ours, logits(model, null));
            }
            JsonNode reply = pythonLogits(shiraDir, false, "py-shira.safetensors");
            assertEquals("SHIRA", reply.path("peft_type").asText());
            assertClose(ours, read(tmp.resolve("py-shira.safetensors")), "peft4j SpaRTA as SHiRA in PeftModel.from_pretrained");

            try (Adapter reloaded = Adapters.load(spartaDir, model, true)) {
                assertInstanceOf(SparseAdapter.class, reloaded);
                assertEquals(0.0, maxAbsDiff(ours, logits(model, reloaded)), 1e-6, "peft-sparta format round trip");
            }
            try (Adapter fromShira = Adapters.load(shiraDir, model, true)) {
                assertClose(ours, logits(model, fromShira), "our SHiRA export read back by peft4j");
            }
        }
    }

    @Test
    void peftLoraAndShiraMadeInPythonLoadIntoPeft4jWithEqualLogits() throws Exception {
        for (String kind : new String[] {"lora", "shira"}) {
            Path dir = tmp.resolve("py-made-" + kind);
            Path expected = tmp.resolve("py-made-" + kind + ".safetensors");
            python.call(python.request("make_adapter").put("kind", kind).put("model", FIXTURE.toString())
                    .put("out", dir.toString()).put("r", 2).put("seed", 3).put("targets", PEFT_TARGETS)
                    .put("inputs", inputs.toString()).put("logits", expected.toString()));
            try (Model model = Models.load(FIXTURE); Adapter adapter = Adapters.load(dir, model, true)) {
                Class<?> expectedType = kind.equals("lora") ? LoraAdapter.class : SparseAdapter.class;
                assertTrue(expectedType.isInstance(adapter), kind + " loaded as " + adapter.getClass().getSimpleName());
                // 4 adapted modules in 2 layers: LoRA 2*(32+32)*4 = 512, SHiRA 4 * r(m+n) = 512; head 32*3+3 = 99
                assertEquals(512 + 99, adapter.count().trainable(), kind + " trainable count");
                float[] ours = logits(model, adapter);
                assertChanged(ours, logits(model, null));
                assertClose(read(expected), ours, "PEFT " + kind + " loaded by peft4j");
            }
        }
    }

    @Test
    void mergedModelSavedByPeft4jLoadsInTransformersWithEqualLogits() throws Exception {
        Path loraMerged = tmp.resolve("merged-lora");
        Path spartaMerged = tmp.resolve("merged-sparta");
        float[] loraLogits;
        float[] spartaLogits;
        try (Model model = Models.load(FIXTURE); Adapter lora = Lora.of(4).attach(model)) {
            train(lora);
            loraLogits = logits(model, lora);
            lora.merge();
            ModelWriter.save(model, loraMerged);
            assertClose(loraLogits, logits(model, null), "merged in place");
        }
        try (Model model = Models.load(FIXTURE); SparseAdapter sparta = SparseRandom.of(0.05).attach(model)) {
            train(sparta);
            spartaLogits = logits(model, sparta);
            sparta.merge();
            ModelWriter.save(model, spartaMerged);
        }
        try (Model reloaded = Models.load(loraMerged)) {
            assertClose(loraLogits, logits(reloaded, null), "merged LoRA folder read back by peft4j");
        }
        pythonLogits(null, false, "py-merged-lora.safetensors", loraMerged);
        assertClose(loraLogits, read(tmp.resolve("py-merged-lora.safetensors")), "merged LoRA model in transformers");
        pythonLogits(null, false, "py-merged-sparta.safetensors", spartaMerged);
        assertClose(spartaLogits, read(tmp.resolve("py-merged-sparta.safetensors")), "merged SpaRTA model in transformers");
    }

    /**
     * MiniLM-style checkpoint: a bare BertModel ({@code encoder.layer...}, no pooler) made into a
     * classifier with a fresh pooler. Inside BertForSequenceClassification the body is under
     * {@code bert.}, so PEFT files and the merged folder must use those names.
     */
    @Test
    void adaptersOnABareEncoderCheckpointUseTransformersModuleNames() throws Exception {
        Path encoder = Path.of("src/test/resources/fixtures/bert_encoder").toAbsolutePath();
        Path loraDir = tmp.resolve("bare-lora");
        Path shiraDir = tmp.resolve("bare-shira");
        Path merged = tmp.resolve("bare-merged");
        float[] loraLogits;
        float[] spartaLogits;
        try (Bert bare = (Bert) Models.load(encoder)) {
            Bert model = bare.forClassification(2, 7, Bert.Pooling.POOLER);
            assertTrue(model.headParameters().contains("pooler.dense.weight"), "fresh pooler is part of the head");
            try (Adapter lora = Lora.of(4).attach(model)) {
                train(lora);
                lora.save(loraDir);
                loraLogits = logits(model, lora);
                assertChanged(loraLogits, logits(model, null));
            }
            try (SparseAdapter sparta = SparseRandom.of(0.1).attach(model)) {
                train(sparta);
                sparta.exportShira(shiraDir);
                spartaLogits = logits(model, sparta);
                sparta.merge();
                ModelWriter.save(model, merged);
            }
        }
        pythonLogits(loraDir, false, "bare-lora.safetensors", encoder, 2);
        assertClose(loraLogits, read(tmp.resolve("bare-lora.safetensors")), "bare-encoder LoRA in PEFT");
        pythonLogits(shiraDir, false, "bare-shira.safetensors", encoder, 2);
        assertClose(spartaLogits, read(tmp.resolve("bare-shira.safetensors")), "bare-encoder SpaRTA as SHiRA in PEFT");
        pythonLogits(null, false, "bare-merged.safetensors", merged);
        assertClose(spartaLogits, read(tmp.resolve("bare-merged.safetensors")), "bare-encoder merged SpaRTA in transformers");
    }

    // ---- helpers ----

    private JsonNode pythonLogits(Path adapter, boolean merge, String out) throws Exception {
        return pythonLogits(adapter, merge, out, FIXTURE);
    }

    private JsonNode pythonLogits(Path adapter, boolean merge, String out, Path model) throws Exception {
        return pythonLogits(adapter, merge, out, model, 0);
    }

    /** Logits computed by transformers (+ PEFT when {@code adapter} is set); {@code numLabels} 0 = the config's. */
    private JsonNode pythonLogits(Path adapter, boolean merge, String out, Path model, int numLabels) throws Exception {
        var req = python.request("logits").put("model", model.toString()).put("inputs", inputs.toString())
                .put("out", tmp.resolve(out).toString()).put("merge", merge);
        if (numLabels > 0) {
            req.put("num_labels", numLabels);
        }
        if (adapter != null) {
            req.put("adapter", adapter.toString());
        }
        return python.call(req);
    }

    /** A few real optimizer steps (large learning rate) so that every adapter tensor moves away from its init. */
    static void train(Adapter adapter) {
        Map<String, HostTensor> data = fixedInputs();
        long labels = adapter.model().numLabels();
        BatchSource source = new BatchSource() {
            @Override
            public int batchesPerEpoch() {
                return 1;
            }

            @Override
            public Batch batch(int epoch, int index, NDManager scope) {
                return new Batch(data.get("input_ids").toNDArray(scope), data.get("attention_mask").toNDArray(scope),
                        data.get("token_type_ids").toNDArray(scope), scope.create(new long[] {0, 1 % labels, 2 % labels}));
            }
        };
        new Trainer(TrainingOptions.defaults().withSteps(4).withWarmup(0).withLearningRate(5e-2).withLogEvery(100))
                .train(adapter, source);
    }

    /** Logits on the fixed inputs, through the adapter (null: the model's current weights). */
    static float[] logits(Model model, Adapter adapter) {
        Map<String, HostTensor> data = fixedInputs();
        try (NDManager scope = model.parameters().manager().newSubManager()) {
            Batch batch = new Batch(data.get("input_ids").toNDArray(scope), data.get("attention_mask").toNDArray(scope),
                    data.get("token_type_ids").toNDArray(scope), null);
            WeightView view = adapter == null ? WeightView.of(model.parameters()) : adapter.view(scope, false);
            return model.forward(batch, view, false, scope).logits().toFloatArray();
        }
    }

    /** Three sequences of 10 tokens from the fixture's 100-word vocabulary; the second is right-padded. */
    static Map<String, HostTensor> fixedInputs() {
        Random r = new Random(5);
        int b = 3;
        int t = 10;
        long[] ids = new long[b * t];
        long[] mask = new long[b * t];
        for (int i = 0; i < b * t; i++) {
            ids[i] = 1 + r.nextInt(99);
            mask[i] = 1;
        }
        for (int j = 7; j < t; j++) {
            ids[t + j] = 0;
            mask[t + j] = 0;
        }
        Map<String, HostTensor> m = new LinkedHashMap<>();
        m.put("input_ids", HostTensor.i64(new long[] {b, t}, ids));
        m.put("attention_mask", HostTensor.i64(new long[] {b, t}, mask));
        m.put("token_type_ids", HostTensor.i64(new long[] {b, t}, new long[b * t]));
        return m;
    }

    static float[] read(Path file) {
        return SafeTensors.read(file).get("logits").floats();
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": number of logits");
        double d = maxAbsDiff(expected, actual);
        System.out.printf("interop %-55s max |diff| %.2e%n", what, d);
        assertTrue(d <= TOLERANCE, what + ": max |diff| " + d + " > " + TOLERANCE);
    }

    /** Guards against vacuous passes: the adapter must change the model's output visibly. */
    static void assertChanged(float[] adapted, float[] base) {
        double d = maxAbsDiff(adapted, base);
        assertTrue(d > 1e-3, "the adapter changes the logits by only " + d + "; the comparison would prove nothing");
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
