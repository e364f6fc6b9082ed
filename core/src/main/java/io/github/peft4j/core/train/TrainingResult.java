package io.github.peft4j.core.train;

import java.util.List;

/**
 * What a run produced: one record per optimizer step and the wall-clock time.
 *
 * @param history every step's loss, learning rate and gradient norm
 * @param seconds total training time
 */
public record TrainingResult(List<StepRecord> history, double seconds) {
    public TrainingResult {
        history = List.copyOf(history);
    }

    public long steps() {
        return history.size();
    }

    /** Loss of the last step (NaN for an empty run). */
    public double finalLoss() {
        return history.isEmpty() ? Double.NaN : history.get(history.size() - 1).loss();
    }

    /** Mean loss of the last {@code n} steps: less noisy than one batch. */
    public double meanLossOfLast(int n) {
        if (history.isEmpty()) {
            return Double.NaN;
        }
        int from = Math.max(0, history.size() - n);
        double sum = 0;
        for (int i = from; i < history.size(); i++) {
            sum += history.get(i).loss();
        }
        return sum / (history.size() - from);
    }
}
