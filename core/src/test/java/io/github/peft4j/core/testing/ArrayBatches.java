package io.github.peft4j.core.testing;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.train.BatchSource;

import java.util.Random;

/** Token-id examples of equal length in fixed batches; epochs reshuffle by (seed, epoch). */
public final class ArrayBatches implements BatchSource {
    private final long[][] ids;
    private final long[] labels;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;

    public ArrayBatches(long[][] ids, long[] labels, int batchSize, long seed, boolean shuffle) {
        this.ids = ids;
        this.labels = labels;
        this.batchSize = batchSize;
        this.seed = seed;
        this.shuffle = shuffle;
    }

    @Override
    public int batchesPerEpoch() {
        return ids.length / batchSize;
    }

    @Override
    public Batch batch(int epoch, int index, NDManager scope) {
        int[] order = new int[ids.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        if (shuffle) {
            Random r = new Random(seed * 31 + epoch);
            for (int i = order.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        int len = ids[0].length;
        long[] flat = new long[batchSize * len];
        long[] mask = new long[batchSize * len];
        long[] y = new long[batchSize];
        for (int b = 0; b < batchSize; b++) {
            int ex = order[index * batchSize + b];
            System.arraycopy(ids[ex], 0, flat, b * len, len);
            java.util.Arrays.fill(mask, b * len, (b + 1) * len, 1L);
            y[b] = labels[ex];
        }
        return new Batch(scope.create(flat, new Shape(batchSize, len)), scope.create(mask, new Shape(batchSize, len)),
                null, scope.create(y));
    }
}
