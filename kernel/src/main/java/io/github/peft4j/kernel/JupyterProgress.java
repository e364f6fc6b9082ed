package io.github.peft4j.kernel;

import io.github.peft4j.core.train.StepRecord;
import io.github.peft4j.core.train.TrainingListener;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;

import java.util.Locale;
import java.util.UUID;
import java.util.function.LongSupplier;

/**
 * Training progress as ONE notebook display updated in place: a bar, step/total, loss and
 * ETA. Updates are throttled (at most one per {@code minIntervalNanos}, default 0.5 s) because
 * each one is a message to the browser; the first and the last step are always shown.
 */
public final class JupyterProgress implements TrainingListener {

    static final long DEFAULT_INTERVAL_NANOS = 500_000_000L;

    private final long minIntervalNanos;
    private final LongSupplier clock;
    private final String displayId = "peft4j-progress-" + UUID.randomUUID();
    private String summary = "";
    private long totalSteps;
    private long startNanos;
    private long lastShownNanos;
    private StepRecord lastRecord;
    private boolean shown;
    private int updatesSent;

    public JupyterProgress() {
        this(DEFAULT_INTERVAL_NANOS, System::nanoTime);
    }

    JupyterProgress(long minIntervalNanos, LongSupplier clock) {
        this.minIntervalNanos = minIntervalNanos;
        this.clock = clock;
    }

    @Override
    public void onStart(long totalSteps, String summary) {
        this.totalSteps = totalSteps;
        this.summary = summary == null ? "" : summary;
        this.startNanos = clock.getAsLong();
        this.lastShownNanos = startNanos;
        show(render(null, false), false);
    }

    @Override
    public void onStep(StepRecord record) {
        lastRecord = record;
        if (startNanos == 0) {
            onStart(record.totalSteps(), "");
        }
        long now = clock.getAsLong();
        boolean last = record.totalSteps() > 0 && record.step() >= record.totalSteps();
        if (now - lastShownNanos >= minIntervalNanos || last || record.step() <= 1) {
            lastShownNanos = now;
            show(render(record, false), true);
        }
    }

    @Override
    public void onEnd(long stepsDone, double seconds) {
        show(render(lastRecord, true), true);
    }

    /** How many in-place updates were sent (tests check the throttle). */
    int updatesSent() {
        return updatesSent;
    }

    String displayId() {
        return displayId;
    }

    private void show(DisplayData data, boolean update) {
        data.setDisplayId(displayId);
        if (update && shown) {
            updatesSent++;
            Notebook.publish(data, true);
        } else if (!update || !shown) {
            shown = true;
            Notebook.publish(data, false);
        }
    }

    DisplayData render(StepRecord record, boolean finished) {
        long total = record != null && record.totalSteps() > 0 ? record.totalSteps() : totalSteps;
        long step = record == null ? 0 : record.step();
        double fraction = total > 0 ? Math.min(1.0, (double) step / total) : 0;
        double elapsed = (clock.getAsLong() - startNanos) / 1e9;
        String eta = step > 0 && total > step ? duration(elapsed / step * (total - step)) : "-";
        String loss = record == null ? "-" : String.format(Locale.ROOT, "%.4f", record.loss());
        String state = finished ? "done in " + duration(elapsed) : "ETA " + eta;

        int width = 30;
        int filled = (int) Math.round(fraction * width);
        String text = String.format(Locale.ROOT, "%s[%s%s] %d/%d  loss %s  %s",
                summary.isBlank() ? "" : summary + " ", "=".repeat(filled), " ".repeat(width - filled),
                step, total, loss, state);
        String html = String.format(Locale.ROOT,
                "<div class=\"peft4j-progress\">%s<progress value=\"%d\" max=\"%d\" style=\"width:20em\"></progress>"
                        + " <code>%d/%d</code> &nbsp; loss <code>%s</code> &nbsp; %s</div>",
                summary.isBlank() ? "" : "<b>" + RichDisplay.escape(summary) + "</b><br/>",
                step, Math.max(1, total), step, total, loss, RichDisplay.escape(state));
        DisplayData data = new DisplayData(text);
        data.putHTML(html);
        return data;
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
        }
        return (s / 3600) + "h" + String.format(Locale.ROOT, "%02d", (s % 3600) / 60) + "m";
    }
}
