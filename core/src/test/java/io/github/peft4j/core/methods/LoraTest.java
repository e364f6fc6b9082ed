package io.github.peft4j.core.methods;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.AdapterMismatchException;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.core.methods.lora.Lora;
import io.github.peft4j.core.methods.lora.LoraAdapter;
import io.github.peft4j.core.models.WeightView;
import io.github.peft4j.core.testing.ArrayBatches;
import io.github.peft4j.core.testing.Fixtures;
import io.github.peft4j.core.testing.TinyModel;
import io.github.peft4j.core.train.Trainer;
import io.github.peft4j.core.train.TrainingOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class LoraTest {
    static final String VALUE = "encoder.layer.0.attention.self.value.weight";

    @Test
    void freshAdapterEqualsBaseAndMergeMatchesUnmergedForward() {
        for (TinyModel.Kind kind : new TinyModel.Kind[] {TinyModel.Kind.BERT, TinyModel.Kind.GPT2}) {
            try (TinyModel m = TinyModel.transformer(kind, 40, 16, 32, 2, 5);
                 LoraAdapter a = Lora.of(4).attach(m)) {
                ArrayBatches data = Fixtures.randomTokens(16, 5, 40, 2, 8, 3);
                float[] base = Fixtures.logits(m, data, s -> WeightView.of(m.parameters()));
                assertEquals(0f, Fixtures.maxAbsDiff(base, Fixtures.logits(m, data, s -> a.view(s, false))), kind + ": B=0 is the base");
                assertEquals(kind == TinyModel.Kind.GPT2, a.fanInFanOut());

                new Trainer(TrainingOptions.defaults().withSteps(6).withWarmup(0).withLearningRate(2e-2)).train(a, data);
                float[] unmerged = Fixtures.logits(m, data, s -> a.view(s, false));
                assertTrue(Fixtures.maxAbsDiff(base, unmerged) > 1e-3, kind + ": training changed the outputs");
                String target = a.adaptedNames().get(0);
                float[] before = Fixtures.param(m, target);
                a.merge();
                float[] merged = Fixtures.logits(m, data, s -> a.view(s, false));
                assertTrue(Fixtures.maxAbsDiff(unmerged, merged) < 1e-5, kind + ": merged forward = unmerged, diff "
                        + Fixtures.maxAbsDiff(unmerged, merged));
                a.unmerge();
                assertArrayEquals(before, Fixtures.param(m, target), 0f, "unmerge restores the base exactly");
            }
        }
    }

    @Test
    void countsFollowRankTimesInPlusOut() {
        try (TinyModel m = TinyModel.transformer(TinyModel.Kind.BERT, 40, 16, 32, 2, 5); LoraAdapter a = Lora.of(2).attach(m)) {
            // 2 targets x r(16+16) + head 2x16 + 2
            assertEquals(2 * 2 * 32 + 34, a.count().trainable());
            assertEquals(2 * 2 * 32, Budgets.of(m, null).loraParameters(2));
        }
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> Lora.of(0));
        assertTrue(e.getMessage().contains("rank must be at least 1"), e.getMessage());
    }

    @Test
    void savesInPeftLayoutAndLoadsBack(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("lora");
        try (TinyModel m = TinyModel.transformer(TinyModel.Kind.BERT, 40, 16, 32, 2, 5)) {
            ArrayBatches data = Fixtures.randomTokens(16, 5, 40, 2, 8, 3);
            float[] trained;
            try (LoraAdapter a = new Lora(4, 8f, 0.1f, null, null, 1).attach(m)) {
                new Trainer(TrainingOptions.defaults().withSteps(4).withWarmup(0).withLearningRate(2e-2)).train(a, data);
                trained = Fixtures.logits(m, data, s -> a.view(s, false));
                a.save(dir);
            }
            Map<String, HostTensor> file = SafeTensors.read(dir.resolve("adapter_model.safetensors"));
            assertArrayEquals(new long[] {4, 16}, file.get("base_model.model.encoder.layer.0.attention.self.value.lora_A.weight").shape());
            assertArrayEquals(new long[] {16, 4}, file.get("base_model.model.encoder.layer.0.attention.self.value.lora_B.weight").shape());
            assertArrayEquals(new long[] {2, 16}, file.get("base_model.model.classifier.weight").shape());
            assertEquals(6, file.size());
            JsonNode cfg = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
            assertEquals("LORA", cfg.get("peft_type").asText());
            assertEquals(4, cfg.get("r").asInt());
            assertEquals(8.0, cfg.get("lora_alpha").asDouble());
            assertEquals("SEQ_CLS", cfg.get("task_type").asText());
            assertEquals("classifier", cfg.get("modules_to_save").get(0).asText());
            assertEquals("encoder.layer.0.attention.self.value", cfg.get("target_modules").get(0).asText());
            assertEquals(m.parameters().fingerprint(m.headParameters()), cfg.get("peft4j").get("base_fingerprint").asText());

            try (Adapter loaded = Adapters.load(dir, m, true)) {
                assertEquals("lora", loaded.method());
                assertEquals(0f, Fixtures.maxAbsDiff(trained, Fixtures.logits(m, data, s -> loaded.view(s, false))));
            }
            try (TinyModel other = TinyModel.transformer(TinyModel.Kind.BERT, 40, 8, 32, 2, 5)) {
                assertThrows(AdapterMismatchException.class, () -> Adapters.load(dir, other));
            }
        }
    }

    @Test
    void unknownTargetListsAvailableNames() {
        try (TinyModel m = TinyModel.transformer(TinyModel.Kind.BERT, 40, 16, 32, 2, 5)) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> Lora.of(2).withTargets(List.of("q_proj")).attach(m));
            assertTrue(e.getMessage().contains("'q_proj' matches no 2-D weight") && e.getMessage().contains(VALUE), e.getMessage());
        }
    }
}
