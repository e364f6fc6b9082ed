package io.github.peft4j.core;

/** Loss or gradient became NaN/Inf; the message names the step and the likely cause. */
public class TrainingDivergedException extends Peft4jException {
    private final long step;

    public TrainingDivergedException(long step, String message) {
        super(message);
        this.step = step;
    }

    public long step() {
        return step;
    }
}
