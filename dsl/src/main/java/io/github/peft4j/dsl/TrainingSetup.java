package io.github.peft4j.dsl;

import io.github.peft4j.PeftModel;
import io.github.peft4j.TextDataset;
import io.github.peft4j.TrainingRun;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.methods.AdaptationMethod;
import io.github.peft4j.core.train.LrSchedule;
import io.github.peft4j.core.train.TrainingListener;
import io.github.peft4j.dsl.train.RunTrainer;

import java.util.Locale;

/**
 * Options every method shares. Each method's subclass adds its own (e.g. {@code perTensor()} only
 * on SpaRTA, {@code alpha()} only on LoRA), and every option returns the subclass, so code
 * completion offers exactly what is valid next. Nothing runs until {@link #train}.
 *
 * <p>Defaults (measured on MiniLM + SpamAssassin, see the method classes for learning rates):
 * 1 epoch, batch 16, max 128 tokens, warm-up 10% of the steps then linear decay, AdamW betas
 * (0.9, 0.99), weight decay 0, gradient clipping at norm 1, seed 42, model dropout as loaded (off).
 */
public abstract class TrainingSetup<S extends TrainingSetup<S>> {
    protected final PeftModel model;
    long seed = 42;
    int epochs = 1;
    long steps = 0;
    int batchSize = 16;
    Double learningRate;
    Long warmupSteps;
    double warmupRatio = 0.1;
    LrSchedule.Kind schedule = LrSchedule.Kind.LINEAR;
    double weightDecay = 0;
    double clipNorm = 1.0;
    int maxLength = 128;
    int evalEvery = 0;
    String device;
    Float modelDropout;
    TrainingListener listener;
    boolean quiet;

    protected TrainingSetup(PeftModel model) {
        this.model = model;
    }

    @SuppressWarnings("unchecked")
    private S self() {
        return (S) this;
    }

    /** Seeds everything random in the run: support / LoRA init, head init, data order, dropout. */
    public S seed(long seed) {
        this.seed = seed;
        return self();
    }

    /** Passes over the training data (used when {@link #steps} is not set). */
    public S epochs(int epochs) {
        if (epochs < 1) {
            throw new InvalidArgumentException("epochs must be at least 1, got " + epochs + ".");
        }
        this.epochs = epochs;
        this.steps = 0;
        return self();
    }

    /** Optimizer steps; overrides {@link #epochs} (data is cycled as needed). */
    public S steps(long steps) {
        if (steps < 1) {
            throw new InvalidArgumentException("steps must be at least 1, got " + steps + ".");
        }
        this.steps = steps;
        return self();
    }

    public S batchSize(int batchSize) {
        if (batchSize < 1) {
            throw new InvalidArgumentException("batchSize must be at least 1, got " + batchSize + ".");
        }
        this.batchSize = batchSize;
        return self();
    }

