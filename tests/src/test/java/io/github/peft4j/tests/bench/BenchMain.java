package io.github.peft4j.tests.bench;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.io.EmbeddedMiniLm;
import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.core.methods.AdaptationMethod;
import io.github.peft4j.core.methods.Adapter;
import io.github.peft4j.core.methods.ParameterCount;
import io.github.peft4j.core.methods.Targets;
import io.github.peft4j.core.methods.full.FullFineTuning;
import io.github.peft4j.core.methods.head.HeadOnly;
import io.github.peft4j.core.methods.lora.Lora;
import io.github.peft4j.core.methods.sparse.SparseRandom;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.models.Bert;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.Models;
import io.github.peft4j.core.models.Task;
import io.github.peft4j.core.train.BatchSource;
import io.github.peft4j.core.train.StepRecord;
import io.github.peft4j.core.train.Trainer;
import io.github.peft4j.core.train.TrainingListener;
import io.github.peft4j.core.train.TrainingOptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * peft4j side of the training-step benchmark: ONE configuration per process (run.sh starts one
 * after another), timed through the library's own {@link Trainer} so that what is measured is what
 * users run (masked AdamW, gradient-norm clip, divergence check included; the Python peer clips too).
 *
 * <pre>
 * BenchMain run --model DIR --batch FILE --method sparse-random|lora|full|head-only
 *               [--dropout 0.1] [--steps 15] [--warmup 3] [--label main|scaling] --out results.jsonl
 * BenchMain minilm-folder        prints the HF folder of the embedded all-MiniLM-L6-v2
 * </pre>
 */
public final class BenchMain {
    /** LoRA rank whose trainable count SpaRTA's budget matches (r·(m+n) entries per adapted matrix). */
    static final int LORA_RANK = 8;

    public static void main(String[] args) throws IOException {
        if (args.length == 1 && args[0].equals("minilm-folder")) {
            System.out.println(EmbeddedMiniLm.folder());
            return;
        }
        if (args.length < 1 || !args[0].equals("run")) {
            System.err.println("usage: BenchMain run --model DIR --batch FILE --method M [--dropout p] [--steps n]"
                    + " [--warmup n] [--label l] --out FILE | BenchMain minilm-folder");
            System.exit(2);
        }
        Map<String, String> opt = options(args);
        run(Path.of(require(opt, "model")), Path.of(require(opt, "batch")), require(opt, "method"),
                Float.parseFloat(opt.getOrDefault("dropout", "0")), Integer.parseInt(opt.getOrDefault("steps", "15")),
                Integer.parseInt(opt.getOrDefault("warmup", "3")), opt.getOrDefault("label", "main"),
                Path.of(require(opt, "out")));
    }

