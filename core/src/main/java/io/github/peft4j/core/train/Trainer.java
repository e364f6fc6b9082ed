package io.github.peft4j.core.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.TrainingDivergedException;
import io.github.peft4j.core.methods.Adapter;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.ModelOutput;

import io.github.peft4j.core.InvalidArgumentException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The training loop: one NDManager scope per step (closed after it, so nothing accumulates),
 * gradients zeroed each step, masked AdamW over the adapter's trainable tensors, warm-up + decay,
 * gradient clipping, and a divergence check that runs before the update so parameters keep their
 * last good values.
 */
public final class Trainer {
    private final TrainingOptions options;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private Path checkpointDir;
    private long checkpointEvery;
    private Path resumeDir;
    private int maxSkippedSteps;
    private long skippedSteps;

    public Trainer(TrainingOptions options) {
        this.options = options;
    }

    public Trainer listener(TrainingListener l) {
        listeners.add(l);
        return this;
    }

    /**
     * Saves a {@link Checkpoint} into {@code folder} (replaced atomically) after every {@code steps}
     * optimizer steps; {@link #resumeFrom} continues from it bit-identically.
     */
    public Trainer checkpointEvery(long steps, Path folder) {
        if (steps < 1 || folder == null) {
            throw new InvalidArgumentException("checkpointEvery needs a folder and at least 1 step, got " + steps + ".");
        }
        this.checkpointEvery = steps;
        this.checkpointDir = folder;
        return this;
    }

    /**
     * Continues the run saved in {@code folder}: the adapter must be freshly attached with the same
     * method settings, and data, options and seed must be those of the interrupted run.
     */
    public Trainer resumeFrom(Path folder) {
        this.resumeDir = folder;
        return this;
    }

    /**
     * Tolerates up to {@code maxSkips} steps whose loss or gradient is NaN/Inf: such a step changes
     * nothing (no update, moments untouched) and is reported on stderr; one more diverges as usual.
     * Default 0: the first non-finite step stops training.
     */
    public Trainer skipNonFiniteSteps(int maxSkips) {
        if (maxSkips < 0) {
            throw new InvalidArgumentException("maxSkips must be >= 0, got " + maxSkips + ".");
        }
        this.maxSkippedSteps = maxSkips;
        return this;
    }

    /** Steps skipped as non-finite in the last (or current) run, including those before a resume. */
    public long skippedSteps() {
        return skippedSteps;
    }

    /** The engine seed for one step: dropout masks depend only on (seed, step), so resuming replays them. */
    static int stepSeed(long seed, long step) {
        long z = seed * 0x9E3779B97F4A7C15L + step * 0xC2B2AE3D27D4EB4FL;
        z = (z ^ (z >>> 31)) * 0xBF58476D1CE4E5B9L;
        return (int) (z ^ (z >>> 29));
    }

    public TrainingResult train(Adapter adapter, BatchSource data) {
        Model model = adapter.model();
        int perEpoch = data.batchesPerEpoch();
        long total = options.totalSteps(perEpoch);
        LrSchedule schedule = new LrSchedule(options.schedule(), options.learningRate(), options.warmupSteps(), total);
        skippedSteps = 0;
        List<StepRecord> history = new ArrayList<>();
        long started = System.nanoTime();
        try (Autograd gradOff = Autograd.off();
             MaskedAdamW optimizer = new MaskedAdamW(adapter.trainable(), options.beta1(), options.beta2(),
                options.eps(), options.weightDecay());
             NDManager run = NDManager.newBaseManager(model.parameters().manager().getDevice())) {
            long first = 0;
            if (resumeDir != null) {
                Checkpoint.State resumed = Checkpoint.restore(resumeDir, adapter, optimizer, options, total, perEpoch);
                first = resumed.nextStep();
                skippedSteps = resumed.skippedSteps();
            }
            String summary = adapter.method() + ": " + adapter.count() + ", " + total + " steps"
                    + (first > 0 ? ", resumed at step " + first : "");
            listeners.forEach(l -> l.onStart(total, summary));
            for (long step = first; step < total; step++) {
                int epoch = (int) (step / perEpoch);
                int index = (int) (step % perEpoch);
                double lr = schedule.at(step);
                double loss;
                double gradNorm = Double.NaN;
                boolean skipped = false;
                Engine.getInstance().setRandomSeed(stepSeed(options.seed(), step));
                try (NDManager scope = run.newSubManager()) {
                    optimizer.zeroGrad();
                    Batch batch = data.batch(epoch, index, scope);
                    try (Autograd collector = new Autograd()) { // thread-safe, unlike DJL's GradientCollector
                        ModelOutput out = model.forward(batch, adapter.view(scope, true), true, scope);
                        NDArray lossArray = Losses.forTask(model.task(), out.logits(), batch.labels());
                        loss = lossArray.getFloat();
                        if (!Double.isFinite(loss)) {
                            skipped = skipOrThrow(step, "loss", loss, lr);
                        } else {
                            collector.backward(lossArray);
                        }
                    }
                    if (!skipped) {
                        gradNorm = optimizer.clipGradNorm(options.clipNorm());
                        if (!Double.isFinite(gradNorm)) {
                            skipped = skipOrThrow(step, "gradient norm", gradNorm, lr);
                        } else {
                            optimizer.step(lr);
                        }
                    }
                    if (skipped) {
                        optimizer.zeroGrad(); // nothing of this step may leak into the next one
                    }
                }
                if (checkpointDir != null && ((step + 1) % checkpointEvery == 0 || step + 1 == total)) {
                    long next = step + 1;
                    Checkpoint.save(checkpointDir, adapter, optimizer, new Checkpoint.State(next, total, perEpoch,
                            (int) (next / perEpoch), (int) (next % perEpoch), next < total ? schedule.at(next) : 0,
                            options.seed(), optimizer.steps(), skippedSteps, adapter.method()));
                }
                if (skipped) {
                    continue;
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                StepRecord record = new StepRecord(step + 1, epoch, loss, lr, gradNorm, seconds, total);
                history.add(record);
                if ((step + 1) % options.logEvery() == 0 || step + 1 == total) {
                    listeners.forEach(l -> l.onStep(record));
                }
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        listeners.forEach(l -> l.onEnd(history.size(), seconds));
        return new TrainingResult(history, seconds);
    }

    /** True when the step may be skipped under {@link #skipNonFiniteSteps}; else the divergence error. */
    private boolean skipOrThrow(long step, String what, double value, double lr) {
        if (skippedSteps >= maxSkippedSteps) {
            TrainingDivergedException e = diverged(step, what, value, lr);
            if (maxSkippedSteps > 0) {
                throw new TrainingDivergedException(e.step(), e.getMessage() + " " + skippedSteps
                        + " earlier non-finite steps were already skipped (limit " + maxSkippedSteps + ").");
            }
            throw e;
        }
        skippedSteps++;
        System.err.printf(Locale.ROOT, "peft4j warning: step %d skipped, the %s is %s (%d of at most %d skips)%n",
                step + 1, what, value, skippedSteps, maxSkippedSteps);
        return true;
    }

    private static TrainingDivergedException diverged(long step, String what, double value, double lr) {
        return new TrainingDivergedException(step + 1, String.format(Locale.ROOT,
                "Training diverged at step %d: the %s is %s (learning rate %.3g). The parameters keep their values"
                        + " from before this step. Lower the learning rate (try 10x smaller), keep gradient clipping on"
                        + " (clipNorm 1.0) or use more warm-up steps.", step + 1, what, value, lr));
    }
}
