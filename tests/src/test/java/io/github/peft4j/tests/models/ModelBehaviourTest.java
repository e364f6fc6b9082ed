package io.github.peft4j.tests.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.models.Bert;
import io.github.peft4j.core.models.CausalLm;
import io.github.peft4j.core.models.KvCache;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.ModelOutput;
import io.github.peft4j.core.models.Models;
import io.github.peft4j.core.models.Task;
import io.github.peft4j.core.models.TransformerModel;
import io.github.peft4j.core.models.WeightView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Memory discipline, dropout switch, classification-head factory and weight substitution. */
class ModelBehaviourTest {

    /** Forward must not leave anything in the weights' manager (DESIGN.md 6): count its arrays around 10 passes. */
    @ParameterizedTest
    @ValueSource(strings = {"bert_cls", "llama", "gpt2", "gpt_neox_cls"})
    void tenForwardsAddNoArraysToTheWeightsManager(String name) {
        try (TransformerModel model = Models.load(Fixtures.folder(name)); NDManager data = NDManager.newBaseManager()) {
            model.setDropout(0.1f);
            Map<String, NDArray> ref = Fixtures.reference(name, data);
            Batch batch = Fixtures.batch(ref, "right");
            int weightsBefore = model.parameters().manager().getManagedArrays().size();
            int dataBefore = data.getManagedArrays().size();
            for (int i = 0; i < 10; i++) {
                try (NDManager step = NDManager.newBaseManager()) {
                    model.forward(batch, WeightView.of(model.parameters()), i % 2 == 0, step);
                    assertEquals(weightsBefore, model.parameters().manager().getManagedArrays().size(), "weights' manager grew during forward");
                }
            }
            assertEquals(weightsBefore, model.parameters().manager().getManagedArrays().size());
            assertEquals(dataBefore, data.getManagedArrays().size(), "forward must not allocate in the batch's manager");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2", "gpt_neox"})
    void kvCacheLogitsEqualFullRecomputeAndItsArrayCountStaysFlat(String name) {
        try (TransformerModel model = Models.load(Fixtures.folder(name)); NDManager m = NDManager.newBaseManager();
             KvCache cache = new KvCache(((CausalLm) model).numLayers(), model.parameters().manager().getDevice())) {
            CausalLm lm = (CausalLm) model;
            WeightView w = WeightView.of(model.parameters());
            long[] tokens = {5, 17, 33, 9, 71, 4, 100, 12};
            int weights = model.parameters().manager().getManagedArrays().size();
            NDArray full = model.forward(new Batch(m.create(tokens, new Shape(1, 8)), null, null, null), m).logits();
            try (NDManager step = m.newSubManager()) {
                NDArray prefix = lm.extend(java.util.Arrays.copyOf(tokens, 5), cache, w, step);
                assertTrue(Fixtures.maxDiff(prefix, full.get(":, :5, :"), null) <= 1e-5);
            }
            for (int t = 5; t < 8; t++) {
                try (NDManager step = m.newSubManager()) {
                    NDArray one = lm.extend(new long[] {tokens[t]}, cache, w, step);
                    double diff = Fixtures.maxDiff(one, full.get(":, " + t + ":" + (t + 1) + ", :"), null);
                    assertTrue(diff <= 1e-5, "cached step " + t + " differs by " + diff);
                }
                assertEquals(2 * lm.numLayers(), cache.arrayCount(), "one key and one value array per layer");
            }
            assertEquals(8, cache.length());
            assertEquals(weights, model.parameters().manager().getManagedArrays().size());
        }
    }

    @Test
    void layerScopesAreClosedSoAStepKeepsFewArrays() {
        try (TransformerModel model = Models.load(Fixtures.folder("llama")); NDManager data = NDManager.newBaseManager();
             NDManager step = NDManager.newBaseManager()) {
            Batch batch = Fixtures.batch(Fixtures.reference("llama", data), "left");
            model.forward(batch, step);
            int perForward = step.getManagedArrays().size();
            // inputs, rope tables, mask, final hidden, norm temporaries, logits: ~a dozen, not hundreds of layer temporaries
            assertTrue(perForward < 25, "a forward left " + perForward + " arrays in the step scope");
        }
    }

    @Test
    void dropoutIsOffByDefaultAndOnlyActsWhileTraining() {
        try (TransformerModel model = Models.load(Fixtures.folder("bert_cls")); NDManager m = NDManager.newBaseManager()) {
            assertEquals(0f, model.dropout());
            Batch batch = Fixtures.batch(Fixtures.reference("bert_cls", m), "right");
            float[] eval = model.forward(batch, m).logits().toFloatArray();
            float[] trainingNoDropout = model.forward(batch, WeightView.of(model.parameters()), true, m).logits().toFloatArray();
            assertArrayEquals(eval, trainingNoDropout, 0f, "p = 0: training forward equals eval");
            model.setDropout(0.3f);
            float[] evalWithP = model.forward(batch, WeightView.of(model.parameters()), false, m).logits().toFloatArray();
            assertArrayEquals(eval, evalWithP, 0f, "dropout never acts in eval");
            float[] trained = model.forward(batch, WeightView.of(model.parameters()), true, m).logits().toFloatArray();
            double diff = 0;
            for (int i = 0; i < eval.length; i++) {
                diff = Math.max(diff, Math.abs(eval[i] - trained[i]));
            }
            assertTrue(diff > 1e-3, "p = 0.3 while training must change the logits, diff " + diff);
            assertThrows(InvalidArgumentException.class, () -> model.setDropout(1f));
        }
    }

    @Test
    void forClassificationAddsASeededNormalHeadOnTheSameBase() {
        try (TransformerModel lm = Models.load(Fixtures.folder("llama")); NDManager m = NDManager.newBaseManager()) {
            Model cls = lm.forClassification(3, 42);
            assertSame(lm.parameters(), cls.parameters(), "shares the frozen base");
            assertEquals(Task.CLASSIFICATION, cls.task());
            assertEquals(Set.of("score.weight"), cls.headParameters());
            NDArray head = cls.parameters().get("score.weight");
            assertEquals(new Shape(3, 32), head.getShape());
            float[] w = head.toFloatArray();
            double sumSq = 0;
            for (float v : w) {
                sumSq += v * v;
            }
            double std = Math.sqrt(sumSq / w.length);
            assertEquals(0.02, std, 0.005, "normal(0, initializer_range = 0.02)");

            Map<String, NDArray> ref = Fixtures.reference("llama", m);
            ModelOutput out = cls.forward(Fixtures.batch(ref, "left"), m);
            assertEquals(new Shape(3, 3), out.logits().getShape());
            // the classifier reads the last real token's final hidden state
            ModelOutput left = cls.forward(Fixtures.batch(ref, "left"), m);
            ModelOutput right = cls.forward(Fixtures.batch(ref, "right"), m);
            assertArrayEquals(left.logits().toFloatArray(), right.logits().toFloatArray(), 1e-5f, "padding side must not matter");

            float[] first = w.clone();
            lm.forClassification(3, 42);
            assertArrayEquals(first, cls.parameters().get("score.weight").toFloatArray(), 0f, "a fitting head is kept");
            Model five = lm.forClassification(5, 42);
            assertEquals(new Shape(5, 32), five.parameters().get("score.weight").getShape());
            assertThrows(InvalidArgumentException.class, () -> lm.forClassification(0, 1));
        }
    }

    @Test
    void checkpointHeadIsKeptWhenLabelsMatch() {
        try (TransformerModel cls = Models.load(Fixtures.folder("gpt2_cls")); NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> ref = Fixtures.reference("gpt2_cls", m);
            Model same = cls.forClassification(2, 99);
            ModelOutput out = same.forward(Fixtures.batch(ref, "right"), m);
            assertTrue(Fixtures.maxDiff(out.logits(), ref.get("right.logits"), null) <= 1e-4, "trained head kept");
        }
    }

    @Test
    void sentenceTransformersBertGetsAMeanPooledClassifierWithZeroBias() {
        try (TransformerModel encoder = Models.load(Fixtures.folder("bert_encoder")); NDManager m = NDManager.newBaseManager()) {
            Bert cls = (Bert) encoder.forClassification(2, 7);
            assertEquals(Bert.Pooling.MEAN, cls.pooling());
            assertEquals(Set.of("classifier.weight", "classifier.bias"), cls.headParameters());
            assertArrayEquals(new float[2], cls.parameters().get("classifier.bias").toFloatArray(), 0f);
            Map<String, NDArray> ref = Fixtures.reference("bert_encoder", m);
            ModelOutput out = cls.forward(Fixtures.batch(ref, "right"), m);
            // logits = W · mean-pooled + 0, with the reference pooled vector
            float[] w = cls.parameters().get("classifier.weight").toFloatArray();
            float[] pooled = ref.get("right.mean_pooled").toFloatArray();
            float[] logits = out.logits().toFloatArray();
            for (int b = 0; b < 3; b++) {
                for (int k = 0; k < 2; k++) {
                    double dot = 0;
                    for (int h = 0; h < 32; h++) {
                        dot += w[k * 32 + h] * pooled[b * 32 + h];
                    }
                    assertEquals(dot, logits[b * 2 + k], 1e-5);
                }
            }
            Bert pooler = cls.forClassification(2, 7, Bert.Pooling.POOLER);
            assertTrue(pooler.headParameters().contains("pooler.dense.weight"), "a pooler the checkpoint lacks is new, so trained");
        }
    }

    /** Adaptation methods substitute weights through the view: a changed value weight must change the output. */
    @Test
    void forwardReadsWeightsThroughTheView() {
        try (TransformerModel model = Models.load(Fixtures.folder("gpt_neox")); NDManager m = NDManager.newBaseManager()) {
            Batch batch = Fixtures.batch(Fixtures.reference("gpt_neox", m), "right");
            float[] base = model.forward(batch, m).logits().toFloatArray();
            String target = "gpt_neox.layers.1.attention.dense.weight";
            NDArray zeroed = model.parameters().get(target).zerosLike();
            zeroed.attach(m);
            WeightView view = name -> name.equals(target) ? zeroed : model.parameters().get(name);
            float[] adapted = model.forward(batch, view, false, m).logits().toFloatArray();
            double diff = 0;
            for (int i = 0; i < base.length; i++) {
                diff = Math.max(diff, Math.abs(base[i] - adapted[i]));
            }
            assertTrue(diff > 1e-3, "substituted weight had no effect: " + diff);
        }
    }

    @Test
    void generationStopsAtAnyOfSeveralEosTokens(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws java.io.IOException {
        // the llama fixture greedily continues its prompt with 51, 51, 51, 11, ...: make 11 one of two eos ids
        java.nio.file.Path folder = Fixtures.copyWithConfig("llama", tmp.resolve("llama"), c -> c.putArray("eos_token_id").add(120).add(11));
        try (TransformerModel model = Models.load(folder); NDManager m = NDManager.newBaseManager()) {
            long[] prompt = Fixtures.reference("llama", m).get("gen.prompt").toLongArray();
            long[] out = io.github.peft4j.core.models.Generator.greedy(model, prompt, 20);
            assertArrayEquals(new long[] {51, 51, 51, 11}, java.util.Arrays.copyOfRange(out, prompt.length, out.length));
            long[][] batch = io.github.peft4j.core.models.Generator.greedy(model, WeightView.of(model.parameters()), new long[][] {prompt}, 20);
            assertArrayEquals(out, batch[0]);
        }
    }

    @Test
    void mistralRefusesInputsBeyondItsSlidingWindow() {
        try (TransformerModel model = Models.load(Fixtures.folder("mistral")); NDManager m = NDManager.newBaseManager()) {
            NDArray ok = m.zeros(new Shape(1, 64), ai.djl.ndarray.types.DataType.INT64).add(5);
            assertEquals(new Shape(1, 64, 128), model.forward(new Batch(ok, null, null, null), m).logits().getShape());
            NDArray tooLong = m.zeros(new Shape(1, 65), ai.djl.ndarray.types.DataType.INT64).add(5);
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> model.forward(new Batch(tooLong, null, null, null), m));
            assertTrue(e.getMessage().contains("sliding attention window of 64"), e.getMessage());
        }
    }

    @Test
    void outOfVocabularyIdsAndEmptyRowsAreClearErrors() {
        try (TransformerModel model = Models.load(Fixtures.folder("gpt2")); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {5, 500}, new Shape(1, 2));
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> model.forward(new Batch(ids, m.ones(new Shape(1, 2), ai.djl.ndarray.types.DataType.INT64), null, null), m));
            assertTrue(e.getMessage().contains("500") && e.getMessage().contains("128"), e.getMessage());
            NDArray tooLong = m.zeros(new Shape(1, 65), ai.djl.ndarray.types.DataType.INT64).add(5);
            InvalidArgumentException positions = assertThrows(InvalidArgumentException.class, () -> model.forward(new Batch(tooLong, null, null, null), m));
            assertTrue(positions.getMessage().contains("64"), positions.getMessage());
            float[] asInt32 = model.forward(new Batch(m.create(new int[] {5, 6}, new Shape(1, 2)), null, null, null), m).logits().toFloatArray();
            float[] asInt64 = model.forward(new Batch(m.create(new long[] {5, 6}, new Shape(1, 2)), null, null, null), m).logits().toFloatArray();
            assertArrayEquals(asInt64, asInt32, 0f, "int32 ids are accepted");
            NDArray ok = m.create(new long[] {5, 6}, new Shape(1, 2));
            assertThrows(InvalidArgumentException.class,
                    () -> model.forward(new Batch(ok, m.zeros(new Shape(1, 2), ai.djl.ndarray.types.DataType.INT64), null, null), m));
        }
    }
}
