package io.github.peft4j.parity;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.io.EmbeddedMiniLm;
import io.github.peft4j.core.io.TextTokenizer;
import io.github.peft4j.core.models.ModelOutput;
import io.github.peft4j.core.models.Models;
import io.github.peft4j.core.models.Task;
import io.github.peft4j.core.models.TransformerModel;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The default model end to end: the embedded MiniLM folder, loaded by {@link Models#load} and run
 * by the library's Bert on text tokenized by {@link TextTokenizer}, matches onnxruntime on the
 * original ONNX graph (mean-pooled cosine >= 0.9999, hidden states within 1e-4 on real tokens).
 */
class EmbeddedMiniLmModelParityTest {

    @Test
    void modelsLoadOfTheEmbeddedFolderMatchesOnnxruntime() {
        MiniLmReference ref = MiniLmReference.load();
        Path folder = EmbeddedMiniLm.folder();
        try (TransformerModel model = Models.load(folder, EmbeddedMiniLm.MODEL_ID);
             TextTokenizer tok = TextTokenizer.load(folder.resolve("tokenizer.json"), 128);
             NDManager scope = NDManager.newBaseManager()) {
            assertEquals("bert", model.architecture());
            assertEquals(Task.ENCODER, model.task());
            assertEquals(22_565_376L, model.parameters().totalCount());

            TextTokenizer.EncodedBatch enc = tok.encodeBatch(ref.sentences());
            for (int i = 0; i < ref.inputIds().length; i++) {
                assertArrayEquals(ref.inputIds()[i], enc.ids()[i], "token ids of sentence " + i);
            }
            ModelOutput out = model.forward(enc.toBatch(scope), scope);
            int hidden = model.hiddenSize();
            float[] h = out.lastHiddenState().toFloatArray();
            double maxDiff = MiniLmReference.maxAbsDiffOnTokens(h, ref.lastHiddenState().floats(), ref.attentionMask(), hidden);

            float[] pooled = out.pooled().toFloatArray();
            double worstCos = 1;
            for (int i = 0; i < ref.sentences().size(); i++) {
                float[] mine = Arrays.copyOfRange(pooled, i * hidden, (i + 1) * hidden);
                float[] expected = Arrays.copyOfRange(ref.meanPooled().floats(), i * hidden, (i + 1) * hidden);
                worstCos = Math.min(worstCos, MiniLmReference.cosine(mine, expected));
            }
            System.out.printf("Models.load(EmbeddedMiniLm) vs onnxruntime: max |dh| = %.2e, min pooled cosine = %.8f%n", maxDiff, worstCos);
            assertTrue(maxDiff <= 1e-4, "hidden states differ by " + maxDiff);
            assertTrue(worstCos >= 0.9999, "mean-pooled cosine " + worstCos);
        }
    }
}
