package io.github.peft4j.core.train;

/** Observes a training run (progress bars, notebook displays, history tables). */
public interface TrainingListener {
    default void onStart(long totalSteps, String summary) {}

    void onStep(StepRecord record);

    default void onEnd(long stepsDone, double seconds) {}
}
