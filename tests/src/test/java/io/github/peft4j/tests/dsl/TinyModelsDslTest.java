package io.github.peft4j.tests.dsl;

import io.github.peft4j.Adapter;
import io.github.peft4j.Datasets;
import io.github.peft4j.EvalResult;
import io.github.peft4j.Peft;
import io.github.peft4j.PeftModel;
import io.github.peft4j.Progress;
import io.github.peft4j.TextDataset;
import io.github.peft4j.TrainingRun;
import io.github.peft4j.core.models.Models;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The whole DSL path (data → batches → core Trainer → TrainingRun → Adapter save/load/merge/predict
 * /generate) on the tiny parity fixtures: seconds, not minutes.
 */
class TinyModelsDslTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void quiet() {
        Progress.silent();
    }

    static Path fixture(String name) {
        try {
            return Path.of(TinyModelsDslTest.class.getResource("/fixtures/" + name + "/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Texts whose class is the letter they are made of: learnable only if the body adapts or the head reads it. */
    static TextDataset letters(int n, long seed) {
        Random r = new Random(seed);
        List<String> texts = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        String[] classes = {"a", "m", "z"};
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(3);
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < 3 + r.nextInt(8); j++) {
                sb.append(r.nextInt(4) == 0 ? (char) ('b' + r.nextInt(5)) : classes[k].charAt(0));
            }
            texts.add(sb.toString());
            labels.add("class-" + classes[k]);
        }
        return Datasets.fromLists(texts, labels);
    }

    @Test
    void classifierTrainsSavesLoadsMergesAndSwitches() {
        PeftModel model = PeftModel.of(Models.load(fixture("bert_encoder")), new CharTokenizer(false, true, 100)).forClassification(3);
        TextDataset.Split split = letters(300, 1).split(0.8, 7);
        TrainingRun run = Peft.on(model).sparseRandom(0.2).seed(7).steps(60).batchSize(16).learningRate(1e-2).maxLength(16)
                .train(split.train());
        assertEquals(60, run.history().rowCount());
        double firstLoss = run.history().doubleColumn("loss").getDouble(0);
        assertTrue(run.finalLoss() < 0.5 * firstLoss, "loss " + firstLoss + " -> " + run.finalLoss());
        EvalResult eval = run.evaluate(split.test());
        assertTrue(eval.accuracy() > 0.9, eval.toString());
        assertEquals(List.of("class-a", "class-m", "class-z"), eval.labelNames());

        Adapter trained = run.adapter();
        List<String> probe = List.of("aaaa", "mmmbm", "zzzz");
        List<String> predicted = trained.predict(probe);
        assertEquals(List.of("class-a", "class-m", "class-z"), predicted);
        Path saved = trained.save(dir.resolve("letters"));
        assertTrue(Files.isRegularFile(saved.resolve(Adapter.TASK_FILE)));

        // a second adapter on the same base, then switching between the two
        TrainingRun head = Peft.on(model).headOnly().seed(3).steps(5).maxLength(16).train(split.train());
        Adapter reloaded = Adapter.load(saved).applyTo(model);
        assertEquals(predicted, reloaded.predict(probe));
        assertEquals(eval.confusion()[0][0], reloaded.evaluate(split.test()).confusion()[0][0]);
        model.use(head.adapter());
        assertSame(head.adapter(), model.active());
        model.use(reloaded);
        assertEquals(predicted, model.predict(probe));

        reloaded.merge();
        assertTrue(reloaded.merged());
        assertEquals(predicted, reloaded.predict(probe));
        reloaded.unmerge();
        assertEquals(predicted, reloaded.predict(probe));
    }

    @Test
    void causalLmLearnsCompletionsAndGenerates() {
        PeftModel model = PeftModel.of(Models.load(fixture("llama")), new CharTokenizer(true, false, 128)).forCausalLM();
        List<String> prompts = new ArrayList<>();
        List<String> completions = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            prompts.add("q" + (i % 4) + ":");
            completions.add(i % 4 == 0 ? "yes" : "no");
        }
        TextDataset data = Datasets.promptCompletion(prompts, completions);
        TrainingRun run = Peft.on(model).lora(4).alpha(8).seed(1).steps(80).batchSize(8).learningRate(3e-2).maxLength(16).train(data);
        double first = run.history().doubleColumn("loss").getDouble(0);
        assertTrue(run.finalLoss() < 0.3 * first, "loss " + first + " -> " + run.finalLoss());
        assertEquals("yes", run.adapter().generate("q0:", 5));
        assertEquals("no", run.adapter().generate("q1:", 5));

        Path saved = run.adapter().save(dir.resolve("lm"));
        Adapter reloaded = Adapter.load(saved).applyTo(model);
        assertEquals("yes", reloaded.generate("q0:", 5));
        assertEquals("no", model.generate("q2:", 5)); // through the active (reloaded) adapter
    }

    @Test
    void budgetTableComparisonAndPeriodicEvaluation() {
        PeftModel model = PeftModel.of(Models.load(fixture("bert_encoder")), new CharTokenizer(false, true, 100)).forClassification(3);
        tech.tablesaw.api.Table budget = Peft.budget(model);
        // 2 layers x (value 32x32 + output 32x32): LoRA r=1 has 4 x (32 + 32) = 256 parameters of 4,096 targeted entries
        assertEquals(256L, budget.longColumn("trainable").get(0));
        assertEquals(256.0 / 4096, budget.doubleColumn("sparta_density_per_tensor").get(0), 1e-12);
        assertEquals(8 * 256L, budget.longColumn("trainable").get(3));
        assertEquals(8, budget.intColumn("lora_rank").get(3));

        TextDataset.Split split = letters(200, 2).split(0.75, 2);
        io.github.peft4j.dsl.Comparison.Result result = Peft.compare(model)
                .methods(io.github.peft4j.dsl.Comparison.Method.headOnly(), io.github.peft4j.dsl.Comparison.Method.sparseRandomMatching(2))
                .steps(20).batchSize(16).maxLength(16).seed(2).quiet()
                .on(split);
        assertEquals(List.of("method", "trainable", "percent", "accuracy", "f1", "mcc", "train_seconds", "peak_memory_mib"),
                result.table().columnNames());
        assertEquals(2, result.table().rowCount());
        long headParams = result.runs().get(0).count().trainable();
        // SpaRTA at LoRA r=2's budget trains 512 body entries on top of the same dense head
        assertEquals(headParams + 512, result.runs().get(1).count().trainable());
        assertEquals(2, result.chart().getSeriesCollection().size());

        TrainingRun run = Peft.on(model).sparseRandom(0.2).seed(7).steps(20).evalEvery(10).learningRate(1e-2).maxLength(16)
                .train(split.train(), split.test());
        assertEquals(List.of(10L, 20L), run.evalHistory().longColumn("step").asList());
        assertEquals(run.finalEvaluation().accuracy(), run.evalHistory().doubleColumn("accuracy").getDouble(1), 1e-12);
    }
}
