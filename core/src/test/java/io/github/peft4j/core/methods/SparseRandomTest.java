package io.github.peft4j.core.methods;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.peft4j.core.AdapterMismatchException;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.Peft4jException;
import io.github.peft4j.core.methods.sparse.BudgetMode;
import io.github.peft4j.core.methods.sparse.SparseAdapter;
import io.github.peft4j.core.methods.sparse.SparseRandom;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.models.WeightView;
import io.github.peft4j.core.testing.ArrayBatches;
import io.github.peft4j.core.testing.Fixtures;
import io.github.peft4j.core.testing.TinyModel;
import io.github.peft4j.core.train.Losses;
import io.github.peft4j.core.train.Trainer;
import io.github.peft4j.core.train.TrainingOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SparseRandomTest {
    static final String VALUE = "encoder.layer.0.attention.self.value.weight";
    static final String OUTPUT = "encoder.layer.0.attention.output.dense.weight";
    static TinyModel bert;
    static ArrayBatches data;

    @BeforeAll
    static void setUp() {
        bert = TinyModel.transformer(TinyModel.Kind.BERT, 50, 16, 32, 3, 7);
        data = Fixtures.randomTokens(32, 6, 50, 3, 8, 11);
    }

    @AfterAll
    static void tearDown() {
        bert.close();
    }

    @Test
    void defaultTargetsAreValueAndOutputProjectionsWithExactPerTensorBudget() {
        try (SparseAdapter a = SparseRandom.of(0.1).attach(bert)) {
            assertEquals(List.of(VALUE, OUTPUT), a.adaptedNames());
            for (SparseAdapter.Support s : a.supports().values()) {
                assertEquals(Math.round(0.1 * 256), s.size());   // 26 of 16x16
                long[] idx = s.indices().toLongArray();
                for (int i = 1; i < idx.length; i++) {
                    assertTrue(idx[i] > idx[i - 1], "ascending and distinct");
                }
            }
            // 2 x 26 deltas + classifier 3x16 + 3
            assertEquals(52 + 51, a.count().trainable());
            assertEquals((52 + 51) * 8L, a.count().optimizerStateBytes());
        }
    }

    @Test
    void deltaGradientEqualsDenseGradientGatheredAtSupport() {
        try (SparseAdapter a = SparseRandom.of(0.2).attach(bert); NDManager scope = NDManager.newBaseManager()) {
            Batch b = data.batch(0, 0, scope);
            float[] sparseGrad;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = Losses.classification(bert.forward(b, a.view(scope, true), true, scope).logits(), b.labels());
                gc.backward(loss);
            }
            NDArray delta = a.supports().get(VALUE).delta();
            try (NDArray g = delta.getGradient()) {
                sparseGrad = g.toFloatArray();
            }
            // dense reference: W itself trainable (a copy), everything else identical
            NDArray dense = bert.parameters().get(VALUE).duplicate();
            dense.attach(scope);
            dense.setRequiresGradient(true);
            WeightView sparseView = a.view(scope, false);
            WeightView denseView = n -> n.equals(VALUE) ? dense : sparseView.get(n);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = Losses.classification(bert.forward(b, denseView, true, scope).logits(), b.labels());
                gc.backward(loss);
            }
            float[] denseGrad = dense.getGradient().toFloatArray();
            long[] idx = a.supports().get(VALUE).indices().toLongArray();
            float maxDiff = 0;
            float maxAbs = 0;
            for (int i = 0; i < idx.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(sparseGrad[i] - denseGrad[(int) idx[i]]));
                maxAbs = Math.max(maxAbs, Math.abs(sparseGrad[i]));
            }
            assertTrue(maxAbs > 1e-4, "gradient is not trivially zero: " + maxAbs);
            assertTrue(maxDiff < 1e-6, "max |delta grad - dense grad[idx]| = " + maxDiff);
        }
    }

    @Test
    void trainingChangesExactlyTheSupportAndNeverTheBase() {
        float[] baseValue = Fixtures.param(bert, VALUE);
        float[] baseOutput = Fixtures.param(bert, OUTPUT);
        TrainingOptions opts = TrainingOptions.defaults().withSteps(8).withWarmup(0).withLearningRate(1e-2);
        float[] deltasRun1;
        try (SparseAdapter a = SparseRandom.of(0.15).withSeed(3).attach(bert)) {
            new Trainer(opts).train(a, data);
            assertArrayEquals(baseValue, Fixtures.param(bert, VALUE), 0f, "base bit-identical after training");
            assertArrayEquals(baseOutput, Fixtures.param(bert, OUTPUT), 0f);
            deltasRun1 = a.supports().get(VALUE).delta().toFloatArray();
            a.merge();
            float[] merged = Fixtures.param(bert, VALUE);
            long[] idx = a.supports().get(VALUE).indices().toLongArray();
            java.util.Set<Long> support = new java.util.HashSet<>();
            for (long i : idx) {
                support.add(i);
            }
            int changed = 0;
            for (int i = 0; i < merged.length; i++) {
                if (merged[i] != baseValue[i]) {
                    assertTrue(support.contains((long) i), "entry " + i + " outside the support changed");
                    changed++;
                }
            }
            assertEquals(idx.length, changed, "every support entry moved after 8 AdamW steps");
            a.unmerge();
            assertArrayEquals(baseValue, Fixtures.param(bert, VALUE), 0f, "unmerge restores bit-exactly");
        }
        try (SparseAdapter again = SparseRandom.of(0.15).withSeed(3).attach(bert)) {
            new Trainer(opts).train(again, data);
            assertArrayEquals(deltasRun1, again.supports().get(VALUE).delta().toFloatArray(), 0f, "same seed, same deltas");
        }
    }

    @Test
    void gpt2DefaultsTargetFusedAttentionAndProjectionAndMergeMatches() {
        try (TinyModel gpt2 = TinyModel.transformer(TinyModel.Kind.GPT2, 50, 16, 32, 3, 7);
             SparseAdapter a = SparseRandom.of(0.25).attach(gpt2)) {
            assertEquals(List.of("h.0.attn.c_attn.weight", "h.0.attn.c_proj.weight"), a.adaptedNames());
            new Trainer(TrainingOptions.defaults().withSteps(3).withWarmup(0).withLearningRate(1e-2)).train(a, data);
            float[] unmerged = Fixtures.logits(gpt2, data, s -> a.view(s, false));
            a.merge();
            assertTrue(a.merged());
            assertTrue(Fixtures.maxAbsDiff(unmerged, Fixtures.logits(gpt2, data, s -> WeightView.of(gpt2.parameters()))) < 1e-6);
            assertThrows(InvalidArgumentException.class, () -> a.view(null, true), "merged adapters cannot train");
        }
    }

    @Test
    void seedsDetermineSupport() {
        try (SparseAdapter a = SparseRandom.of(0.1).withSeed(1).attach(bert);
             SparseAdapter b = SparseRandom.of(0.1).withSeed(1).attach(bert);
             SparseAdapter c = SparseRandom.of(0.1).withSeed(2).attach(bert)) {
            long[] ia = a.supports().get(VALUE).indices().toLongArray();
            assertArrayEquals(ia, b.supports().get(VALUE).indices().toLongArray());
            assertFalse(Arrays.equals(ia, c.supports().get(VALUE).indices().toLongArray()));
            assertFalse(Arrays.equals(ia, a.supports().get(OUTPUT).indices().toLongArray()), "tensors get different supports");
        }
    }

    @Test
    void globalBudgetKeepsExpectedCountWithinFewSigma() {
        long body = Targets.bodyCount(bert);   // everything except the classifier
        double density = 0.05;
        try (SparseAdapter a = SparseRandom.of(density).withMode(BudgetMode.GLOBAL).withSeed(9).attach(bert)) {
            long k = a.supports().values().stream().mapToLong(SparseAdapter.Support::size).sum();
            double p = density * body / 512;
            double expected = p * 512;
            double sigma = Math.sqrt(512 * p * (1 - p));
            assertEquals(density * body, expected, 1e-9);
            assertTrue(Math.abs(k - expected) < 4 * sigma, "k=" + k + " expected " + expected + " +- " + sigma);
        }
        InvalidArgumentException tooMuch = assertThrows(InvalidArgumentException.class,
                () -> SparseRandom.of(0.9).withMode(BudgetMode.GLOBAL).attach(bert));
        assertTrue(tooMuch.getMessage().contains("Lower the density"), tooMuch.getMessage());
    }

    @Test
    void badInputsAreClearErrors() {
        for (double d : new double[] {0, -0.1, 1.5, Double.NaN}) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> SparseRandom.of(d));
            assertTrue(e.getMessage().contains("density must be in (0, 1]"), e.getMessage());
        }
        Peft4jException e = assertThrows(InvalidArgumentException.class,
                () -> SparseRandom.of(0.1).withTargets(List.of("self_attn\\.v_proj")).attach(bert));
        assertTrue(e.getMessage().contains("matches no 2-D weight") && e.getMessage().contains(VALUE), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> SparseRandom.of(0.1).withDropout(1f));
    }

    @Test
    void saveLoadGivesIdenticalOutputsAndRejectsOtherShapes(@TempDir Path tmp) {
        Path dir = tmp.resolve("sparta");
        float[] trained;
        try (SparseAdapter a = SparseRandom.of(0.2).attach(bert)) {
            new Trainer(TrainingOptions.defaults().withSteps(4).withWarmup(0).withLearningRate(1e-2)).train(a, data);
            trained = Fixtures.logits(bert, data, s -> a.view(s, false));
            a.save(dir);
        }
        Map<String, io.github.peft4j.core.io.HostTensor> file = io.github.peft4j.core.io.SafeTensors.read(dir.resolve("sparse_deltas.safetensors"));
        assertArrayEquals(new long[] {51, 2}, file.get("indices." + VALUE).shape());
        assertArrayEquals(new long[] {51}, file.get("deltas." + VALUE).shape());
        // peft-sparta layout: every parameter present, untouched ones empty, the head a full-support delta
        assertEquals(2 * bert.parameters().names().size(), file.size());
        assertArrayEquals(new long[] {0, 2}, file.get("indices.encoder.layer.0.attention.self.query.weight").shape());
        assertArrayEquals(new long[] {48, 2}, file.get("indices.classifier.weight").shape());
        assertArrayEquals(new long[] {3, 1}, file.get("indices.classifier.bias").shape());
        try (Adapter loaded = Adapters.load(dir, bert, true)) {
            assertEquals("sparse-random", loaded.method());
            float[] again = Fixtures.logits(bert, data, s -> loaded.view(s, false));
            assertTrue(Fixtures.maxAbsDiff(trained, again) < 1e-6, "reloaded logits differ by " + Fixtures.maxAbsDiff(trained, again));
        }
        // a folder as peft-sparta writes it (no adapter_config.json) loads to the same function
        Path bare = tmp.resolve("peft-sparta");
        try {
            java.nio.file.Files.createDirectories(bare);
            java.nio.file.Files.copy(dir.resolve("sparse_deltas.safetensors"), bare.resolve("sparse_deltas.safetensors"));
            java.nio.file.Files.copy(dir.resolve("config.json"), bare.resolve("config.json"));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        try (SparseAdapter loaded = (SparseAdapter) Adapters.load(bare, bert)) {
            assertEquals(0.2, loaded.config().density(), 0.01);
            assertTrue(Fixtures.maxAbsDiff(trained, Fixtures.logits(bert, data, s -> loaded.view(s, false))) < 1e-6);
        }
        try (TinyModel wider = TinyModel.transformer(TinyModel.Kind.BERT, 50, 24, 32, 3, 7)) {
            AdapterMismatchException e = assertThrows(AdapterMismatchException.class, () -> Adapters.load(dir, wider));
            assertTrue(e.getMessage().contains("shape"), e.getMessage());
        }
        try (TinyModel otherWeights = TinyModel.transformer(TinyModel.Kind.BERT, 50, 16, 32, 3, 8)) {
            assertThrows(AdapterMismatchException.class, () -> Adapters.load(dir, otherWeights, true), "strict fingerprint");
            Adapters.load(dir, otherWeights, false).close();   // warns only
        }
    }
}
