package io.github.peft4j.kernel;

import org.dflib.jjava.jupyter.channels.ShellReplyEnvironment;
import org.dflib.jjava.jupyter.kernel.JupyterIO;

import java.nio.charset.StandardCharsets;

/** Opens jjava's protected attach/detach of the cell streams to our execute handler. */
final class KernelIO extends JupyterIO {
    KernelIO() {
        super(StandardCharsets.UTF_8);
    }

    void attach(ShellReplyEnvironment env, boolean stdinEnabled) {
        setEnv(env);
        setJupyterInEnabled(stdinEnabled);
    }

    void detach(ShellReplyEnvironment env) {
        retractEnv(env);
    }
}
