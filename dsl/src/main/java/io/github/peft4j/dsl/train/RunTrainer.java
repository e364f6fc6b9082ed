package io.github.peft4j.dsl.train;

import ai.djl.Device;
import io.github.peft4j.Adapter;
import io.github.peft4j.AdapterAccess;
import io.github.peft4j.EvalResult;
import io.github.peft4j.PeftModel;
import io.github.peft4j.Progress;
import io.github.peft4j.TextDataset;
import io.github.peft4j.TrainingRun;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.methods.ParameterCount;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.Task;
import io.github.peft4j.core.tensor.Devices;
import io.github.peft4j.core.train.StepRecord;
import io.github.peft4j.core.train.Trainer;
import io.github.peft4j.core.train.TrainingListener;
import io.github.peft4j.core.train.TrainingOptions;
import io.github.peft4j.core.train.TrainingResult;
import io.github.peft4j.dsl.TrainingSetup;
import io.github.peft4j.dsl.data.Encoder;
import io.github.peft4j.dsl.data.Example;
import io.github.peft4j.dsl.data.LabelMap;
import io.github.peft4j.dsl.data.TextBatches;
import io.github.peft4j.dsl.results.History;
import io.github.peft4j.dsl.results.Memory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Turns a {@link TrainingSetup} and data into a {@link TrainingRun} using core's Trainer. */
public final class RunTrainer {
    private RunTrainer() {}

    public static TrainingRun run(TrainingSetup<?> setup, TextDataset data, TextDataset eval) {
        PeftModel model = setup.model();
        if (data == null) {
            throw new InvalidArgumentException("No training data: pass a TextDataset (e.g. Datasets.spamAssassin()).");
        }
        LabelMap labels = checkData(model, data, "training");
        if (eval != null) {
            checkData(model, eval, "evaluation");
        }
        checkDevice(setup.device(), model);

        Model core = model.coreFor(setup.seed());
        if (setup.modelDropout() != null) {
            core.setDropout(setup.modelDropout());
        }
        io.github.peft4j.core.methods.Adapter coreAdapter = setup.method().attach(core);
        Adapter adapter = AdapterAccess.create(model, coreAdapter, labels, setup.maxLength());

        List<Example> examples = model.task() == Task.CLASSIFICATION
                ? Encoder.classification(data, labels, model.tokenizer(), setup.maxLength())
                : Encoder.causalLM(data, model.tokenizer(), setup.maxLength());
        TextBatches batches = TextBatches.training(examples, setup.batchSize(), setup.seed(), model.tokenizer().padId(), true);
        long totalSteps = setup.steps() > 0 ? setup.steps() : (long) setup.epochs() * batches.batchesPerEpoch();
        TrainingOptions options = TrainingOptions.defaults()
                .withSeed(setup.seed())
                .withLearningRate(setup.learningRate())
                .withWarmup(setup.warmupFor(totalSteps))
                .withSchedule(setup.schedule())
                .withWeightDecay(setup.weightDecay())
                .withClipNorm(setup.clipNorm())
                .withLogEvery(1)
                .withSteps(totalSteps);

        ParameterCount count = coreAdapter.count();
        String summary = summary(setup, model, count, totalSteps, data.size());
        History history = new History();
        Trainer trainer = new Trainer(options).listener(history);
        if (!setup.isQuiet()) {
            trainer.listener(withSummary(Progress.create(), summary));
        }
        PeriodicEval periodic = null;
        if (eval != null && setup.evalEvery() > 0 && model.task() == Task.CLASSIFICATION) {
            periodic = new PeriodicEval(adapter, eval, setup.evalEvery());
            trainer.listener(periodic);
        }
        if (setup.listener() != null) {
            trainer.listener(setup.listener());
        }
        TrainingResult result = trainer.train(coreAdapter, batches);
        EvalResult finalEval = eval != null && model.task() == Task.CLASSIFICATION ? adapter.evaluate(eval) : null;
        return new TrainingRun(setup.describe(), summary, adapter, history.table(),
                periodic == null ? null : periodic.table(), finalEval, result.seconds(), Memory.peakRssBytes(), count);
    }

