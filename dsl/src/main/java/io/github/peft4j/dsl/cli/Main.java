package io.github.peft4j.dsl.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.Adapter;
import io.github.peft4j.Datasets;
import io.github.peft4j.EvalResult;
import io.github.peft4j.Models;
import io.github.peft4j.Peft;
import io.github.peft4j.PeftModel;
import io.github.peft4j.TextDataset;
import io.github.peft4j.TrainingRun;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.Peft4jException;
import io.github.peft4j.core.io.EmbeddedMiniLm;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.core.methods.ParameterCount;
import io.github.peft4j.dsl.MethodChoice;
import io.github.peft4j.dsl.TrainingSetup;
import io.github.peft4j.dsl.data.Columns;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@code java -jar peft4j.jar COMMAND ...}. Exit codes: 0 success, 1 bad input (one line, no stack
 * trace unless {@code --verbose}), 2 usage error.
 */
public final class Main {
    static final String USAGE = String.join(System.lineSeparator(),
            "usage: java -jar peft4j.jar COMMAND [options]   (COMMAND --help for details)",
            "  quickstart   fine-tune the embedded MiniLM with SpaRTA on SpamAssassin (a few minutes on 2 cores)",
            "  train        fine-tune a model on a dataset with sparse-random, lora, full or head-only",
            "  evaluate     accuracy, F1, MCC of a saved adapter on labelled data",
            "  merge        write base + adapter as one model folder (safetensors)",
            "  inspect      describe a model folder, an adapter folder or a .safetensors file",
            "global: --verbose prints stack traces");

    private static final Map<String, String> HELP = Map.of(
            "quickstart", String.join(System.lineSeparator(),
                    "usage: quickstart [--steps N] [--out DIR] [--examples N] [--max-length T] [--density D] [--seed S]",
                    "  Trains SpaRTA (density 0.005) on a stratified sample of SpamAssassin (default 1000 emails,",
                    "  80% train / 20% test), prints accuracy before and after, writes the adapter and loss.png",
                    "  into DIR (default ./peft4j-quickstart). Defaults: 120 steps, 64 tokens, seed 7."),
            "train", String.join(System.lineSeparator(),
                    "usage: train --data NAME|FILE --out DIR [--model minilm|FOLDER] [--method sparse-random|lora|full|head-only]",
                    "             [--density D] [--rank R] [--alpha A] [--targets REGEX,...] [--steps N | --epochs N]",
                    "             [--batch-size B] [--lr LR] [--warmup N] [--max-length T] [--seed S] [--test-fraction F]",
                    "             [--text COL] [--label COL] [--pair COL]",
                    "  Data: a built-in name (" + String.join(", ", Datasets.BUILT_IN) + ") or a .csv/.tsv/.jsonl(.gz) file.",
                    "  Splits the data (stratified, seeded), trains, evaluates on the held-out part, saves the adapter,",
                    "  history.csv and loss.png into DIR."),
            "evaluate", String.join(System.lineSeparator(),
                    "usage: evaluate --adapter DIR --data NAME|FILE [--model minilm|FOLDER] [--text COL] [--label COL] [--pair COL]",
                    "                [--test-fraction F --seed S] [--json]",
                    "  Evaluates on the whole data, or on the held-out split when --test-fraction is given (same seed as train)."),
            "merge", String.join(System.lineSeparator(),
                    "usage: merge --adapter DIR --out DIR [--model minilm|FOLDER]",
                    "  Writes model.safetensors with the adapter merged in, plus config.json and tokenizer.json."),
            "inspect", String.join(System.lineSeparator(),
                    "usage: inspect PATH",
                    "  PATH: a model folder (architecture, parameters, dtypes), an adapter folder (method, targets,",
                    "  trainable entries, base fingerprint) or a .safetensors file (tensors, dtypes, shapes)."));

    private final PrintStream out;
    private final PrintStream err;

    Main(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        configureLaunch();
        System.exit(new Main(System.out, System.err).run(args));
    }

