package io.github.peft4j;

import io.github.peft4j.core.methods.ParameterCount;
import tech.tablesaw.api.Table;

import java.nio.file.Path;
import java.util.Locale;

/**
 * The result of {@code Peft.on(model).<method>(...).train(data)}: the trained adapter, the loss
 * history, timing and memory, and evaluation on any labelled data.
 */
public final class TrainingRun {
    private final String method;
    private final String summary;
    private final Adapter adapter;
    private final Table history;
    private final Table evalHistory;
    private final EvalResult finalEval;
    private final double seconds;
    private final long peakMemoryBytes;
    private final ParameterCount count;

    public TrainingRun(String method, String summary, Adapter adapter, Table history, Table evalHistory,
                       EvalResult finalEval, double seconds, long peakMemoryBytes, ParameterCount count) {
        this.method = method;
        this.summary = summary;
        this.adapter = adapter;
        this.history = history;
        this.evalHistory = evalHistory;
        this.finalEval = finalEval;
        this.seconds = seconds;
        this.peakMemoryBytes = peakMemoryBytes;
        this.count = count;
    }

    /** Accuracy, F1, MCC, balanced accuracy and confusion matrix on {@code data}. */
    public EvalResult evaluate(TextDataset data) {
        return adapter.evaluate(data);
    }

    /** One row per optimizer step: step, epoch, loss, lr, grad_norm, seconds. */
    public Table history() {
        return history.copy();
    }

    /** Periodic evaluation (step, accuracy, f1, mcc) when trained with evalEvery and an eval set; else null. */
    public Table evalHistory() {
        return evalHistory == null ? null : evalHistory.copy();
    }

    /** Evaluation on the eval set given to {@code train(data, eval)} at the end of training, or null. */
    public EvalResult finalEvaluation() {
        return finalEval;
    }

    /** Loss against step (raw and smoothed); {@code plot().save(Path.of("loss.png"))} writes a PNG. */
    public Plots.LineChart plot() {
        return Plots.lossCurve(history, "Training loss: " + method);
    }

    /** Saves the loss curve as PNG. */
    public Path savePlot(Path png) {
        return plot().save(png);
    }

    public Adapter adapter() {
        return adapter;
    }

    public ParameterCount count() {
        return count;
    }

    public double seconds() {
        return seconds;
    }

    /** Peak resident memory of the process at the end of training (bytes). */
    public long peakMemoryBytes() {
        return peakMemoryBytes;
    }

    public String method() {
        return method;
    }

    /** Loss averaged over the last 10% of steps (at least 1). */
    public double finalLoss() {
        int n = history.rowCount();
        if (n == 0) {
            return Double.NaN;
        }
        int last = Math.max(1, n / 10);
        double sum = 0;
        for (int i = n - last; i < n; i++) {
            sum += history.doubleColumn("loss").getDouble(i);
        }
        return sum / last;
    }

    /** Multi-line description: configuration, parameters, time, memory, final loss. */
    public String summary() {
        StringBuilder sb = new StringBuilder(summary).append(System.lineSeparator());
        sb.append(String.format(Locale.ROOT, "trained %d steps in %.1f s (%.2f s/step), peak memory %s, final loss %.4f",
                history.rowCount(), seconds, history.rowCount() == 0 ? 0 : seconds / history.rowCount(),
                ParameterCount.humanBytes(peakMemoryBytes), finalLoss()));
        if (finalEval != null) {
            sb.append(System.lineSeparator()).append("eval: ").append(finalEval.toString().lines().findFirst().orElse(""));
        }
        return sb.toString();
    }

    public String toHtml() {
        return "<pre>" + summary().replace("&", "&amp;").replace("<", "&lt;") + "</pre>";
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "TrainingRun[%s, %s, %d steps, %.1f s, final loss %.4f]", method, count,
                history.rowCount(), seconds, finalLoss());
    }
}
