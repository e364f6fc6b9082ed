package io.github.peft4j.tests.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.models.Bert;
import io.github.peft4j.core.models.Generator;
import io.github.peft4j.core.models.ModelOutput;
import io.github.peft4j.core.models.Models;
import io.github.peft4j.core.models.Task;
import io.github.peft4j.core.models.TransformerModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Parity with Hugging Face transformers (fp32, eval, eager attention) on tiny random checkpoints:
 * logits and last hidden states within 1e-4 at every real token, with left and right padding, and
 * greedy generation token for token.
 */
class ModelParityTest {
    static final double TOLERANCE = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "gemma", "mistral", "granite", "gpt2", "gpt_neox", "llama_bf16", "gpt2_f16"})
    void causalLmLogitsAndHiddenStatesMatchTransformers(String name) {
        try (TransformerModel model = Models.load(Fixtures.folder(name)); NDManager m = NDManager.newBaseManager()) {
            assertEquals(Task.CAUSAL_LM, model.task());
            Map<String, NDArray> ref = Fixtures.reference(name, m);
            for (String side : new String[] {"left", "right"}) {
                NDArray mask = ref.get(side + ".attention_mask");
                ModelOutput out = model.forward(Fixtures.batch(ref, side), m);
                double logits = Fixtures.maxDiff(out.logits(), ref.get(side + ".logits"), mask);
                double hidden = Fixtures.maxDiff(out.lastHiddenState(), ref.get(side + ".hidden"), mask);
                System.out.printf("parity %-11s %-5s logits %.2e hidden %.2e%n", name, side, logits, hidden);
                assertTrue(logits <= TOLERANCE, name + " " + side + " logits differ by " + logits);
                assertTrue(hidden <= TOLERANCE, name + " " + side + " hidden states differ by " + hidden);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama_cls", "gpt2_cls", "gpt_neox_cls"})
    void decoderClassificationLogitsMatchTransformers(String name) {
        try (TransformerModel model = Models.load(Fixtures.folder(name)); NDManager m = NDManager.newBaseManager()) {
            assertEquals(Task.CLASSIFICATION, model.task());
            assertEquals(2, model.numLabels());
            Map<String, NDArray> ref = Fixtures.reference(name, m);
            for (String side : new String[] {"left", "right"}) {
                ModelOutput out = model.forward(Fixtures.batch(ref, side), m);
                double logits = Fixtures.maxDiff(out.logits(), ref.get(side + ".logits"), null);
                System.out.printf("parity %-12s %-5s logits %.2e%n", name, side, logits);
                assertTrue(logits <= TOLERANCE, name + " " + side + " logits differ by " + logits);
            }
        }
    }

    @Test
    void bertSequenceClassificationWithPoolerMatchesTransformers() {
        try (TransformerModel model = Models.load(Fixtures.folder("bert_cls")); NDManager m = NDManager.newBaseManager()) {
            assertEquals(Task.CLASSIFICATION, model.task());
            assertEquals(3, model.numLabels());
            assertEquals(Bert.Pooling.POOLER, ((Bert) model).pooling());
            Map<String, NDArray> ref = Fixtures.reference("bert_cls", m);
            ModelOutput out = model.forward(Fixtures.batch(ref, "right"), m);
            double hidden = Fixtures.maxDiff(out.lastHiddenState(), ref.get("right.hidden"), ref.get("right.attention_mask"));
            double logits = Fixtures.maxDiff(out.logits(), ref.get("right.logits"), null);
            System.out.printf("parity bert_cls hidden %.2e logits %.2e%n", hidden, logits);
            assertTrue(hidden <= TOLERANCE, "hidden states differ by " + hidden);
            assertTrue(logits <= TOLERANCE, "logits differ by " + logits);
        }
    }

    @Test
    void bareBertEncoderMatchesTransformersAndMeanPools() {
        try (TransformerModel model = Models.load(Fixtures.folder("bert_encoder")); NDManager m = NDManager.newBaseManager()) {
            assertEquals(Task.ENCODER, model.task());
            assertEquals(Bert.Pooling.MEAN, ((Bert) model).pooling(), "no pooler weights: mean pooling");
            Map<String, NDArray> ref = Fixtures.reference("bert_encoder", m);
            ModelOutput out = model.forward(Fixtures.batch(ref, "right"), m);
            assertNull(out.logits());
            double hidden = Fixtures.maxDiff(out.lastHiddenState(), ref.get("right.hidden"), ref.get("right.attention_mask"));
            double pooled = Fixtures.maxDiff(out.pooled(), ref.get("right.mean_pooled"), null);
            System.out.printf("parity bert_encoder hidden %.2e mean-pooled %.2e%n", hidden, pooled);
            assertTrue(hidden <= TOLERANCE, "hidden states differ by " + hidden);
            assertTrue(pooled <= TOLERANCE, "mean-pooled vectors differ by " + pooled);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "gemma", "mistral", "granite", "gpt2", "gpt_neox"})
    void greedyGenerationEqualsTransformersTokenForToken(String name) {
        try (TransformerModel model = Models.load(Fixtures.folder(name)); NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> ref = Fixtures.reference(name, m);
            long[] prompt = ref.get("gen.prompt").toLongArray();
            long[] expected = ref.get("gen.output").toLongArray();
            long[] generated = Generator.greedy(model, prompt, 20);
            System.out.printf("generate %-8s %s%n", name, Arrays.toString(Arrays.copyOfRange(generated, prompt.length, generated.length)));
            assertEquals(prompt.length + 20, expected.length, "fixture holds 20 new tokens");
            assertArrayEquals(expected, generated);
            assertArrayEquals(expected, Generator.greedyRecomputing(model, io.github.peft4j.core.models.WeightView.of(model.parameters()), prompt, 20),
                    "without the KV cache");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "gemma", "mistral", "granite", "gpt2", "gpt_neox"})
    void batchedLeftPaddedGreedyGenerationEqualsTransformers(String name) {
        try (TransformerModel model = Models.load(Fixtures.folder(name)); NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> ref = Fixtures.reference(name, m);
            long[] ids = ref.get("genbatch.input_ids").toLongArray();
            long[] mask = ref.get("genbatch.attention_mask").toLongArray();
            long[] expected = ref.get("genbatch.output").toLongArray();
            int promptWidth = 6;
            int outWidth = expected.length / 2;
            long[][] prompts = new long[2][];
            for (int r = 0; r < 2; r++) {
                int start = r * promptWidth;
                while (mask[start] == 0) {
                    start++;
                }
                prompts[r] = Arrays.copyOfRange(ids, start, (r + 1) * promptWidth);
            }
            long[][] generated = Generator.greedy(model, io.github.peft4j.core.models.WeightView.of(model.parameters()), prompts, 10);
            for (int r = 0; r < 2; r++) {
                int pads = promptWidth - prompts[r].length;
                long[] hfRow = Arrays.copyOfRange(expected, r * outWidth + pads, (r + 1) * outWidth);
                assertArrayEquals(hfRow, generated[r], name + " row " + r + " (" + pads + " pads)");
            }
        }
    }

    /** BF16/F16 checkpoints are widened in Java; the result stays close to the fp32 model they were rounded from. */
    @ParameterizedTest
    @ValueSource(strings = {"llama_bf16", "gpt2_f16"})
    void lowPrecisionCheckpointStaysCloseToFp32Original(String name) {
        try (TransformerModel model = Models.load(Fixtures.folder(name)); NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> ref = Fixtures.reference(name, m);
            NDArray mask = ref.get("left.attention_mask");
            ModelOutput out = model.forward(Fixtures.batch(ref, "left"), m);
            double vsOriginal = Fixtures.maxDiff(out.logits(), ref.get("left.logits_f32"), mask);
            double spread = ref.get("left.logits_f32").abs().max().getFloat();
            System.out.printf("%s vs fp32 original: max logit diff %.3e (max |logit| %.2f)%n", name, vsOriginal, spread);
            double bound = name.contains("bf16") ? 0.05 * spread : 0.005 * spread; // bf16 keeps 8 mantissa bits, f16 11
            assertTrue(vsOriginal > 0, "rounding must change something, else the variant proves nothing");
            assertTrue(vsOriginal < bound, name + " drifted " + vsOriginal + " from the fp32 logits (bound " + bound + ")");
        }
    }
}
