package io.github.peft4j.tests.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.core.models.Bert;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.ModelWriter;
import io.github.peft4j.core.models.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Saving models in HF layout (the Python side of merged models is in {@link PeftInteropTest}). */
class ModelWriterTest {
    static final Path ENCODER = Path.of("src/test/resources/fixtures/bert_encoder").toAbsolutePath();

    @Test
    void bareEncoderClassifierIsSavedUnderTransformersNamesAndReadsBackIdentically(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("saved");
        float[] before;
        try (Bert bare = (Bert) Models.load(ENCODER)) {
            Bert model = bare.forClassification(2, 7, Bert.Pooling.POOLER);
            before = PeftInteropTest.logits(model, null);
            ModelWriter.save(model, dir);
            assertEquals("bert.encoder.layer.0.attention.self.value.weight",
                    ModelWriter.transformersName(model, "encoder.layer.0.attention.self.value.weight"));
            assertEquals("classifier.weight", ModelWriter.transformersName(model, "classifier.weight"));
            assertEquals("encoder.layer.0.attention.self.value.weight",
                    ModelWriter.peft4jName(model, "bert.encoder.layer.0.attention.self.value.weight"));
        }
        Set<String> names = SafeTensors.header(dir.resolve("model.safetensors")).entries().keySet();
        assertTrue(names.contains("bert.pooler.dense.weight") && names.contains("classifier.bias"), names.toString());
        assertFalse(names.stream().anyMatch(n -> n.startsWith("encoder.")), "body names carry the bert. prefix");
        JsonNode config = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        assertEquals("BertForSequenceClassification", config.path("architectures").get(0).asText());
        assertEquals(2, config.path("id2label").size());

        try (Model reloaded = Models.load(dir)) {
            assertEquals(2, reloaded.numLabels());
            assertEquals(0.0, PeftInteropTest.maxAbsDiff(before, PeftInteropTest.logits(reloaded, null)), 1e-6);
        }
    }

    @Test
    void meanPooledClassifierIsRefusedBecauseTransformersWouldComputeOtherLogits(@TempDir Path tmp) {
        try (Bert bare = (Bert) Models.load(ENCODER)) {
            Bert model = bare.forClassification(2, 7, Bert.Pooling.MEAN);
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> ModelWriter.save(model, tmp.resolve("x")));
            assertTrue(e.getMessage().contains("Pooling.POOLER"), e.getMessage());
            assertFalse(Files.exists(tmp.resolve("x")), "nothing half-written");
        }
    }
}
