package io.github.peft4j.tests.reliability;

import io.github.peft4j.core.Peft4jException;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs fuzz cases one at a time on a worker thread, each under a wall-clock timeout, and measures
 * the heap bytes the case allocated (HotSpot's per-thread allocation counter, read on the worker
 * before and after). A case passes when it returns normally or throws a {@link Peft4jException};
 * anything else (NPE, ArithmeticException, OutOfMemoryError, a timeout, too many bytes) is a
 * finding, collected with the case's name so one run reports every failure at once.
 */
final class FuzzHarness implements AutoCloseable {
    /** One fuzz input: a name to reproduce it by and the code that loads it. */
    interface Case {
        void run() throws Exception;
    }

    enum Outcome { LOADED, REJECTED }

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Number of generated cases: CI default, more with -Dpeft4j.fuzz.cases=N. */
    static int cases(int ciDefault) {
        return Integer.getInteger("peft4j.fuzz.cases", ciDefault);
    }

    private final long timeoutMillis;
    private final long maxAllocatedBytes;
    private final ExecutorService worker;
    private final List<String> findings = new ArrayList<>();
    private int loaded;
    private int rejected;
    private long maxSeenBytes;
    private String maxSeenCase = "";
    private long maxSeenMillis;

    FuzzHarness(String name, long timeoutMillis, long maxAllocatedBytes) {
        this.timeoutMillis = timeoutMillis;
        this.maxAllocatedBytes = maxAllocatedBytes;
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz-" + name);
            t.setDaemon(true); // a hung case must not keep the test JVM alive
            return t;
        });
    }

    /** Runs one case; failures are recorded, not thrown, so the run continues. */
    Outcome run(String caseName, Case c) {
        long start = System.nanoTime();
        Future<Object[]> f = worker.submit(() -> {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            Throwable thrown = null;
            try {
                c.run();
            } catch (Throwable t) {
                thrown = t;
            }
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            return new Object[] {thrown, allocated};
        });
        Object[] r;
        try {
            r = f.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            findings.add(caseName + ": no result within " + timeoutMillis + " ms");
            // The worker may be stuck for good; later cases would only time out behind it.
            throw new AssertionError(report());
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError("harness failure in " + caseName, e);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        Throwable thrown = (Throwable) r[0];
        long allocated = (Long) r[1];
        if (allocated > maxSeenBytes) {
            maxSeenBytes = allocated;
            maxSeenCase = caseName;
        }
        maxSeenMillis = Math.max(maxSeenMillis, millis);
        if (allocated > maxAllocatedBytes) {
            findings.add(caseName + ": allocated " + allocated / (1 << 20) + " MB, bound is "
                    + maxAllocatedBytes / (1 << 20) + " MB");
        }
        if (thrown == null) {
            loaded++;
            return Outcome.LOADED;
        }
        if (thrown instanceof Peft4jException) {
            if (thrown.getMessage() == null || thrown.getMessage().isBlank()) {
                findings.add(caseName + ": " + thrown.getClass().getSimpleName() + " without a message");
            }
            rejected++;
            return Outcome.REJECTED;
        }
        java.io.StringWriter sw = new java.io.StringWriter();
        thrown.printStackTrace(new java.io.PrintWriter(sw));
        String trace = sw.toString();
        findings.add(caseName + ": " + trace.substring(0, Math.min(trace.length(), 1500)));
        return null;
    }

    int loaded() {
        return loaded;
    }

    int rejected() {
        return rejected;
    }

    List<String> findings() {
        return findings;
    }

    long maxSeenBytes() {
        return maxSeenBytes;
    }

    String report() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%d loaded, %d rejected, %d findings; max allocation %.1f MB (%s), slowest %d ms%n",
                loaded, rejected, findings.size(), maxSeenBytes / 1048576.0, maxSeenCase, maxSeenMillis));
        for (String f : findings.subList(0, Math.min(findings.size(), 20))) {
            sb.append("  ").append(f).append('\n');
        }
        return sb.toString();
    }

    /** Fails the test if any case was a finding; prints the summary either way. */
    void assertClean() {
        System.out.println(report());
        if (!findings.isEmpty()) {
            throw new AssertionError(report());
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
