package io.github.peft4j.tests.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the raw per-process benchmark records ({@code results.jsonl}, one JSON object per line,
 * written by {@link BenchMain} and {@code tests/bench/peer.py}) into {@code report.json},
 * {@code report.md} and two charts. Usage: {@code BenchReport results.jsonl outDir}.
 */
public final class BenchReport {
    /** Which peer method each peft4j method is compared with. */
    static final Map<String, String> PAIRS = Map.of(
            "sparse-random", "shira", "lora", "lora", "full", "full", "head-only", "head-only");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One summarised configuration. */
    record Run(String impl, String method, double dropout, String label, long hidden, long layers,
               long trainable, long optimizerBytes, double median, double min, double max, double rssMb,
               double gflops, int steps, double load) {
        String key() {
            return impl + "/" + method + (dropout > 0 ? "+dropout" : "");
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: BenchReport results.jsonl outDir");
            System.exit(2);
        }
        Path results = Path.of(args[0]);
        Path outDir = Path.of(args[1]);
        Files.createDirectories(outDir);
        write(results, outDir);
    }

    static void write(Path results, Path outDir) throws IOException {
        List<JsonNode> records = new ArrayList<>();
        for (String line : Files.readAllLines(results, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                records.add(JSON.readTree(line));
            }
        }
        double peak = Double.NaN;
        String torchVersion = "?";
        List<Run> runs = new ArrayList<>();
        List<Run> scaling = new ArrayList<>();
        for (JsonNode r : records) {
            if ("matmul_peak".equals(r.path("kind").asText())) {
                peak = r.path("gflops").asDouble();
                torchVersion = r.path("torch").asText(torchVersion);
                continue;
            }
            Run run = summarise(r);
            ("scaling".equals(run.label()) ? scaling : runs).add(run);
        }

        ObjectNode root = JSON.createObjectNode();
        root.set("machine", machine(torchVersion));
        root.put("matmul_peak_gflops", round(peak));
        ArrayNode runArray = root.putArray("runs");
        runs.forEach(r -> runArray.add(toJson(r, false)));
        ArrayNode scalingArray = root.putArray("scaling");
        scaling.forEach(r -> scalingArray.add(toJson(r, true)));
        List<String[]> ratios = ratios(runs);
        ArrayNode ratioArray = root.putArray("ratios");
        for (String[] r : ratios) {
            ObjectNode o = ratioArray.addObject();
            o.put("peft4j", r[0]);
            o.put("peft", r[1]);
            o.put("step_time_ratio", Double.parseDouble(r[2]));
            o.put("peak_rss_ratio", Double.parseDouble(r[3]));
        }
        List<String[]> targets = targets(runs);
        ArrayNode targetArray = root.putArray("targets");
        for (String[] t : targets) {
            ObjectNode o = targetArray.addObject();
            o.put("target", t[0]);
            o.put("value", t[1]);
            o.put("met", t[2]);
        }
        Files.writeString(outDir.resolve("report.json"), JSON.writeValueAsString(root), StandardCharsets.UTF_8);
        String md = markdown(root, runs, scaling, ratios, targets, peak);
        Files.writeString(outDir.resolve("report.md"), md, StandardCharsets.UTF_8);
        System.out.print(md);
        if (!runs.isEmpty()) {
            stepChart(runs, outDir.resolve("step-times.png"));
        }
        if (!scaling.isEmpty()) {
            scalingChart(scaling, outDir.resolve("scaling.png"));
        }
    }

