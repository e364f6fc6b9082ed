package io.github.peft4j.kernel;

import io.github.peft4j.Progress;

/**
 * Replaces the dsl's console progress bar with {@link JupyterProgress} while the kernel runs
 * ({@link Progress#setDefault}: every later training run gets a fresh notebook display).
 */
final class TrainingProgressHook {
    private TrainingProgressHook() {}

    static void installJupyterProgress() {
        Progress.setDefault(JupyterProgress::new);
    }

    static void restoreConsoleProgress() {
        Progress.setDefault(null);
    }
}
