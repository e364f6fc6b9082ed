package io.github.peft4j;

import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.InvalidArgumentException;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;
import tech.tablesaw.api.NumericColumn;
import tech.tablesaw.api.Table;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Charts for training runs and comparisons; all render headless. */
public final class Plots {
    static {
        // Charts are drawn off-screen; without this a server JVM may try to reach a display.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private Plots() {}

    /** An XChart line chart that can save itself: {@code run.plot().save(Path.of("loss.png"))}. */
    public static final class LineChart extends XYChart {
        LineChart(int width, int height) {
            super(width, height);
        }

        /** Writes a PNG (atomically: temp file then rename); returns the path. */
        public Path save(Path file) {
            return savePng(this, file);
        }
    }

    /**
     * Loss against step from a history table (columns step, loss): the raw loss faintly and an
     * exponential moving average (weight 0.9 on the past, bias-corrected) on top.
     */
    public static LineChart lossCurve(Table history, String title) {
        double[] steps = column(history, "step");
        double[] loss = column(history, "loss");
        if (steps.length == 0) {
            throw new InvalidArgumentException("The history is empty: nothing to plot (did training run any step?).");
        }
        LineChart chart = base(title, "optimizer step", "training loss");
        XYSeries raw = chart.addSeries("loss", steps, loss);
        raw.setMarker(SeriesMarkers.NONE);
        raw.setLineColor(new Color(120, 160, 220));
        raw.setLineWidth(1f);
        XYSeries smooth = chart.addSeries("smoothed (EMA 0.9)", steps, ema(loss, 0.9));
        smooth.setMarker(SeriesMarkers.NONE);
        smooth.setLineColor(new Color(200, 50, 30));
        smooth.setLineWidth(2.5f);
        return chart;
    }

    /**
     * One line per group: {@code y} against {@code x}, grouped by {@code series} (e.g. method),
     * points averaged over repeated x (seeds). Log x axis when asked (densities, parameter counts).
     */
    public static LineChart sweep(Table results, String x, String y, String series, boolean logX, String title) {
        for (String c : new String[] {x, y, series}) {
            if (c != null && !results.columnNames().contains(c)) {
                throw new InvalidArgumentException("No column '" + c + "' to plot. Available: " + results.columnNames());
            }
        }
        LineChart chart = base(title, x, y);
        chart.getStyler().setXAxisLogarithmic(logX);
        Map<String, Map<Double, double[]>> groups = new LinkedHashMap<>();
        for (int row = 0; row < results.rowCount(); row++) {
            String group = series == null ? y : results.column(series).getString(row);
            double xv = ((NumericColumn<?>) results.column(x)).getDouble(row);
            double yv = ((NumericColumn<?>) results.column(y)).getDouble(row);
            double[] sumCount = groups.computeIfAbsent(group, g -> new java.util.TreeMap<>()).computeIfAbsent(xv, k -> new double[2]);
            sumCount[0] += yv;
            sumCount[1]++;
        }
        for (Map.Entry<String, Map<Double, double[]>> g : groups.entrySet()) {
            double[] xs = g.getValue().keySet().stream().mapToDouble(Double::doubleValue).toArray();
            double[] ys = g.getValue().values().stream().mapToDouble(s -> s[0] / s[1]).toArray();
            XYSeries s = chart.addSeries(g.getKey(), xs, ys);
            s.setMarker(SeriesMarkers.CIRCLE);
        }
        return chart;
    }

    /** Density sweep: metric against SpaRTA density (log x), one line per method/series column. */
    public static LineChart densitySweep(Table results, String metric) {
        return sweep(results, "density", metric, results.columnNames().contains("method") ? "method" : null, true,
                metric + " against density");
    }

    /** Writes any XChart chart as PNG, atomically. */
    public static Path savePng(Chart<?, ?> chart, Path file) {
        try {
            Path absolute = file.toAbsolutePath();
            Path dir = absolute.getParent();
            Files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, ".plot-", ".png.tmp");
            try {
                try (var out = Files.newOutputStream(temp)) {
                    BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
                }
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temp);
            }
            return absolute;
        } catch (IOException e) {
            throw new FileFormatException(file, "cannot write PNG: " + e.getMessage() + ". Check the folder is writable.", e);
        }
    }

    static LineChart base(String title, String xTitle, String yTitle) {
        LineChart chart = new LineChart(800, 500);
        chart.setTitle(title);
        chart.setXAxisTitle(xTitle);
        chart.setYAxisTitle(yTitle);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesVisible(true);
        return chart;
    }

    /** Bias-corrected exponential moving average (as TensorBoard's smoothing). */
    static double[] ema(double[] values, double weight) {
        double[] out = new double[values.length];
        double avg = 0;
        double correction = 1;
        for (int i = 0; i < values.length; i++) {
            avg = weight * avg + (1 - weight) * values[i];
            correction *= weight;
            out[i] = avg / (1 - correction);
        }
        return out;
    }

    private static double[] column(Table table, String name) {
        if (!table.columnNames().contains(name)) {
            throw new InvalidArgumentException("No column '" + name + "'. Available: " + table.columnNames());
        }
        NumericColumn<?> c = (NumericColumn<?>) table.column(name);
        double[] out = new double[c.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = c.getDouble(i);
        }
        return out;
    }

}
