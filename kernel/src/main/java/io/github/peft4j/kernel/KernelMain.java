package io.github.peft4j.kernel;

import org.dflib.jjava.jupyter.channels.JupyterConnection;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code java ... io.github.peft4j.kernel.KernelMain <connection-file>}, as kernel.json runs it;
 * {@code KernelMain --prefetch} converts the embedded MiniLM into peft4j's model folder once (Binder's
 * postBuild runs it so the first notebook does not pay for it).
 */
public final class KernelMain {

    private KernelMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("--prefetch")) {
            System.out.println("MiniLM ready in " + io.github.peft4j.core.io.EmbeddedMiniLm.folder());
            System.exit(0);
        }
        if (args.length != 1) {
            System.err.println("usage: KernelMain <jupyter connection file> | --prefetch"
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
