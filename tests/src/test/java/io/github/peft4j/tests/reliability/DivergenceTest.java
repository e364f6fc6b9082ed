package io.github.peft4j.tests.reliability;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.TrainingDivergedException;
import io.github.peft4j.core.methods.Adapter;
import io.github.peft4j.core.methods.sparse.SparseRandom;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.ModelOutput;
import io.github.peft4j.core.models.Task;
import io.github.peft4j.core.models.WeightView;
import io.github.peft4j.core.tensor.ParameterStore;
import io.github.peft4j.core.train.BatchSource;
import io.github.peft4j.core.train.StepRecord;
import io.github.peft4j.core.train.Trainer;
import io.github.peft4j.core.train.TrainingListener;
import io.github.peft4j.core.train.TrainingOptions;
import io.github.peft4j.core.train.TrainingResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Non-finite training: with an absurd learning rate the run stops with TrainingDivergedException
 * naming the step and suggesting a lower rate, and the adapter keeps the finite values of the last
 * good step. With the skip policy, up to K poisoned steps are skipped without touching the
 * parameters; the (K+1)-th stops the run.
 */
class DivergenceTest {
    static Model model;
    static BatchSource data;

    @BeforeAll
    static void load() {
        model = TinyFixtures.bert();
        model.setDropout(0f);
        data = TinyFixtures.randomTokens(32, 8, 4, 5);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void hugeLearningRateStopsWithTheStepAndKeepsLastGoodValues() {
        // Adam moves every entry by about lr per step: 1e37 overflows the logits within two steps.
        TrainingOptions options = TrainingOptions.defaults().withSteps(20).withLearningRate(1e37).withWarmup(0)
                .withLogEvery(1).withClipNorm(0);
        try (Adapter a = SparseRandom.of(0.05).attach(model)) {
            Map<String, float[]>[] lastGood = new Map[1];
            long[] lastStep = {0};
            Trainer trainer = new Trainer(options).listener(new TrainingListener() {
                @Override
                public void onStep(StepRecord r) {
                    lastGood[0] = TrainingRuns.snapshot(a);
                    lastStep[0] = r.step();
                }
            });
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> trainer.train(a, data));
            assertEquals(lastStep[0] + 1, e.step(), "the failing step is the one after the last good one");
            assertTrue(e.getMessage().contains("step " + e.step()), e.getMessage());
            assertTrue(e.getMessage().toLowerCase().contains("lower the learning rate"), e.getMessage());
            Map<String, float[]> now = TrainingRuns.snapshot(a);
            assertTrue(TrainingRuns.allFinite(now), "the adapter must keep finite values");
            if (lastGood[0] != null) {
                TrainingRuns.assertBitwiseEqual(lastGood[0], now, "values after the last good step");
            }
            System.out.println("diverged at step " + e.step() + ": " + e.getMessage());
        }
    }

    @Test
    void skipPolicyToleratesKNonFiniteStepsThenStops() {
        TrainingOptions options = TrainingOptions.defaults().withSteps(10).withLearningRate(1e-3).withWarmup(0).withLogEvery(1);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            // Steps 3 and 6 (1-based) produce NaN logits; two skips allowed: the run completes.
            try (PoisonedModel poisoned = new PoisonedModel(model, Set.of(3, 6));
                 Adapter a = SparseRandom.of(0.05).attach(poisoned)) {
                Trainer trainer = new Trainer(options).skipNonFiniteSteps(2);
                Map<String, float[]>[] beforeSkip = new Map[1];
                trainer.listener(r -> {
                    if (r.step() == 2) {
                        beforeSkip[0] = TrainingRuns.snapshot(a);
                    }
                });
                TrainingResult r = trainer.train(a, data);
                assertEquals(2, trainer.skippedSteps());
                assertEquals(8, r.steps(), "skipped steps leave no history row");
                assertTrue(r.history().stream().allMatch(s -> Double.isFinite(s.loss())));
                assertTrue(TrainingRuns.allFinite(TrainingRuns.snapshot(a)));
                assertTrue(beforeSkip[0] != null);
            }
            assertTrue(captured.toString(StandardCharsets.UTF_8).contains("step 3 skipped"), captured.toString());
            // Three poisoned steps with two skips allowed: the third stops the run, naming the step.
            try (PoisonedModel poisoned = new PoisonedModel(model, Set.of(2, 4, 5));
                 Adapter a = SparseRandom.of(0.05).attach(poisoned)) {
                TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                        () -> new Trainer(options).skipNonFiniteSteps(2).train(a, data));
                assertEquals(5, e.step());
                assertTrue(e.getMessage().contains("2 earlier non-finite steps were already skipped"), e.getMessage());
            }
        } finally {
            System.setErr(err);
        }
    }

    /** A skipped step changes nothing: skipping the last step leaves the values of the step before, bit for bit. */
    @Test
    void skippedStepLeavesParametersUntouched() {
        TrainingOptions options = TrainingOptions.defaults().withSteps(4).withLearningRate(1e-3).withWarmup(0).withLogEvery(1);
        try (PoisonedModel poisoned = new PoisonedModel(model, Set.of(4));
             Adapter a = SparseRandom.of(0.05).attach(poisoned)) {
            Map<String, float[]>[] afterStep3 = new Map[1];
            Trainer trainer = new Trainer(options).skipNonFiniteSteps(1).listener(r -> {
                if (r.step() == 3) {
                    afterStep3[0] = TrainingRuns.snapshot(a);
                }
            });
            PrintStream err = System.err;
            System.setErr(new PrintStream(new ByteArrayOutputStream()));
            TrainingResult r;
            try {
                r = trainer.train(a, data);
            } finally {
                System.setErr(err);
            }
            assertEquals(3, r.steps());
            assertEquals(1, trainer.skippedSteps());
            TrainingRuns.assertBitwiseEqual(afterStep3[0], TrainingRuns.snapshot(a), "after the skipped step 4");
        }
    }

    /** Delegates to a real model; on the chosen forward calls (1-based) multiplies the logits by NaN. */
    static final class PoisonedModel implements Model {
        private final Model inner;
        private final Set<Integer> poisonedCalls;
        private int calls;

        PoisonedModel(Model inner, Set<Integer> poisonedCalls) {
            this.inner = inner;
            this.poisonedCalls = poisonedCalls;
        }

        @Override
        public ModelOutput forward(Batch batch, WeightView weights, boolean training, NDManager scope) {
            ModelOutput out = inner.forward(batch, weights, training, scope);
            if (training && poisonedCalls.contains(++calls)) {
                NDArray nan = out.logits().mul(Float.NaN);
                return new ModelOutput(nan, out.lastHiddenState(), out.pooled());
            }
            return out;
        }

        @Override public String architecture() { return inner.architecture(); }
        @Override public String modelId() { return inner.modelId(); }
        @Override public ParameterStore parameters() { return inner.parameters(); }
        @Override public Task task() { return inner.task(); }
        @Override public int numLabels() { return inner.numLabels(); }
        @Override public Set<String> headParameters() { return inner.headParameters(); }
        @Override public float dropout() { return inner.dropout(); }
        @Override public void setDropout(float p) { inner.setDropout(p); }
        @Override public long padTokenId() { return inner.padTokenId(); }
        @Override public void close() { /* the wrapped model is shared by the test class */ }
    }
}