    /** DJL reads its thread settings once at engine start: default to every core unless the user chose. */
    static void configureLaunch() {
        String cores = Integer.toString(Runtime.getRuntime().availableProcessors());
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", cores);
        }
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    int run(String[] argv) {
        List<String> args = Arrays.asList(argv);
        boolean verbose = args.contains("--verbose");
        args = args.stream().filter(a -> !a.equals("--verbose")).toList();
        if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("-h") || args.get(0).equals("help")) {
            (args.isEmpty() ? err : out).println(USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        String command = args.get(0);
        List<String> rest = args.subList(1, args.size());
        if (!HELP.containsKey(command)) {
            err.println("error: unknown command '" + command + "'");
            err.println(USAGE);
            return 2;
        }
        if (rest.contains("--help") || rest.contains("-h")) {
            out.println(HELP.get(command));
            return 0;
        }
        try {
            switch (command) {
                case "quickstart" -> quickstart(rest);
                case "train" -> train(rest);
                case "evaluate" -> evaluate(rest);
                case "merge" -> merge(rest);
                default -> inspect(rest);
            }
            return 0;
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            err.println(HELP.get(command));
            return 2;
        } catch (Peft4jException e) {
            err.println("error: " + e.getMessage());
            if (verbose) {
                e.printStackTrace(err);
            }
            return 1;
        } catch (RuntimeException e) {
            err.println("error: unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + (verbose ? "" : " (run with --verbose for details)"));
            if (verbose) {
                e.printStackTrace(err);
            }
            return 1;
        }
    }

    // ---- quickstart ----

    private void quickstart(List<String> argv) {
        Args a = new Args(argv, Set.of("steps", "out", "examples", "max-length", "density", "seed"), Set.of());
        noPositional(a);
        Path outDir = Path.of(a.get("out", "peft4j-quickstart"));
        int seed = a.intValue("seed", 7);
        int examples = a.intValue("examples", 1000);
        int steps = a.intValue("steps", 120);
        int maxLength = a.intValue("max-length", 64);
        double density = a.doubleValue("density", 0.005);
        out.println("Loading the embedded all-MiniLM-L6-v2 and the SpamAssassin emails ...");
        PeftModel model = Models.miniLM().forClassification(2);
        TextDataset data = Datasets.spamAssassin().sample(examples, seed);
        TextDataset.Split split = data.split(0.8, seed);
        out.printf(Locale.ROOT, "%d training and %d test emails; always answering 'ham' would score %.4f%n",
                split.train().size(), split.test().size(), split.test().majorityRate());
        EvalResult before = model.evaluate(split.test());
        out.printf(Locale.ROOT, "accuracy before: %.4f%n", before.accuracy());
        TrainingRun run = Peft.on(model).sparseRandom(density).seed(seed).steps(steps).maxLength(maxLength).train(split.train());
        EvalResult after = run.evaluate(split.test());
        out.printf(Locale.ROOT, "accuracy after: %.4f%n", after.accuracy());
        out.println("trainable parameters: " + run.count());
        out.print(after);
        Path adapterDir = run.adapter().save(outDir.resolve("adapter"));
        Path png = run.plot().save(outDir.resolve("loss.png"));
        out.println("adapter saved to " + adapterDir.toAbsolutePath());
        out.println("loss curve saved to " + png);
    }

    // ---- train ----

    private static final Set<String> DATA_OPTIONS = Set.of("data", "text", "label", "pair", "test-fraction", "seed", "model");

    private void train(List<String> argv) {
        Set<String> options = new java.util.HashSet<>(DATA_OPTIONS);
        options.addAll(Set.of("out", "method", "density", "rank", "alpha", "targets", "steps", "epochs", "batch-size", "lr",
                "warmup", "max-length"));
        Args a = new Args(argv, options, Set.of());
        noPositional(a);
        Path outDir = Path.of(a.require("out"));
        long seed = a.intValue("seed", 42);
        for (String numeric : List.of("steps", "epochs", "batch-size", "warmup", "max-length", "rank")) {
            a.intValue(numeric, 0); // usage errors before any loading
        }
        for (String numeric : List.of("lr", "density", "alpha", "test-fraction")) {
            a.doubleValue(numeric, 0);
        }
        TextDataset data = data(a);
        if (!data.hasLabels()) {
            throw new InvalidArgumentException("The CLI trains classifiers: the data needs a label column (--label COL).");
        }
        TextDataset.Split split = data.split(1 - a.doubleValue("test-fraction", 0.2), seed);
        PeftModel model = model(a).forClassification(Math.max(2, data.numLabels()));
        TrainingSetup<?> setup = setup(Peft.on(model), a);
        setup.seed(seed).maxLength(a.intValue("max-length", 128)).batchSize(a.intValue("batch-size", 16));
        if (a.has("steps")) {
            setup.steps(a.intValue("steps", 0));
        } else if (a.has("epochs")) {
            setup.epochs(a.intValue("epochs", 1));
        }
        if (a.has("lr")) {
            setup.learningRate(a.doubleValue("lr", 0));
        }
        if (a.has("warmup")) {
            setup.warmup(a.intValue("warmup", 0));
        }
        TrainingRun run = setup.train(split.train());
        EvalResult eval = run.evaluate(split.test());
        out.println(run.summary());
        out.print(eval);
        Path adapterDir = run.adapter().save(outDir.resolve("adapter"));
        try {
            Files.createDirectories(outDir);
            run.history().write().csv(outDir.resolve("history.csv").toFile());
            io.github.peft4j.core.io.AtomicFiles.writeString(outDir.resolve("eval.json"), eval.toJson());
        } catch (IOException e) {
            throw new FileFormatException(outDir, "cannot write results: " + e.getMessage());
        }
        Path png = run.plot().save(outDir.resolve("loss.png"));
        out.println("adapter saved to " + adapterDir.toAbsolutePath());
        out.println("history, eval.json and " + png.getFileName() + " saved in " + outDir.toAbsolutePath());
    }

    private static TrainingSetup<?> setup(MethodChoice choice, Args a) {
        String method = a.get("method", "sparse-random");
        List<String> targets = a.has("targets") ? List.of(a.get("targets", "").split(",")) : null;
        switch (method) {
            case "sparse-random", "sparta" -> {
                var s = choice.sparseRandom(a.doubleValue("density", 0.005));
                return targets == null ? s : s.targets(targets.toArray(String[]::new));
            }
            case "lora" -> {
                var l = choice.lora(a.intValue("rank", 8));
                if (a.has("alpha")) {
                    l.alpha(a.doubleValue("alpha", 16));
                }
                return targets == null ? l : l.targets(targets.toArray(String[]::new));
            }
            case "full" -> {
                return choice.full();
            }
            case "head-only", "head" -> {
                return choice.headOnly();
            }
            default -> throw new UsageException("unknown --method '" + method + "': use sparse-random, lora, full or head-only");
        }
    }

    // ---- evaluate ----

    private void evaluate(List<String> argv) {
        Set<String> options = new java.util.HashSet<>(DATA_OPTIONS);
        options.add("adapter");
        Args a = new Args(argv, options, Set.of("json"));
        noPositional(a);
        Path adapterDir = Path.of(a.require("adapter"));
        TextDataset data = data(a);
        if (a.has("test-fraction")) {
            data = data.split(1 - a.doubleValue("test-fraction", 0.2), a.intValue("seed", 42)).test();
        }
        Adapter adapter = Adapter.load(adapterDir).applyTo(model(a));
        EvalResult result = adapter.evaluate(data);
        out.print(a.flag("json") ? result.toJson() + System.lineSeparator() : result.toString());
    }

    // ---- merge ----

    private void merge(List<String> argv) {
        Args a = new Args(argv, Set.of("adapter", "out", "model"), Set.of());
        noPositional(a);
        Path adapterDir = Path.of(a.require("adapter"));
        Path outDir = Path.of(a.require("out"));
        String modelArg = a.get("model", "minilm");
        Path modelFolder = modelArg.equalsIgnoreCase("minilm") ? EmbeddedMiniLm.folder() : Path.of(modelArg);
        Adapter adapter = Adapter.load(adapterDir).applyTo(Models.load(modelArg));
        adapter.merge();
        var store = adapter.core().model().parameters();
        Map<String, ai.djl.ndarray.NDArray> tensors = new java.util.LinkedHashMap<>();
        for (String name : store.names()) {
            tensors.put(name, store.get(name));
        }
        io.github.peft4j.core.io.AtomicFiles.writeDirectory(outDir, tmp -> {
            SafeTensors.writeArrays(tmp.resolve("model.safetensors"), tensors,
                    Map.of("format", "pt", "peft4j_merged_adapter", adapterDir.toAbsolutePath().toString()));
            for (String file : List.of("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")) {
                if (Files.isRegularFile(modelFolder.resolve(file))) {
                    Files.copy(modelFolder.resolve(file), tmp.resolve(file));
                }
            }
            if (Files.isRegularFile(adapterDir.resolve(Adapter.TASK_FILE))) {
                Files.copy(adapterDir.resolve(Adapter.TASK_FILE), tmp.resolve(Adapter.TASK_FILE));
            }
        });
        out.printf(Locale.ROOT, "merged %s adapter into %d tensors (%,d parameters); written to %s%n", adapter.method(),
                tensors.size(), store.totalCount(), outDir.toAbsolutePath());
    }

    // ---- inspect ----

    private void inspect(List<String> argv) {
        Args a = new Args(argv, Set.of(), Set.of());
        if (a.positional().size() != 1) {
            throw new UsageException("inspect takes exactly one PATH");
        }
        Path path = Path.of(a.positional().get(0));
        if (Files.isRegularFile(path)) {
            if (!path.toString().endsWith(".safetensors")) {
                throw new FileFormatException(path, "not a .safetensors file; inspect takes a model folder, an adapter folder or a .safetensors file.");
            }
            inspectSafetensors(path);
        } else if (Files.isRegularFile(path.resolve("adapter_config.json"))) {
            inspectAdapter(path);
        } else if (Files.isRegularFile(path.resolve("config.json"))) {
            inspectModel(path);
        } else if (Files.isDirectory(path)) {
            throw new FileFormatException(path, "neither a model folder (config.json) nor an adapter folder (adapter_config.json).");
        } else {
            throw new FileFormatException(path, "no such file or folder.");
        }
    }

    private void inspectSafetensors(Path file) {
        SafeTensors.Header h = SafeTensors.header(file);
        long total = 0;
        Map<String, Long> byDtype = new TreeMap<>();
        out.printf(Locale.ROOT, "%s: %d tensors%n", file, h.entries().size());
        for (SafeTensors.Entry e : h.entries().values()) {
            out.printf(Locale.ROOT, "  %-60s %-4s %s%n", e.name(), e.dtype(), Arrays.toString(e.shape()));
            total += e.numel();
            byDtype.merge(e.dtype(), e.numel(), Long::sum);
        }
        out.printf(Locale.ROOT, "total %,d values %s%n", total, byDtype);
        if (!h.metadata().isEmpty()) {
            out.println("metadata " + h.metadata());
        }
    }

    private void inspectModel(Path dir) {
        JsonNode config = readJson(dir.resolve("config.json"));
        out.printf(Locale.ROOT, "model folder %s%n  architecture %s (%s)%n", dir, config.path("model_type").asText("?"),
                config.path("architectures").toString());
        for (String key : List.of("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size",
                "max_position_embeddings", "n_embd", "n_layer", "n_head")) {
            if (config.has(key)) {
                out.printf(Locale.ROOT, "  %s %s%n", key, config.get(key).asText());
            }
        }
        long total = 0;
        Map<String, Long> byDtype = new TreeMap<>();
        int files = 0;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList()) {
                files++;
                for (SafeTensors.Entry e : SafeTensors.header(f).entries().values()) {
                    total += e.numel();
                    byDtype.merge(e.dtype(), e.numel(), Long::sum);
                }
            }
        } catch (IOException e) {
            throw new FileFormatException(dir, "cannot list: " + e.getMessage());
        }
        out.printf(Locale.ROOT, "  parameters %,d in %d safetensors file(s), by dtype %s%n", total, files, byDtype);
        out.println("  tokenizer.json " + (Files.isRegularFile(dir.resolve("tokenizer.json")) ? "present" : "MISSING"));
    }

