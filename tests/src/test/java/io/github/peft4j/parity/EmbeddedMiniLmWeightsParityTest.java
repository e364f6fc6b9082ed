package io.github.peft4j.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.core.io.EmbeddedMiniLm;
import io.github.peft4j.core.io.Json;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.core.io.TextTokenizer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks the ONNX-to-HF conversion of the embedded MiniLM independently of the library's Bert: a
 * plain BERT encoder written out here with DJL ops, fed the converted folder's weights and
 * config, must reproduce onnxruntime's outputs on the original ONNX graph. A single wrong name
 * mapping or a missing transpose moves the hidden states by O(1), far beyond the tolerance.
 */
class EmbeddedMiniLmWeightsParityTest {

    @Test
    void convertedWeightsReproduceOnnxruntime() {
        MiniLmReference ref = MiniLmReference.load();
        Path folder = EmbeddedMiniLm.folder();

        try (TextTokenizer tok = TextTokenizer.load(folder.resolve("tokenizer.json"), 128)) {
            TextTokenizer.EncodedBatch enc = tok.encodeBatch(ref.sentences());
            for (int i = 0; i < ref.inputIds().length; i++) {
                assertArrayEquals(ref.inputIds()[i], enc.ids()[i], "token ids of sentence " + i);
                assertArrayEquals(ref.attentionMask()[i], enc.attentionMask()[i], "mask of sentence " + i);
            }
        }

        JsonNode config = Json.readTree(folder.resolve("config.json"));
        int hidden = config.get("hidden_size").asInt();
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = SafeTensors.load(folder.resolve("model.safetensors"), m);
            NDArray ids = m.create(ref.inputIds());
            NDArray types = m.create(ref.tokenTypeIds());
            NDArray mask = m.create(ref.attentionMask());
            NDArray out = encode(w, config, ids, types, mask);
            float[] actual = out.toFloatArray();

            double maxDiff = MiniLmReference.maxAbsDiffOnTokens(actual, ref.lastHiddenState().floats(), ref.attentionMask(), hidden);
            float[][] pooled = MiniLmReference.meanPool(actual, ref.attentionMask(), hidden);
            double worstCos = 1;
            for (int i = 0; i < pooled.length; i++) {
                float[] expected = java.util.Arrays.copyOfRange(ref.meanPooled().floats(), i * hidden, (i + 1) * hidden);
                worstCos = Math.min(worstCos, MiniLmReference.cosine(pooled[i], expected));
            }
            System.out.printf("hand-written BERT on converted MiniLM vs onnxruntime: max |dh| = %.2e, min cosine = %.8f%n", maxDiff, worstCos);
            assertTrue(maxDiff <= 1e-4, "hidden state differs by " + maxDiff);
            assertTrue(worstCos >= 0.9999, "mean-pooled cosine " + worstCos);
        }
    }

    /** BertModel's encoder: embeddings + LayerNorm, then post-LN layers (attention, GELU FFN). */
    private static NDArray encode(Map<String, NDArray> w, JsonNode config, NDArray ids, NDArray types, NDArray mask) {
        int hidden = config.get("hidden_size").asInt();
        int heads = config.get("num_attention_heads").asInt();
        int headDim = hidden / heads;
        float eps = (float) config.get("layer_norm_eps").asDouble();
        long b = ids.getShape().get(0);
        long t = ids.getShape().get(1);
        NDManager m = ids.getManager();

        NDArray positions = m.arange(t).toType(ai.djl.ndarray.types.DataType.INT64, false);
        NDArray x = w.get("embeddings.word_embeddings.weight").get(ids)
                .add(w.get("embeddings.position_embeddings.weight").get(positions).expandDims(0))
                .add(w.get("embeddings.token_type_embeddings.weight").get(types));
        x = norm(x, w, "embeddings.LayerNorm", eps);
        // [B, 1, 1, T]: 0 where attended, a large negative number on padding
        NDArray bias = mask.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).sub(1f).mul(1e9f).reshape(b, 1, 1, t);
        for (int l = 0; l < config.get("num_hidden_layers").asInt(); l++) {
            String p = "encoder.layer." + l + ".";
            NDArray q = heads(linear(x, w, p + "attention.self.query"), b, t, heads, headDim);
            NDArray k = heads(linear(x, w, p + "attention.self.key"), b, t, heads, headDim);
            NDArray v = heads(linear(x, w, p + "attention.self.value"), b, t, heads, headDim);
            NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).div((float) Math.sqrt(headDim)).add(bias);
            NDArray context = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(b, t, hidden);
            x = norm(linear(context, w, p + "attention.output.dense").add(x), w, p + "attention.output.LayerNorm", eps);
            NDArray ffn = linear(Activation.gelu(linear(x, w, p + "intermediate.dense")), w, p + "output.dense");
            x = norm(ffn.add(x), w, p + "output.LayerNorm", eps);
        }
        return x;
    }

    private static NDArray linear(NDArray x, Map<String, NDArray> w, String prefix) {
        return Linear.linear(x, w.get(prefix + ".weight"), w.get(prefix + ".bias")).singletonOrThrow();
    }

    private static NDArray heads(NDArray x, long b, long t, int heads, int headDim) {
        return x.reshape(b, t, heads, headDim).transpose(0, 2, 1, 3);
    }

    private static NDArray norm(NDArray x, Map<String, NDArray> w, String prefix, float eps) {
        return LayerNorm.layerNorm(x, new Shape(x.getShape().get(2)), w.get(prefix + ".weight"), w.get(prefix + ".bias"), eps)
                .singletonOrThrow();
    }
}