    private static LabelMap checkData(PeftModel model, TextDataset data, String role) {
        if (model.task() == Task.CLASSIFICATION) {
            if (!data.hasLabels()) {
                throw new InvalidArgumentException("The " + role + " data '" + data.name() + "' has no label column, but "
                        + model.id() + " is a classifier. Choose the label column with .label(\"name\").");
            }
            if (data.numLabels() > model.numLabels()) {
                throw new InvalidArgumentException("The " + role + " data has " + data.numLabels() + " classes (" + data.labelMap()
                        + ") but the model was built with forClassification(" + model.numLabels() + "). Use forClassification("
                        + data.numLabels() + ").");
            }
            if (data.labelMap().isInteger()) {
                return LabelMap.integers(model.numLabels());
            }
            return data.labelMap();
        }
        if (model.task() == Task.CAUSAL_LM) {
            if (data.columns().text() == null && !data.columns().isPromptCompletion()) {
                throw new InvalidArgumentException("Causal-LM data needs a text column or prompt + completion columns.");
            }
            return null;
        }
        throw new InvalidArgumentException(model.id() + " has no task head: call forClassification(numLabels) or forCausalLM() first.");
    }

    private static void checkDevice(String wanted, PeftModel model) {
        if (wanted == null) {
            return;
        }
        Device requested = Devices.choose(wanted);
        Device actual = model.base().parameters().manager().getDevice();
        if (!requested.getDeviceType().equals(actual.getDeviceType())) {
            throw new InvalidArgumentException("device(\"" + wanted + "\") but the model's weights are on " + actual
                    + ". Load the model on that device: run with -Dpeft4j.device=" + wanted + ".");
        }
    }

    static String summary(TrainingSetup<?> setup, PeftModel model, ParameterCount count, long steps, int rows) {
        return String.format(Locale.ROOT, "%s on %s: %s | %d steps, batch %d, lr %.1e, %d examples, max %d tokens, seed %d",
                setup.describe(), model.id(), count, steps, setup.batchSize(), setup.learningRate(), rows, setup.maxLength(), setup.seed());
    }

    /** Shows our one-line summary instead of the trainer's own. */
    private static TrainingListener withSummary(TrainingListener inner, String summary) {
        return new TrainingListener() {
            @Override
            public void onStart(long totalSteps, String ignored) {
                inner.onStart(totalSteps, summary);
            }

            @Override
            public void onStep(StepRecord record) {
                inner.onStep(record);
            }

            @Override
            public void onEnd(long stepsDone, double seconds) {
                inner.onEnd(stepsDone, seconds);
            }
        };
    }

    /** Evaluates every n steps between optimizer steps; rows for {@link TrainingRun#evalHistory()}. */
    static final class PeriodicEval implements TrainingListener {
        private final Adapter adapter;
        private final TextDataset eval;
        private final int every;
        private final List<double[]> rows = new ArrayList<>();

        PeriodicEval(Adapter adapter, TextDataset eval, int every) {
            this.adapter = adapter;
            this.eval = eval;
            this.every = every;
        }

        @Override
        public void onStep(StepRecord record) {
            if (record.step() % every == 0 || record.step() == record.totalSteps()) {
                EvalResult r = adapter.evaluate(eval);
                rows.add(new double[] {record.step(), r.accuracy(), r.f1(), r.mcc()});
            }
        }

        tech.tablesaw.api.Table table() {
            var step = tech.tablesaw.api.LongColumn.create("step");
            var acc = tech.tablesaw.api.DoubleColumn.create("accuracy");
            var f1 = tech.tablesaw.api.DoubleColumn.create("f1");
            var mcc = tech.tablesaw.api.DoubleColumn.create("mcc");
            for (double[] r : rows) {
                step.append((long) r[0]);
                acc.append(r[1]);
                f1.append(r[2]);
                mcc.append(r[3]);
            }
            return tech.tablesaw.api.Table.create("eval history", step, acc, f1, mcc);
        }
    }
}