    static void run(Path modelDir, Path batchFile, String method, float dropout, int steps, int warmup,
                    String label, Path out) throws IOException {
        double loadBefore = loadAverage();   // a busy machine makes the numbers meaningless: the report flags it
        Map<String, HostTensor> batch = SafeTensors.read(batchFile);
        try (Model loaded = Models.load(modelDir)) {
            // transformers' BertForSequenceClassification reads [CLS] through the pooler (drawn fresh when the
            // checkpoint has none, as MiniLM's): the same head here, so both sides train the same modules
            Model model = loaded.task() == Task.CLASSIFICATION ? loaded
                    : loaded instanceof Bert bert ? bert.forClassification(2, 42, Bert.Pooling.POOLER)
                    : Models.forClassification(loaded, 2, 42);
            model.setDropout(dropout);
            try (Adapter adapter = method(method, model).attach(model)) {
                List<Double> stepMs = new ArrayList<>();
                List<Double> losses = new ArrayList<>();
                TrainingListener timer = new TrainingListener() {
                    private double last;

                    @Override
                    public void onStep(StepRecord r) {
                        if (r.step() > warmup) {
                            stepMs.add((r.seconds() - last) * 1000.0);
                        }
                        last = r.seconds();
                        losses.add(r.loss());
                    }
                };
                TrainingOptions options = TrainingOptions.defaults().withSteps(warmup + steps).withWarmup(0)
                        .withLearningRate(1e-4).withLogEvery(1);
                new Trainer(options).listener(timer).train(adapter, fixedBatch(batch));

                ParameterCount count = adapter.count();
                ObjectMapper json = new ObjectMapper();
                ObjectNode rec = json.createObjectNode();
                rec.put("impl", "peft4j");
                rec.put("method", method);
                rec.put("dropout", dropout);
                rec.put("label", label);
                rec.put("model", modelDir.toString());
                Map<String, Long> dims = dims(model);
                dims.forEach(rec::put);
                rec.put("batch", batch.get("input_ids").shape()[0]);
                rec.put("seq", batch.get("input_ids").shape()[1]);
                rec.put("lora_r", LORA_RANK);
                rec.put("trainable_params", count.trainable());
                rec.put("optimizer_bytes", count.optimizerStateBytes());
                stepMs.forEach(rec.putArray("step_ms")::add);
                losses.forEach(rec.putArray("losses")::add);
                rec.put("peak_rss_mb", peakRssMb());
                rec.put("threads", Integer.getInteger("ai.djl.pytorch.num_threads", -1));
                rec.put("load_before", loadBefore);
                rec.put("load_after", loadAverage());
                Files.createDirectories(out.toAbsolutePath().getParent());
                Files.writeString(out, json.writeValueAsString(rec) + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                System.out.printf(java.util.Locale.ROOT, "peft4j %s dropout %.2f: %s, median %.1f ms, peak RSS %.0f MB%n",
                        method, dropout, count, BenchReport.median(stepMs.stream().mapToDouble(d -> d).toArray()),
                        peakRssMb());
            }
        }
    }

    /** The method under test; SpaRTA's density gives it exactly LoRA r=8's count on the same targets. */
    static AdaptationMethod method(String name, Model model) {
        switch (name) {
            case "sparse-random":
                return SparseRandom.of(loraEquivalentDensity(model, LORA_RANK));
            case "lora":
                return Lora.of(LORA_RANK);
            case "full":
                return new FullFineTuning();
            case "head-only":
                return new HeadOnly();
            default:
                throw new IllegalArgumentException("unknown method " + name + "; use sparse-random, lora, full or head-only");
        }
    }

    /** Density at which SpaRTA's per-tensor exact count equals LoRA rank r's r·(m+n) on every target. */
    static double loraEquivalentDensity(Model model, int rank) {
        long budget = 0;
        long targeted = 0;
        for (String name : Targets.resolve(model, Targets.VALUE_AND_OUTPUT, false)) {
            long[] shape = model.parameters().shape(name).getShape();
            budget += rank * (shape[0] + shape[1]);
            targeted += shape[0] * shape[1];
        }
        return (double) budget / targeted;
    }

    /** hidden, intermediate and layer count read off the weights (for the FLOP count). */
    static Map<String, Long> dims(Model model) {
        Map<String, Long> d = new HashMap<>();
        long layers = 0;
        for (String n : model.parameters().names()) {
            if (n.matches(".*encoder\\.layer\\.\\d+\\.attention\\.self\\.value\\.weight")) {
                layers++;
                d.put("hidden", model.parameters().shape(n).get(0));
            }
            if (n.matches(".*encoder\\.layer\\.0\\.intermediate\\.dense\\.weight")) {
                d.put("intermediate", model.parameters().shape(n).get(0));
            }
        }
        d.put("layers", layers);
        return d;
    }

    /** The same batch every step; arrays are created in the step's scope so the Trainer frees them. */
    static BatchSource fixedBatch(Map<String, HostTensor> t) {
        return new BatchSource() {
            @Override
            public int batchesPerEpoch() {
                return 1;
            }

            @Override
            public Batch batch(int epoch, int index, NDManager scope) {
                return new Batch(t.get("input_ids").toNDArray(scope), t.get("attention_mask").toNDArray(scope),
                        t.get("token_type_ids").toNDArray(scope), t.get("labels").toNDArray(scope));
            }
        };
    }

    /** One-minute load average. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> opt = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got '" + args[i] + "'");
            }
            opt.put(args[i].substring(2), args[++i]);
        }
        return opt;
    }

    private static String require(Map<String, String> opt, String key) {
        String v = opt.get(key);
        if (v == null) {
            throw new IllegalArgumentException("missing --" + key);
        }
        return v;
    }
}
