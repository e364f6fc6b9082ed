package io.github.peft4j.tests.reliability;

import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.methods.AdaptationMethod;
import io.github.peft4j.core.methods.Adapter;
import io.github.peft4j.core.methods.lora.Lora;
import io.github.peft4j.core.methods.sparse.SparseRandom;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.train.BatchSource;
import io.github.peft4j.core.train.Checkpoint;
import io.github.peft4j.core.train.StepRecord;
import io.github.peft4j.core.train.Trainer;
import io.github.peft4j.core.train.TrainingListener;
import io.github.peft4j.core.train.TrainingOptions;
import io.github.peft4j.core.train.TrainingResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run interrupted after a checkpoint and resumed in a fresh trainer, optimizer and adapter ends
 * bit-identical to the same run never interrupted: SpaRTA and LoRA, dropout on everywhere (model
 * hidden/attention dropout and the method's own), several epochs so the data order reshuffles.
 */
class CheckpointResumeTest {
    static final int STEPS = 14;          // 2 epochs of 7 batches: the resume crosses an epoch boundary
    static final int CHECKPOINT_EVERY = 5;
    static final int CRASH_AFTER = 8;     // the last checkpoint before the crash is at step 5

    @TempDir
    Path dir;
    static Model model;
    static BatchSource data;

    @BeforeAll
    static void load() {
        model = TinyFixtures.bert();
        model.setDropout(0.1f);
        data = TinyFixtures.randomTokens(28, 8, 4, 3);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static TrainingOptions options() {
        return TrainingOptions.defaults().withSteps(STEPS).withLearningRate(5e-3).withWarmup(3).withLogEvery(1).withSeed(77);
    }

    @Test
    void spartaResumesBitIdentical() {
        resumesBitIdentical(SparseRandom.of(0.05).withDropout(0.1f), "sparta");
    }

    @Test
    void loraResumesBitIdentical() {
        resumesBitIdentical(Lora.of(4).withDropout(0.1f), "lora");
    }

    private void resumesBitIdentical(AdaptationMethod method, String name) {
        Map<String, float[]> uninterrupted;
        double lastLossUninterrupted;
        try (Adapter a = method.attach(model)) {
            TrainingResult r = new Trainer(options()).train(a, data);
            uninterrupted = TrainingRuns.snapshot(a);
            lastLossUninterrupted = r.finalLoss();
        }
        // Same seed twice gives the same run, and another seed a different one: dropout is really random.
        try (Adapter a = method.attach(model)) {
            new Trainer(options().withSeed(78)).train(a, data);
            assertTrue(TrainingRuns.anyDifferent(uninterrupted, TrainingRuns.snapshot(a)), "seed must matter");
        }

        Path checkpoint = dir.resolve(name + "-checkpoint");
        try (Adapter a = method.attach(model)) {
            Trainer crashing = new Trainer(options()).checkpointEvery(CHECKPOINT_EVERY, checkpoint).listener(new TrainingListener() {
                @Override
                public void onStep(StepRecord record) {
                    if (record.step() == CRASH_AFTER) {
                        throw new IllegalStateException("simulated crash");
                    }
                }
            });
            assertThrows(IllegalStateException.class, () -> crashing.train(a, data));
        }
        Checkpoint.State saved = Checkpoint.read(checkpoint);
        assertEquals(CHECKPOINT_EVERY, saved.nextStep());
        assertEquals(CHECKPOINT_EVERY, saved.optimizerSteps());
        assertEquals(0, saved.epoch());
        assertEquals(CHECKPOINT_EVERY, saved.batchIndex());

        try (Adapter fresh = method.attach(model)) {
            TrainingResult resumed = new Trainer(options()).resumeFrom(checkpoint).train(fresh, data);
            assertEquals(STEPS - CHECKPOINT_EVERY, resumed.steps(), "only the remaining steps run");
            assertEquals(STEPS, resumed.history().get(resumed.history().size() - 1).step());
            assertEquals(lastLossUninterrupted, resumed.finalLoss(), 0.0, "last loss must match exactly");
            TrainingRuns.assertBitwiseEqual(uninterrupted, TrainingRuns.snapshot(fresh), name + " resumed");
        }
    }

    @Test
    void resumingWithOtherSettingsIsRefused() {
        Path checkpoint = dir.resolve("refuse");
        try (Adapter a = SparseRandom.of(0.05).attach(model)) {
            new Trainer(options().withSteps(6)).checkpointEvery(3, checkpoint).train(a, data);
        }
        assertTrue(Files.isRegularFile(checkpoint.resolve(Checkpoint.STATE_FILE)));
        try (Adapter a = SparseRandom.of(0.05).attach(model)) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> new Trainer(options().withSteps(7)).resumeFrom(checkpoint).train(a, data));
            assertTrue(e.getMessage().contains("same data, options and seed"), e.getMessage());
        }
        try (Adapter a = Lora.of(4).attach(model)) {
            Exception e = assertThrows(io.github.peft4j.core.AdapterMismatchException.class,
                    () -> new Trainer(options().withSteps(6)).resumeFrom(checkpoint).train(a, data));
            assertTrue(e.getMessage().contains("same method"), e.getMessage());
        }
        try (Adapter a = SparseRandom.of(0.10).attach(model)) {
            Exception e = assertThrows(io.github.peft4j.core.AdapterMismatchException.class,
                    () -> new Trainer(options().withSteps(6)).resumeFrom(checkpoint).train(a, data));
            assertTrue(e.getMessage().contains("same method settings"), e.getMessage());
        }
    }
}