    /** Peak learning rate (after warm-up). */
    public S learningRate(double lr) {
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new InvalidArgumentException("learningRate must be a positive number, got " + lr + ".");
        }
        this.learningRate = lr;
        return self();
    }

    /** Linear warm-up over this many steps (default: 10% of the run). */
    public S warmup(long steps) {
        if (steps < 0) {
            throw new InvalidArgumentException("warmup steps must be >= 0, got " + steps + ".");
        }
        this.warmupSteps = steps;
        return self();
    }

    /** Linear warm-up over this fraction of the run, in [0, 1). */
    public S warmupRatio(double ratio) {
        if (!(ratio >= 0 && ratio < 1)) {
            throw new InvalidArgumentException("warmupRatio must be in [0, 1), got " + ratio + ".");
        }
        this.warmupRatio = ratio;
        this.warmupSteps = null;
        return self();
    }

    /** Decay after warm-up: LINEAR (default), COSINE or CONSTANT. */
    public S schedule(LrSchedule.Kind kind) {
        this.schedule = kind;
        return self();
    }

    /** Decay after warm-up by name: "linear", "cosine" or "constant". */
    public S schedule(String kind) {
        try {
            return schedule(LrSchedule.Kind.valueOf(kind.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw new InvalidArgumentException("Unknown schedule '" + kind + "': use linear, cosine or constant.");
        }
    }

    /** Decoupled AdamW weight decay (head and biases exempt); default 0 as in the paper. */
    public S weightDecay(double wd) {
        if (!(wd >= 0)) {
            throw new InvalidArgumentException("weightDecay must be >= 0, got " + wd + ".");
        }
        this.weightDecay = wd;
        return self();
    }

    /** Global gradient-norm clip (0 disables). */
    public S clipNorm(double norm) {
        if (!(norm >= 0)) {
            throw new InvalidArgumentException("clipNorm must be >= 0, got " + norm + ".");
        }
        this.clipNorm = norm;
        return self();
    }

    /** Tokens per example after truncation (default 128). */
    public S maxLength(int tokens) {
        if (tokens < 8) {
            throw new InvalidArgumentException("maxLength must be at least 8 tokens, got " + tokens + ".");
        }
        this.maxLength = tokens;
        return self();
    }

    /** Evaluates on the eval set of {@code train(data, eval)} every n steps (see {@link TrainingRun#evalHistory()}). */
    public S evalEvery(int steps) {
        if (steps < 1) {
            throw new InvalidArgumentException("evalEvery must be at least 1 step, got " + steps + ".");
        }
        this.evalEvery = steps;
        return self();
    }

    /** "cpu" or "gpu": must match where the model was loaded (-Dpeft4j.device). */
    public S device(String device) {
        this.device = device;
        return self();
    }

    /** Hidden/attention dropout of the model while training (default: as loaded, usually 0). */
    public S modelDropout(double p) {
        if (!(p >= 0 && p < 1)) {
            throw new InvalidArgumentException("modelDropout must be in [0, 1), got " + p + ".");
        }
        this.modelDropout = (float) p;
        return self();
    }

    /** An extra listener (besides progress and history). */
    public S listener(TrainingListener listener) {
        this.listener = listener;
        return self();
    }

    /** No progress output. */
    public S quiet() {
        this.quiet = true;
        return self();
    }

    /** Trains on {@code data} and returns the run (history, adapter, evaluation). */
    public TrainingRun train(TextDataset data) {
        return RunTrainer.run(this, data, null);
    }

    /** Trains on {@code data}, evaluating on {@code eval} every {@link #evalEvery} steps (and at the end). */
    public TrainingRun train(TextDataset data, TextDataset eval) {
        return RunTrainer.run(this, data, eval);
    }

    // ---- read by the runner ----

    /** The core method configured by this setup. */
    public abstract AdaptationMethod method();

    /** Default peak learning rate for this method (see class docs for the measurements). */
    protected abstract double defaultLearningRate();

    /** One phrase naming the method and its own options, e.g. "SpaRTA density 0.005 (per-tensor)". */
    public abstract String describe();

    public PeftModel model() {
        return model;
    }

    public long seed() {
        return seed;
    }

    public int epochs() {
        return epochs;
    }

    public long steps() {
        return steps;
    }

    public int batchSize() {
        return batchSize;
    }

    public double learningRate() {
        return learningRate != null ? learningRate : defaultLearningRate();
    }

    public long warmupFor(long totalSteps) {
        return warmupSteps != null ? Math.min(warmupSteps, totalSteps) : Math.round(warmupRatio * totalSteps);
    }

    public LrSchedule.Kind schedule() {
        return schedule;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public double clipNorm() {
        return clipNorm;
    }

    public int maxLength() {
        return maxLength;
    }

    public int evalEvery() {
        return evalEvery;
    }

    public String device() {
        return device;
    }

    public Float modelDropout() {
        return modelDropout;
    }

    public TrainingListener listener() {
        return listener;
    }

    public boolean isQuiet() {
        return quiet;
    }

    /** Copies the shared options (not the method's own) from another setup: used by comparisons. */
    public S copyCommonFrom(TrainingSetup<?> other) {
        seed = other.seed;
        epochs = other.epochs;
        steps = other.steps;
        batchSize = other.batchSize;
        warmupSteps = other.warmupSteps;
        warmupRatio = other.warmupRatio;
        schedule = other.schedule;
        weightDecay = other.weightDecay;
        clipNorm = other.clipNorm;
        maxLength = other.maxLength;
        evalEvery = other.evalEvery;
        device = other.device;
        modelDropout = other.modelDropout;
        quiet = other.quiet;
        return self();
    }

}