    static Run summarise(JsonNode r) {
        double[] ms = new double[r.path("step_ms").size()];
        for (int i = 0; i < ms.length; i++) {
            ms[i] = r.path("step_ms").get(i).asDouble();
        }
        if (ms.length == 0) {
            throw new IllegalArgumentException("record without step times: " + r);
        }
        double median = median(ms);
        String method = r.path("method").asText();
        FlopCount.Shape shape = new FlopCount.Shape(r.path("batch").asLong(), r.path("seq").asLong(),
                r.path("hidden").asLong(), r.path("intermediate").asLong(), r.path("layers").asLong(), 2);
        double gflops = FlopCount.step(method, shape, r.path("lora_r").asInt(8)) / (median / 1000.0) / 1e9;
        return new Run(r.path("impl").asText(), method, r.path("dropout").asDouble(), r.path("label").asText("main"),
                shape.hidden(), shape.layers(), r.path("trainable_params").asLong(), r.path("optimizer_bytes").asLong(),
                median, Arrays.stream(ms).min().orElseThrow(), Arrays.stream(ms).max().orElseThrow(),
                r.path("peak_rss_mb").asDouble(), gflops, ms.length,
                Math.max(r.path("load_before").asDouble(0), r.path("load_after").asDouble(0)));
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    private static ObjectNode toJson(Run r, boolean withSize) {
        ObjectNode o = JSON.createObjectNode();
        o.put("impl", r.impl());
        o.put("method", r.method());
        o.put("trainable_params", r.trainable());
        o.put("optimizer_bytes", r.optimizerBytes());
        o.put("step_ms_median", round(r.median()));
        o.put("step_ms_min", round(r.min()));
        o.put("step_ms_max", round(r.max()));
        o.put("peak_rss_mb", round(r.rssMb()));
        o.put("gflops", round(r.gflops()));
        o.put("dropout", r.dropout());
        o.put("steps", r.steps());
        o.put("load_average", r.load());
        if (withSize) {
            o.put("hidden", r.hidden());
            o.put("layers", r.layers());
        }
        return o;
    }

    private static ObjectNode machine(String torchVersion) {
        ObjectNode m = JSON.createObjectNode();
        m.put("cpu", firstValue(Path.of("/proc/cpuinfo"), "model name"));
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("memory", firstValue(Path.of("/proc/meminfo"), "MemTotal"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("java", System.getProperty("java.version"));
        m.put("torch_python", torchVersion);
        m.put("threads_per_run", 2);
        m.put("load_average_at_report", read(Path.of("/proc/loadavg")).trim());
        return m;
    }

    /** peft4j/peer step-time and RSS ratios for the matched pairs (dropout rows matched with dropout rows). */
    static List<String[]> ratios(List<Run> runs) {
        List<String[]> out = new ArrayList<>();
        for (Run mine : runs) {
            if (!mine.impl().equals("peft4j")) {
                continue;
            }
            Run peer = find(runs, "peft", PAIRS.get(mine.method()), mine.dropout());
            if (peer != null) {
                out.add(new String[] {mine.key(), peer.key(), fmt(mine.median() / peer.median()),
                        fmt(mine.rssMb() / peer.rssMb())});
            }
        }
        return out;
    }

    /** The targets: {description, measured value, "yes"/"no"/"not measured"}. */
    static List<String[]> targets(List<Run> runs) {
        Run sparse = find(runs, "peft4j", "sparse-random", 0);
        Run full = find(runs, "peft4j", "full", 0);
        Run shira = find(runs, "peft", "shira", 0);
        Run peftFull = find(runs, "peft", "full", 0);
        List<String[]> out = new ArrayList<>();
        out.add(target("peft4j SpaRTA step <= 1.0x PEFT SHiRA step", sparse, shira, (a, b) -> a.median() / b.median(), 1.0));
        out.add(target("peft4j SpaRTA step <= 0.8x peft4j full FT step", sparse, full, (a, b) -> a.median() / b.median(), 0.8));
        out.add(target("peft4j full FT step <= 1.1x PEFT/torch full FT step", full, peftFull, (a, b) -> a.median() / b.median(), 1.1));
        out.add(target("peft4j SpaRTA peak RSS <= PEFT SHiRA peak RSS", sparse, shira, (a, b) -> a.rssMb() / b.rssMb(), 1.0));
        out.add(target("peft4j SpaRTA optimizer bytes <= 1% of peft4j full FT's", sparse, full,
                (a, b) -> (double) a.optimizerBytes() / b.optimizerBytes(), 0.01));
        return out;
    }

    private static String[] target(String what, Run a, Run b, java.util.function.ToDoubleBiFunction<Run, Run> ratio, double limit) {
        if (a == null || b == null) {
            return new String[] {what, "n/a", "not measured"};
        }
        double v = ratio.applyAsDouble(a, b);
        return new String[] {what, fmt(v), v <= limit ? "yes" : "no"};
    }

    private static Run find(List<Run> runs, String impl, String method, double dropout) {
        for (Run r : runs) {
            if (r.impl().equals(impl) && r.method().equals(method) && (r.dropout() > 0) == (dropout > 0)) {
                return r;
            }
        }
        return null;
    }

    private static String markdown(ObjectNode root, List<Run> runs, List<Run> scaling, List<String[]> ratios,
                                   List<String[]> targets, double peak) {
        StringBuilder sb = new StringBuilder();
        sb.append("# peft4j training-step benchmark\n\n");
        sb.append("Machine: ").append(root.path("machine").toString()).append("\n\n");
        sb.append(String.format(Locale.ROOT, "fp32 matmul peak (torch, 2048x2048, 2 threads): **%.1f GFLOP/s**%n%n", peak));
        sb.append("One process per row, run one after another, 2 threads each, MALLOC_ARENA_MAX=1, batch 16 x 128 tokens.\n\n");
        double cores = Runtime.getRuntime().availableProcessors();
        long busy = java.util.stream.Stream.concat(runs.stream(), scaling.stream()).filter(r -> r.load() > cores + 0.5).count();
        if (busy > 0) {
            sb.append(String.format(Locale.ROOT, "**Warning: %d of %d runs saw a 1-minute load average above %.0f (the core"
                    + " count): other processes competed for the CPU, so their times and ratios are not meaningful."
                    + " Re-run on a quiet machine.**%n%n", busy, runs.size() + scaling.size(), cores));
        }
        sb.append("| impl | method | dropout | trainable | optimizer bytes | median ms | min-max ms | peak RSS MB | GFLOP/s | % of peak |\n");
        sb.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Run r : runs) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %,d | %,d | %.1f | %.1f-%.1f | %.0f | %.1f | %.0f%% |%n",
                    r.impl(), r.method(), r.dropout(), r.trainable(), r.optimizerBytes(), r.median(), r.min(), r.max(),
                    r.rssMb(), r.gflops(), 100 * r.gflops() / peak));
        }
        if (!ratios.isEmpty()) {
            sb.append("\n## peft4j / peer (matched pairs)\n\n| peft4j | peer | step time ratio | peak RSS ratio |\n|---|---|---:|---:|\n");
            for (String[] r : ratios) {
                sb.append("| ").append(String.join(" | ", r)).append(" |\n");
            }
        }
        sb.append("\n## Targets (printed, not asserted)\n\n| target | measured | met |\n|---|---:|---|\n");
        for (String[] t : targets) {
            sb.append("| ").append(String.join(" | ", t)).append(" |\n");
        }
        if (!scaling.isEmpty()) {
            sb.append("\n## Scaling (random BERT configs)\n\n| impl | method | hidden | layers | trainable | median ms | peak RSS MB | GFLOP/s |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
            for (Run r : scaling) {
                sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %,d | %.1f | %.0f | %.1f |%n",
                        r.impl(), r.method(), r.hidden(), r.layers(), r.trainable(), r.median(), r.rssMb(), r.gflops()));
            }
        }
        sb.append("\nGFLOP/s use the analytic count in FlopCount.java: forward F = L(8NH^2 + 4NHI + 4BT^2H) + head; "
                + "full FT 3F; frozen weights need only input gradients; SpaRTA/SHiRA add dense weight gradients of Wv and Wo; "
                + "LoRA adds its rank-r products; head-only is about F.\n");
        return sb.toString();
    }

    private static void stepChart(List<Run> runs, Path png) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(900).height(500)
                .title("Training step, MiniLM-L6, batch 16 x 128, 2 threads").xAxisTitle("method").yAxisTitle("median ms").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setDecimalPattern("#,##0");
        // one group per measured pair (dropout rows included), bars: peft4j and the peer
        List<String> groups = new ArrayList<>();
        List<Double> mine = new ArrayList<>();
        List<Double> theirs = new ArrayList<>();
        for (Run r : runs) {
            if (!r.impl().equals("peft4j")) {
                continue;
            }
            Run peer = find(runs, "peft", PAIRS.get(r.method()), r.dropout());
            String peerName = PAIRS.get(r.method());
            groups.add((peerName.equals(r.method()) ? r.method() : r.method() + " / " + peerName)
                    + (r.dropout() > 0 ? " +dropout" : ""));
            mine.add((double) Math.round(r.median()));
            theirs.add(peer == null ? 0.0 : (double) Math.round(peer.median()));
        }
        chart.addSeries("peft4j (DJL)", groups, mine);
        chart.addSeries("HF PEFT / torch", groups, theirs);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void scalingChart(List<Run> scaling, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(500)
                .title("peft4j step time vs model size (random BERT)").xAxisTitle("parameters (millions, encoder)")
                .yAxisTitle("median step ms").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        Map<String, List<Run>> byMethod = new LinkedHashMap<>();
        for (Run r : scaling) {
            byMethod.computeIfAbsent(r.impl() + " " + r.method(), k -> new ArrayList<>()).add(r);
        }
        for (Map.Entry<String, List<Run>> e : byMethod.entrySet()) {
            List<Run> rs = new ArrayList<>(e.getValue());
            rs.sort((a, b) -> Long.compare(a.hidden() * a.hidden() * a.layers(), b.hidden() * b.hidden() * b.layers()));
            double[] x = rs.stream().mapToDouble(r -> 12.0 * r.hidden() * r.hidden() * r.layers() / 1e6).toArray();
            double[] y = rs.stream().mapToDouble(Run::median).toArray();
            chart.addSeries(e.getKey(), x, y);
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static String firstValue(Path file, String key) {
        for (String line : read(file).split("\n")) {
            if (line.startsWith(key)) {
                int colon = line.indexOf(':');
                return colon < 0 ? line : line.substring(colon + 1).trim();
            }
        }
        return "?";
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    private static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 100) / 100.0 : v;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

}
