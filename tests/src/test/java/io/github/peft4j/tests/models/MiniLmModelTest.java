package io.github.peft4j.tests.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.models.Bert;
import io.github.peft4j.core.models.ModelOutput;
import io.github.peft4j.core.models.Models;
import io.github.peft4j.core.models.Task;
import io.github.peft4j.core.models.TransformerModel;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The embedded default model through Models.miniLM() and Bert, against onnxruntime on the original ONNX (fixtures/minilm). */
class MiniLmModelTest {
    @Test
    void miniLmLoadsAsAMeanPooledBertMatchingOnnxRuntime() {
        try (TransformerModel model = Models.miniLM(); NDManager m = NDManager.newBaseManager()) {
            assertEquals("sentence-transformers/all-MiniLM-L6-v2", model.modelId());
            assertEquals(Task.ENCODER, model.task());
            assertEquals(Bert.Pooling.MEAN, ((Bert) model).pooling());
            assertEquals(384, model.hiddenSize());
            assertTrue(model.tokenizerFile().isPresent(), "tokenizer.json travels with the folder");

            Map<String, NDArray> ref = Fixtures.reference("minilm", m);
            io.github.peft4j.core.models.Batch batch = new io.github.peft4j.core.models.Batch(
                    ref.get("input_ids"), ref.get("attention_mask"), ref.get("token_type_ids"), null);
            ModelOutput out = model.forward(batch, m);
            double hidden = Fixtures.maxDiff(out.lastHiddenState(), ref.get("last_hidden_state"), ref.get("attention_mask"));
            double pooled = Fixtures.maxDiff(out.pooled(), ref.get("mean_pooled"), null);
            System.out.printf("MiniLM vs onnxruntime: hidden %.2e, mean-pooled %.2e%n", hidden, pooled);
            assertTrue(hidden <= 1e-4, "hidden states differ by " + hidden);
            assertTrue(pooled <= 1e-4, "mean-pooled embeddings differ by " + pooled);

            TransformerModel cls = model.forClassification(2, 7);
            assertEquals(new ai.djl.ndarray.types.Shape(6, 2), cls.forward(batch, m).logits().getShape());
        }
    }
}
