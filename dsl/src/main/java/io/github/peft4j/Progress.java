package io.github.peft4j;

import io.github.peft4j.core.train.TrainingListener;
import io.github.peft4j.dsl.results.ConsoleProgress;

import java.util.function.Supplier;

/**
 * Chooses how training progress is shown. The default draws a bar on stderr; the Jupyter kernel
 * calls {@link #setDefault} with a factory for a live notebook display. A new listener is made
 * for every training run.
 */
public final class Progress {
    private static volatile Supplier<TrainingListener> factory = ConsoleProgress::stderr;

    private Progress() {}

    /** Replaces the progress display used by every later run (null restores the console bar). */
    public static void setDefault(Supplier<TrainingListener> newFactory) {
        factory = newFactory == null ? ConsoleProgress::stderr : newFactory;
    }

    /** No progress output at all (tests, batch jobs). */
    public static void silent() {
        factory = () -> record -> { };
    }

    /** A fresh listener from the current factory. */
    public static TrainingListener create() {
        return factory.get();
    }
}
