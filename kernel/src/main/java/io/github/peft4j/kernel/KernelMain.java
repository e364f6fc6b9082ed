package io.github.peft4j.kernel;

import org.dflib.jjava.jupyter.channels.JupyterConnection;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;

import java.nio.file.Files;
import java.nio.file.Path;

/** {@code java ... io.github.peft4j.kernel.KernelMain <connection-file>}, as kernel.json runs it. */
public final class KernelMain {

    private KernelMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: KernelMain <jupyter connection file>"
                    + " (Jupyter passes it; install the kernel with kernel/install.sh)");
            System.exit(2);
        }
        System.setProperty("java.awt.headless", "true"); // charts render to PNG, no display needed
        KernelConnectionProperties properties = KernelConnectionProperties.parse(Files.readString(Path.of(args[0])));
        JupyterConnection connection = new JupyterConnection(properties);
        Peft4jKernel kernel = new Peft4jKernel();
        kernel.becomeHandlerForConnection(connection);
        kernel.onStartup();
        connection.connect();
        connection.waitUntilClose();
        kernel.evaluator().close();
        System.exit(0); // DJL and ZeroMQ leave non-daemon threads behind
    }
}
