package io.github.peft4j.core.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.WeightView;

import java.util.Random;
import java.util.function.Function;

/** Small helpers shared by the method and trainer tests. */
public final class Fixtures {
    private Fixtures() {}

    /** Random token sequences with random labels (for equivalence tests, not learning). */
    public static ArrayBatches randomTokens(int examples, int length, int vocab, int classes, int batchSize, long seed) {
        Random r = new Random(seed);
        long[][] ids = new long[examples][length];
        long[] labels = new long[examples];
        for (int i = 0; i < examples; i++) {
            for (int t = 0; t < length; t++) {
                ids[i][t] = r.nextInt(vocab);
            }
            labels[i] = r.nextInt(classes);
        }
        return new ArrayBatches(ids, labels, batchSize, seed, false);
    }

    /** Logits of batch 0 of {@code data} under the view {@code views} builds, copied to the heap. */
    public static float[] logits(Model model, ArrayBatches data, Function<NDManager, WeightView> views) {
        try (NDManager scope = NDManager.newBaseManager()) {
            Batch b = data.batch(0, 0, scope);
            return model.forward(b, views.apply(scope), false, scope).logits().toFloatArray();
        }
    }

    public static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    /** Host copy of a stored parameter. */
    public static float[] param(Model model, String name) {
        NDArray a = model.parameters().get(name);
        return a.toFloatArray();
    }
}
