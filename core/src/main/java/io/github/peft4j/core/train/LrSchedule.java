package io.github.peft4j.core.train;

import io.github.peft4j.core.InvalidArgumentException;

/**
 * Learning rate per optimizer step, as Hugging Face's {@code get_*_schedule_with_warmup}: the
 * update at 0-based step {@code s} uses {@code peak · factor(s)} where the factor rises linearly
 * {@code s / warmup} during warm-up (so the very first update has lr 0, as in HF) and then decays
 * linearly or by a half cosine to 0 at {@code totalSteps}, or stays at 1 (constant).
 *
 * @param kind        LINEAR, COSINE or CONSTANT after warm-up
 * @param peak        the learning rate reached at the end of warm-up
 * @param warmupSteps steps of linear warm-up (0 = none)
 * @param totalSteps  optimizer steps in the run
 */
public record LrSchedule(Kind kind, double peak, long warmupSteps, long totalSteps) {

    public enum Kind { LINEAR, COSINE, CONSTANT }

    public LrSchedule {
        if (kind == null) {
            kind = Kind.LINEAR;
        }
        if (!(peak > 0) || !Double.isFinite(peak)) {
            throw new InvalidArgumentException("Learning rate must be a positive number, got " + peak + ". SpaRTA's default is 5e-5"
                    + " for large models; tiny models use 1e-3..1e-2.");
        }
        if (warmupSteps < 0 || totalSteps < 1) {
            throw new InvalidArgumentException("Schedule needs warmupSteps >= 0 and totalSteps >= 1, got warm-up "
                    + warmupSteps + " and total " + totalSteps + ".");
        }
    }

    public double at(long step) {
        if (step < warmupSteps) {
            return peak * step / Math.max(1, warmupSteps);
        }
        if (kind == Kind.CONSTANT) {
            return peak;
        }
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        if (kind == Kind.LINEAR) {
            return peak * Math.max(0, 1 - progress);
        }
        return peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
    }
}
