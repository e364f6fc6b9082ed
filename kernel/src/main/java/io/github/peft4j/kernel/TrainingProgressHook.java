package io.github.peft4j.kernel;

/**
 * Replaces the dsl's console progress listener with {@link JupyterProgress} inside the kernel.
 * Wired to the dsl's hook once the dsl module is on the class path.
 */
final class TrainingProgressHook {
    private TrainingProgressHook() {}

    static void installJupyterProgress() {
        // filled in when the dsl's listener hook is available
    }
}
