package io.github.peft4j.core.train;

import io.github.peft4j.core.InvalidArgumentException;

/**
 * How long and how hard to train. Defaults follow the SpaRTA paper's scripts where they apply.
 *
 * @param steps        optimizer steps; when 0, {@code epochs × batchesPerEpoch}
 * @param epochs       passes over the data when {@code steps} is 0
 * @param learningRate peak learning rate
 * @param warmupSteps  linear warm-up steps
 * @param schedule     decay after warm-up
 * @param weightDecay  decoupled AdamW weight decay (head and biases exempt)
 * @param clipNorm     global gradient-norm clip; 0 disables clipping
 * @param seed         seeds the engine RNG (dropout) for reproducible runs
 * @param logEvery     listeners see every n-th step (and the last)
 * @param beta1        AdamW β1
 * @param beta2        AdamW β2
 * @param eps          AdamW ε
 */
public record TrainingOptions(long steps, int epochs, double learningRate, long warmupSteps, LrSchedule.Kind schedule,
                              double weightDecay, double clipNorm, long seed, int logEvery,
                              double beta1, double beta2, double eps) {

    public TrainingOptions {
        if (steps < 0 || (steps == 0 && epochs < 1)) {
            throw new InvalidArgumentException("Give a positive number of steps or epochs (got steps " + steps
                    + ", epochs " + epochs + ").");
        }
        if (!(clipNorm >= 0)) {
            throw new InvalidArgumentException("clipNorm must be >= 0 (0 disables clipping), got " + clipNorm + ".");
        }
        if (logEvery < 1) {
            throw new InvalidArgumentException("logEvery must be at least 1, got " + logEvery + ".");
        }
        if (schedule == null) {
            schedule = LrSchedule.Kind.LINEAR;
        }
    }

    /** One epoch, lr 5e-5, 100 warm-up steps, linear decay, no weight decay, clip 1.0 — the paper's CLI defaults. */
    public static TrainingOptions defaults() {
        return new TrainingOptions(0, 1, 5e-5, 100, LrSchedule.Kind.LINEAR, 0, 1.0, 42, 10, 0.9, 0.99, 1e-8);
    }

    public TrainingOptions withSteps(long n) {
        return new TrainingOptions(n, epochs, learningRate, warmupSteps, schedule, weightDecay, clipNorm, seed, logEvery, beta1, beta2, eps);
    }

    public TrainingOptions withEpochs(int n) {
        return new TrainingOptions(0, n, learningRate, warmupSteps, schedule, weightDecay, clipNorm, seed, logEvery, beta1, beta2, eps);
    }

    public TrainingOptions withLearningRate(double lr) {
        return new TrainingOptions(steps, epochs, lr, warmupSteps, schedule, weightDecay, clipNorm, seed, logEvery, beta1, beta2, eps);
    }

    public TrainingOptions withWarmup(long n) {
        return new TrainingOptions(steps, epochs, learningRate, n, schedule, weightDecay, clipNorm, seed, logEvery, beta1, beta2, eps);
    }

    public TrainingOptions withSchedule(LrSchedule.Kind k) {
        return new TrainingOptions(steps, epochs, learningRate, warmupSteps, k, weightDecay, clipNorm, seed, logEvery, beta1, beta2, eps);
    }

    public TrainingOptions withWeightDecay(double wd) {
        return new TrainingOptions(steps, epochs, learningRate, warmupSteps, schedule, wd, clipNorm, seed, logEvery, beta1, beta2, eps);
    }

    public TrainingOptions withClipNorm(double c) {
        return new TrainingOptions(steps, epochs, learningRate, warmupSteps, schedule, weightDecay, c, seed, logEvery, beta1, beta2, eps);
    }

    public TrainingOptions withSeed(long s) {
        return new TrainingOptions(steps, epochs, learningRate, warmupSteps, schedule, weightDecay, clipNorm, s, logEvery, beta1, beta2, eps);
    }

    public TrainingOptions withLogEvery(int n) {
        return new TrainingOptions(steps, epochs, learningRate, warmupSteps, schedule, weightDecay, clipNorm, seed, n, beta1, beta2, eps);
    }

    /** Total optimizer steps for a source with {@code batchesPerEpoch} batches. */
    public long totalSteps(int batchesPerEpoch) {
        if (batchesPerEpoch < 1) {
            throw new InvalidArgumentException("The training data has no batches; check the data set and batch size.");
        }
        return steps > 0 ? steps : (long) epochs * batchesPerEpoch;
    }
}
