package io.github.peft4j.kernel;

import jdk.jshell.execution.DirectExecutionControl;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs JShell snippets inside the kernel's own JVM, on one dedicated cell thread.
 *
 * <p>Why in-process rather than JShell's default remote agent: the kernel must see the real
 * objects a cell returns (a Tablesaw table, an XChart chart, a training run) to render them as
 * HTML or PNG, and a training loop must be able to publish progress displays while it runs.
 * A remote agent only hands back strings. Why a dedicated worker thread: {@link #stop()} (the
 * Jupyter interrupt) can then stop exactly the thread running user code while the kernel's
 * message loop stays alive; {@code Thread.stop} is deprecated but still works on Java 17 and is
 * the only way to end a loop that never checks for interruption (a long training run).
 */
final class InProcessExecutionControl extends DirectExecutionControl {

    /**
     * One cell thread for the whole JVM, shared by every evaluator. Native engines keep per-thread
     * state: DJL's PyTorch engine switches autograd off only on the thread that initialised it
     * (PyTorch's grad mode is thread-local and on by default), so training from a second thread
     * fails with "a leaf Variable that requires grad is being used in an in-place operation".
     * Running every cell on the same thread keeps such state consistent across cells and sessions.
     */
    private static final ExecutorService WORKER = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "peft4j-cell");
        thread.setDaemon(true);
        return thread;
    });
    private volatile Thread workerThread;
    private volatile boolean running;
    private volatile Object lastValue;
    private volatile Throwable lastThrowable;
    private volatile boolean stopped;

    /** True once after a snippet was ended by {@link #stop()}; JShell itself reports no event for it. */
    boolean takeStopped() {
        boolean was = stopped;
        stopped = false;
        return was;
    }

    /** The object the last executed snippet produced (null for statements and void calls). */
    Object takeLastValue() {
        Object value = lastValue;
        lastValue = null;
        return value;
    }

    /** The real exception the last snippet threw, with its class, cause chain and stack. */
    Throwable takeLastThrowable() {
        Throwable thrown = lastThrowable;
        lastThrowable = null;
        return thrown;
    }

    boolean isRunning() {
        return running;
    }

    @Override
    protected String invoke(Method doitMethod) throws Exception {
        lastValue = null;
        lastThrowable = null;
        Future<Object> result = WORKER.submit(() -> {
            workerThread = Thread.currentThread();
            // Libraries that use ServiceLoader (DJL engines) must see jars added by %maven / %jars.
            workerThread.setContextClassLoader(doitMethod.getDeclaringClass().getClassLoader());
            Thread.interrupted(); // clear an interrupt left over from a stopped cell
            running = true;
            try {
                return doitMethod.invoke(null);
            } finally {
                running = false;
            }
        });
        try {
            Object value = result.get();
            lastValue = value;
            return valueString(value);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
            throw new StoppedException();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ThreadDeath) {
                stopped = true;
                throw new StoppedException();
            }
            if (cause instanceof InvocationTargetException invocation) {
                if (invocation.getCause() instanceof ThreadDeath) {
                    stopped = true;
                    throw new StoppedException();
                }
                lastThrowable = invocation.getCause();
                throw invocation; // JShell turns it into an EvalException event
            }
            throw new InternalException("snippet runner failed: " + cause);
        }
    }

    @Override
    @SuppressWarnings("removal")
    public void stop() {
        Thread thread = workerThread;
        if (thread != null && running) {
            thread.interrupt();
            thread.stop(); // ends loops that ignore interruption; see the class comment
        }
    }

    @Override
    public void close() {
        stop();
        super.close(); // the shared cell thread stays for other evaluators; it is a daemon
    }

    /** Hands JShell this one control instance so the evaluator can read results from it. */
    static final class Provider implements ExecutionControlProvider {
        private final InProcessExecutionControl control;

        Provider(InProcessExecutionControl control) {
            this.control = control;
        }

        @Override
        public String name() {
            return "peft4j-in-process";
        }

        @Override
        public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
            return control;
        }
    }
}
