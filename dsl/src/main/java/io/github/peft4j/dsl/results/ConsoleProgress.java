package io.github.peft4j.dsl.results;

import io.github.peft4j.core.train.StepRecord;
import io.github.peft4j.core.train.TrainingListener;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress on stderr. On a terminal one line is redrawn in place ({@code \r}) at most 5 times a
 * second; otherwise (logs, CI, notebooks without a live display) a line is printed every 5 seconds,
 * plus the first and last step, so a run is never silent for long.
 */
public final class ConsoleProgress implements TrainingListener {
    private static final int BAR_WIDTH = 24;

    private final PrintStream out;
    private final boolean interactive;
    private final long intervalNanos;
    private long lastPrint;
    private long startNanos;
    private long totalSteps;
    private double smoothedLoss = Double.NaN;

    public ConsoleProgress(PrintStream out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
        this.intervalNanos = interactive ? 200_000_000L : 5_000_000_000L;
    }

    /** stderr, in-place when a console is attached. */
    public static ConsoleProgress stderr() {
        return new ConsoleProgress(System.err, System.console() != null);
    }

    @Override
    public void onStart(long totalSteps, String summary) {
        this.totalSteps = totalSteps;
        this.startNanos = System.nanoTime();
        this.lastPrint = 0;
        if (summary != null && !summary.isBlank()) {
            out.println(summary);
        }
    }

    @Override
    public void onStep(StepRecord r) {
        smoothedLoss = Double.isNaN(smoothedLoss) ? r.loss() : 0.9 * smoothedLoss + 0.1 * r.loss();
        long now = System.nanoTime();
        boolean last = r.step() >= r.totalSteps();
        if (r.step() > 1 && !last && now - lastPrint < intervalNanos) {
            return;
        }
        lastPrint = now;
        String line = line(r, (now - startNanos) / 1e9);
        if (interactive) {
            out.print("\r" + line);
            if (last) {
                out.println();
            }
        } else {
            out.println(line);
        }
        out.flush();
    }

    @Override
    public void onEnd(long stepsDone, double seconds) {
        if (interactive && stepsDone < totalSteps) {
            out.println();
        }
        out.printf(Locale.ROOT, "trained %d steps in %s%n", stepsDone, duration(seconds));
    }

    String line(StepRecord r, double elapsed) {
        long total = Math.max(r.totalSteps(), 1);
        double fraction = Math.min(1, (double) r.step() / total);
        int filled = (int) Math.round(fraction * BAR_WIDTH);
        double eta = r.step() == 0 ? 0 : elapsed / r.step() * (total - r.step());
        return String.format(Locale.ROOT, "[%s%s] step %d/%d  loss %.4f (avg %.4f)  lr %.2e  %s elapsed, ETA %s",
                "#".repeat(filled), ".".repeat(BAR_WIDTH - filled), r.step(), total, r.loss(), smoothedLoss,
                r.learningRate(), duration(elapsed), duration(eta));
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
