package io.github.peft4j.tests.dsl;

import io.github.peft4j.Datasets;
import io.github.peft4j.EvalResult;
import io.github.peft4j.Models;
import io.github.peft4j.Peft;
import io.github.peft4j.PeftModel;
import io.github.peft4j.TextDataset;
import io.github.peft4j.TrainingRun;
import io.github.peft4j.dsl.Comparison;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The README's example on the real embedded MiniLM. Several CPU-minutes each, so they run only
 * with {@code PEFT4J_E2E=1} (CI sets it once the machine is known to fit them in its time budget).
 */
@EnabledIfEnvironmentVariable(named = "PEFT4J_E2E", matches = "1")
class MiniLmEndToEndTest {
    @TempDir
    Path dir;

    @Test
    void quickstartBeatsTheUntrainedModelAndTheMajorityClass() throws Exception {
        PeftModel model = Models.miniLM().forClassification(2);
        TextDataset.Split split = Datasets.spamAssassin().sample(600, 7).split(0.8, 7);
        EvalResult before = model.evaluate(split.test());
        TrainingRun run = Peft.on(model).sparseRandom(0.005).seed(7).steps(80).maxLength(64).train(split.train());
        EvalResult after = run.evaluate(split.test());
        System.out.printf("spam: before %.4f, after %.4f, majority %.4f, %s%n", before.accuracy(), after.accuracy(),
                split.test().majorityRate(), run.count());
        assertTrue(after.accuracy() > before.accuracy(), before + " -> " + after);
        assertTrue(after.accuracy() > split.test().majorityRate() + 0.05, after + " vs majority " + split.test().majorityRate());
        Path saved = run.adapter().save(dir.resolve("spam"));
        assertTrue(Files.isRegularFile(saved.resolve("sparse_deltas.safetensors")));
        assertTrue(Files.size(run.plot().save(dir.resolve("loss.png"))) > 1000);
    }

    @Test
    void brownGenresSpartaAndLoraBeatHeadOnlyAtEqualBudget() {
        PeftModel model = Models.miniLM().forClassification(4);
        TextDataset.Split split = Datasets.brownGenres().sample(600, 3).split(0.75, 3);
        Comparison.Result result = Peft.compare(model)
                .methods(Comparison.Method.headOnly(), Comparison.Method.sparseRandomMatching(8), Comparison.Method.lora(8))
                .seed(3).steps(60).maxLength(64).quiet()
                .on(split);
        System.out.println(result);
        double head = result.evaluations().get(0).accuracy();
        double sparta = result.evaluations().get(1).accuracy();
        double lora = result.evaluations().get(2).accuracy();
        assertTrue(sparta > head, "SpaRTA " + sparta + " vs head-only " + head);
        assertTrue(lora > head, "LoRA " + lora + " vs head-only " + head);
        long spartaParams = result.runs().get(1).count().trainable();
        long loraParams = result.runs().get(2).count().trainable();
        assertEquals(loraParams, spartaParams, loraParams * 0.01, "equal budgets");
    }
}
