package io.github.peft4j.kernel;

import io.github.peft4j.core.train.TrainingListener;

import java.util.function.Supplier;

/**
 * Replaces the dsl's console progress bar with {@link JupyterProgress} inside the kernel, through
 * the dsl's {@code io.github.peft4j.Progress.setDefault(Supplier<TrainingListener>)} hook.
 * Looked up reflectively so the kernel also runs with only peft4j-core on the class path.
 */
final class TrainingProgressHook {
    static final String PROGRESS_CLASS = "io.github.peft4j.Progress";

    private TrainingProgressHook() {}

    /** True when the dsl was found and now reports progress as a notebook display. */
    static boolean installJupyterProgress() {
        return setDefault(JupyterProgress::new);
    }

    static boolean restoreConsoleProgress() {
        return setDefault(null);
    }

    private static boolean setDefault(Supplier<TrainingListener> factory) {
        try {
            Class<?> progress = Class.forName(PROGRESS_CLASS, true, TrainingProgressHook.class.getClassLoader());
            progress.getMethod("setDefault", Supplier.class).invoke(null, factory);
            return true;
        } catch (ClassNotFoundException e) {
            return false; // no dsl on the class path: nothing trains with progress listeners
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the dsl's Progress.setDefault hook changed shape: " + e, e);
        }
    }
}
