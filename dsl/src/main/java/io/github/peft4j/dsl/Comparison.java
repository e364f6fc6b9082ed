package io.github.peft4j.dsl;

import io.github.peft4j.EvalResult;
import io.github.peft4j.PeftModel;
import io.github.peft4j.Plots;
import io.github.peft4j.TextDataset;
import io.github.peft4j.TrainingRun;
import io.github.peft4j.core.InvalidArgumentException;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Trains several methods on the same split with the same seed and options, then evaluates each on
 * the test part. Default methods: head only, SpaRTA at the density matching LoRA r=8, LoRA r=8, and
 * full fine-tuning. Shared options (steps, batch size, ...) are set on this object; each method keeps
 * its own default learning rate unless {@link #methods} passes a configured setup.
 */
public final class Comparison extends TrainingSetup<Comparison> {

    /** A named way to build a setup from the method choice. */
    public record Method(String label, Function<MethodChoice, TrainingSetup<?>> build) {
        public static Method sparseRandom(double density) {
            return new Method("SpaRTA d=" + density, c -> c.sparseRandom(density));
        }

        public static Method lora(int rank) {
            return new Method("LoRA r=" + rank, c -> c.lora(rank));
        }

        public static Method full() {
            return new Method("full", MethodChoice::full);
        }

        public static Method headOnly() {
            return new Method("head only", MethodChoice::headOnly);
        }

        /** SpaRTA with the same trainable count as LoRA at {@code rank} (per-tensor budget). */
        public static Method sparseRandomMatching(int rank) {
            return new Method("SpaRTA ~ LoRA r=" + rank, c -> c.sparseRandom(io.github.peft4j.Peft.densityForRank(c.model(), rank)));
        }
    }

    /** The comparison's table and chart, and every run. */
    public record Result(Table table, List<TrainingRun> runs, List<EvalResult> evaluations) {
        /** Accuracy against trainable parameters (log x). */
        public Plots.LineChart chart() {
            Plots.LineChart chart = Plots.sweep(table, "trainable", "accuracy", "method", true,
                    "Accuracy against trainable parameters");
            chart.setXAxisTitle("trainable parameters (log scale)");
            return chart;
        }

        @Override
        public String toString() {
            return table.printAll();
        }

        public String toHtml() {
            return "<pre>" + toString().replace("&", "&amp;").replace("<", "&lt;") + "</pre>";
        }
    }

    private final List<Method> methods = new ArrayList<>();

    public Comparison(PeftModel model) {
        super(model);
    }

    /** The methods to run, in order (replaces the defaults). */
    public Comparison methods(Method... chosen) {
        if (chosen.length == 0) {
            throw new InvalidArgumentException("Give at least one method, e.g. Comparison.Method.lora(8).");
        }
        methods.clear();
        methods.addAll(List.of(chosen));
        return this;
    }

    /** Trains every method on {@code split.train()} and evaluates on {@code split.test()}. */
    public Result on(TextDataset.Split split) {
        List<Method> chosen = methods.isEmpty()
                ? List.of(Method.headOnly(), Method.sparseRandomMatching(8), Method.lora(8), Method.full())
                : methods;
        MethodChoice choice = new MethodChoice(model);
        StringColumn name = StringColumn.create("method");
        LongColumn trainable = LongColumn.create("trainable");
        DoubleColumn percent = DoubleColumn.create("percent");
        DoubleColumn accuracy = DoubleColumn.create("accuracy");
        DoubleColumn f1 = DoubleColumn.create("f1");
        DoubleColumn mcc = DoubleColumn.create("mcc");
        DoubleColumn seconds = DoubleColumn.create("train_seconds");
        DoubleColumn memory = DoubleColumn.create("peak_memory_mib");
        List<TrainingRun> runs = new ArrayList<>();
        List<EvalResult> evals = new ArrayList<>();
        for (Method m : chosen) {
            TrainingSetup<?> setup = m.build().apply(choice).copyCommonFrom(this);
            TrainingRun run = setup.train(split.train());
            EvalResult r = run.evaluate(split.test());
            runs.add(run);
            evals.add(r);
            name.append(m.label());
            trainable.append(run.count().trainable());
            percent.append(100 * run.count().share());
            accuracy.append(r.accuracy());
            f1.append(r.f1());
            mcc.append(r.mcc());
            seconds.append(run.seconds());
            memory.append(run.peakMemoryBytes() / (1024.0 * 1024));
            if (!isQuiet()) {
                System.err.printf(Locale.ROOT, "%s: accuracy %.4f, F1 %.4f, MCC %.4f%n", m.label(), r.accuracy(), r.f1(), r.mcc());
            }
        }
        Table table = Table.create("Comparison on " + model.id(), name, trainable, percent, accuracy, f1, mcc, seconds, memory);
        return new Result(table, runs, evals);
    }

    @Override
    public io.github.peft4j.core.methods.AdaptationMethod method() {
        throw new InvalidArgumentException("A comparison trains several methods: call on(split), not train(data).");
    }

    @Override
    protected double defaultLearningRate() {
        return 1e-3;
    }

    @Override
    public String describe() {
        return "comparison of " + (methods.isEmpty() ? "head only, SpaRTA~LoRA r=8, LoRA r=8, full" : methods.stream().map(Method::label).toList());
    }
}
