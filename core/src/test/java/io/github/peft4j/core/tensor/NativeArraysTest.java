package io.github.peft4j.core.tensor;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.github.peft4j.core.methods.TrainableTensor;
import io.github.peft4j.core.methods.lora.Lora;
import io.github.peft4j.core.methods.lora.LoraAdapter;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.ModelOutput;
import io.github.peft4j.core.models.Task;
import io.github.peft4j.core.models.WeightView;
import io.github.peft4j.core.testing.ArrayBatches;
import io.github.peft4j.core.testing.Fixtures;
import io.github.peft4j.core.testing.TinyModel;
import io.github.peft4j.core.train.Trainer;
import io.github.peft4j.core.train.TrainingOptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * DJL backs arrays made from Java data with a direct buffer that only the Java array keeps alive
 * (torch::from_blob); once that array is closed, a GC frees the buffer under any view or
 * autograd-saved tensor still using it. These tests close the original, force a GC, scribble over
 * freed native memory and check the values: with {@code manager.create(...)} or DJL's
 * {@code x.mul(0.5f)} in place of {@link NativeArrays} they read garbage.
 */
class NativeArraysTest {

    /** Frees buffers nothing references any more (a GC runs their cleaners) and refills freed memory with 0x7f7f7f7f. */
    static List<ByteBuffer> collectAndScribble() {
        System.gc();
        try {
            Thread.sleep(30); // direct buffers are freed by the reference handler thread after the GC
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<ByteBuffer> junk = new ArrayList<>();
        for (int size : new int[] {4, 8, 16, 32, 64, 128, 256, 512}) {
            for (int i = 0; i < 64; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(size);
                while (b.remaining() >= 4) {
                    b.putInt(0x7f7f7f7f);
                }
                junk.add(b);
            }
        }
        return junk; // the caller keeps it reachable until it has read its arrays
    }

    @Test
    void viewsOfCreatedArraysSurviveClosingTheOriginal() {
        float[] floats = new float[128];
        long[] longs = new long[32];
        for (int i = 0; i < floats.length; i++) {
            floats[i] = i * 0.25f - 7;
        }
        for (int i = 0; i < longs.length; i++) {
            longs[i] = 3L * i + 1;
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray f = NativeArrays.create(m, floats, new Shape(8, 16));
            NDArray fView = f.transpose();
            f.close();
            NDArray l = NativeArrays.create(m, longs, new Shape(4, 8));
            NDArray lView = l.reshape(32);
            l.close();
            ByteBuffer bytes = ByteBuffer.allocateDirect(16).order(java.nio.ByteOrder.nativeOrder());
            bytes.asFloatBuffer().put(new float[] {1, 2, 3, 4});
            NDArray b = NativeArrays.create(m, bytes, new Shape(2, 2), ai.djl.ndarray.types.DataType.FLOAT32);
            bytes = null;
            NDArray bView = b.get("1, :");
            b.close();
            List<ByteBuffer> junk = collectAndScribble();
            assertArrayEquals(floats, fView.transpose().toFloatArray(), 0f);
            assertArrayEquals(longs, lView.toLongArray());
            assertArrayEquals(new float[] {3, 4}, bView.toFloatArray(), 0f);
            assertEquals(-2.5f, NativeArrays.scalar(m, -2.5f).getFloat(), 0f);
            assertFalse(junk.isEmpty());
        }
    }

    @Test
    void scalarFactorsAutogradKeepsSurviveUntilBackward() {
        Engine.getInstance();
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = NativeArrays.create(m, new float[] {1, 2, 3, 4});
            x.setRequiresGradient(true);
            NDArray y = NativeArrays.mul(x, 0.5f);   // x.mul(0.5f) here: DJL closes the 0.5 autograd kept
            NativeArrays.muli(y, 3f);
            NativeArrays.divi(y, 2f);
            NDArray loss = y.sum();
            List<ByteBuffer> junk = collectAndScribble();
            try (NDArray seed = loss.onesLike()) {
                JniUtils.backward((PtNDArray) loss, (PtNDArray) seed, false, false);
            }
            try (NDArray g = x.getGradient()) {
                assertArrayEquals(new float[] {0.75f, 0.75f, 0.75f, 0.75f}, g.toFloatArray(), 0f);
            }
            assertFalse(junk.isEmpty());
        } finally {
            JniUtils.setGradMode(previous);
        }
    }

    /** LoRA training is bit-identical whether or not a GC runs between each forward and its backward. */
    @Test
    void loraTrainingDoesNotDependOnGcTiming() {
        Map<String, float[]> quiet = trainLora(false);
        Map<String, float[]> collected = trainLora(true);
        for (Map.Entry<String, float[]> e : quiet.entrySet()) {
            for (float v : collected.get(e.getKey())) {
                assertTrue(Float.isFinite(v), e.getKey() + " holds " + v + " after training with a GC before each backward");
            }
            assertArrayEquals(e.getValue(), collected.get(e.getKey()), 0f, e.getKey() + " depends on GC timing");
        }
        Map<String, float[]> again = trainLora(false);
        quiet.forEach((name, v) -> assertArrayEquals(v, again.get(name), 0f, name + " differs between two equal runs"));
    }

    private static Map<String, float[]> trainLora(boolean gcBeforeBackward) {
        try (TinyModel base = TinyModel.transformer(TinyModel.Kind.BERT, 40, 16, 32, 2, 5)) {
            Model model = gcBeforeBackward ? new GcAfterForward(base) : base;
            try (LoraAdapter a = Lora.of(4).attach(model)) {
                ArrayBatches data = Fixtures.randomTokens(32, 6, 40, 2, 8, 3);
                // lr high enough that every step changes B (B starts at 0, so a garbage gradient shows at once)
                new Trainer(TrainingOptions.defaults().withSteps(4).withWarmup(0).withLearningRate(1e-2)).train(a, data);
                Map<String, float[]> out = new LinkedHashMap<>();
                for (TrainableTensor t : a.trainable()) {
                    out.put(t.name(), t.value().toFloatArray());
                }
                return out;
            }
        }
    }

    /** A model that forces a GC (and dirties freed memory) after each forward, i.e. before the backward. */
    private static final class GcAfterForward implements Model {
        private final Model m;
        private List<ByteBuffer> junk = List.of();

        GcAfterForward(Model m) {
            this.m = m;
        }

        @Override
        public ModelOutput forward(Batch batch, WeightView weights, boolean training, NDManager scope) {
            ModelOutput out = m.forward(batch, weights, training, scope);
            junk = collectAndScribble();
            return out;
        }

        @Override public String architecture() { return m.architecture(); }
        @Override public String modelId() { return m.modelId(); }
        @Override public ParameterStore parameters() { return m.parameters(); }
        @Override public Task task() { return m.task(); }
        @Override public int numLabels() { return m.numLabels(); }
        @Override public Set<String> headParameters() { return m.headParameters(); }
        @Override public float dropout() { return m.dropout(); }
        @Override public void setDropout(float p) { m.setDropout(p); }
        @Override public long padTokenId() { return m.padTokenId(); }
        @Override public void close() {}
    }
}