    private void inspectAdapter(Path dir) {
        JsonNode config = readJson(dir.resolve("adapter_config.json"));
        String method = config.has("method") ? config.get("method").asText()
                : config.path("peft4j").path("method").asText(config.path("peft_type").asText("?"));
        out.printf(Locale.ROOT, "adapter folder %s%n  method %s%n", dir, method);
        out.println("  base model " + config.path("base_model_name_or_path").asText("?"));
        for (String key : List.of("density", "budget_mode", "r", "lora_alpha", "lora_dropout", "seed", "dropout")) {
            if (config.has(key)) {
                out.printf(Locale.ROOT, "  %s %s%n", key, config.get(key).asText());
            }
        }
        JsonNode targets = config.has("targets") ? config.get("targets") : config.get("target_modules");
        out.println("  targets " + (targets == null ? "?" : targets.toString()));
        String fingerprint = config.has("base_fingerprint") ? config.get("base_fingerprint").asText()
                : config.path("peft4j").path("base_fingerprint").asText("(not recorded)");
        out.println("  base fingerprint " + fingerprint);
        long trainable = 0;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList()) {
                for (SafeTensors.Entry e : SafeTensors.header(f).entries().values()) {
                    if (!e.name().startsWith("indices.")) {
                        trainable += e.numel();
                    }
                }
            }
        } catch (IOException e) {
            throw new FileFormatException(dir, "cannot list: " + e.getMessage());
        }
        out.printf(Locale.ROOT, "  trainable entries %,d (optimizer state while training %s)%n", trainable,
                ParameterCount.humanBytes(trainable * 2L * Float.BYTES));
        Path task = dir.resolve(Adapter.TASK_FILE);
        if (Files.isRegularFile(task)) {
            JsonNode t = readJson(task);
            out.println("  task " + t.path("task").asText() + (t.has("labels") ? ", labels " + t.get("labels") : ""));
        }
    }

    // ---- shared ----

    private static TextDataset data(Args a) {
        String source = a.require("data");
        Columns columns = Columns.classification(a.get("text", "text"), a.get("label", "label"));
        if (a.has("pair")) {
            columns = columns.withTextPair(a.get("pair", null));
        }
        return Datasets.load(source, columns);
    }

    private static PeftModel model(Args a) {
        return Models.load(a.get("model", "minilm"));
    }

    private static void noPositional(Args a) {
        if (!a.positional().isEmpty()) {
            throw new UsageException("unexpected argument '" + a.positional().get(0) + "'");
        }
    }

    private static JsonNode readJson(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new FileFormatException(file, "not valid JSON: " + e.getMessage());
        }
    }
}
