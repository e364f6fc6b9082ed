package io.github.peft4j.dsl.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.tensor.NativeArrays;
import io.github.peft4j.core.train.BatchSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Padded batches of tokenized examples.
 * <p>Training order: each epoch the rows are shuffled with a generator seeded by (seed, epoch),
 * cut into buckets of {@value #BUCKET_BATCHES} batches, sorted by length inside each bucket (so a
 * batch holds texts of similar length and little padding), cut into batches, and the batches are
 * shuffled again. Evaluation order: all rows sorted by length, no shuffling; {@link #rows} maps a
 * batch back to dataset rows. Padding is on the right with the tokenizer's pad id, mask 0,
 * segment id 0 and label -100 for causal LM.
 */
public final class TextBatches implements BatchSource {
    static final int BUCKET_BATCHES = 50;

    private final List<Example> examples;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final long padId;
    private final boolean withTypeIds;
    private int cachedEpoch = Integer.MIN_VALUE;
    private List<int[]> cachedBatches;

    public TextBatches(List<Example> examples, int batchSize, boolean shuffle, long seed, long padId, boolean withTypeIds) {
        if (examples.isEmpty()) {
            throw new InvalidArgumentException("No examples to batch: the dataset is empty.");
        }
        if (batchSize <= 0) {
            throw new InvalidArgumentException("Batch size " + batchSize + " must be positive.");
        }
        this.examples = List.copyOf(examples);
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.padId = padId;
        this.withTypeIds = withTypeIds;
    }

    /** Shuffled, length-bucketed batches for training. */
    public static TextBatches training(List<Example> examples, int batchSize, long seed, long padId, boolean withTypeIds) {
        return new TextBatches(examples, batchSize, true, seed, padId, withTypeIds);
    }

    /** Length-sorted batches in a fixed order for evaluation and prediction. */
    public static TextBatches inference(List<Example> examples, int batchSize, long padId, boolean withTypeIds) {
        return new TextBatches(examples, batchSize, false, 0, padId, withTypeIds);
    }

    public int size() {
        return examples.size();
    }

    public List<Example> examples() {
        return examples;
    }

    @Override
    public int batchesPerEpoch() {
        return (examples.size() + batchSize - 1) / batchSize;
    }

    /** Dataset rows in batch {@code index} of {@code epoch}, in the batch's row order. */
    public synchronized int[] rows(int epoch, int index) {
        if (cachedEpoch != epoch || cachedBatches == null) {
            cachedBatches = order(epoch);
            cachedEpoch = epoch;
        }
        if (index < 0 || index >= cachedBatches.size()) {
            throw new IndexOutOfBoundsException("batch " + index + " of " + cachedBatches.size());
        }
        return cachedBatches.get(index);
    }

    @Override
    public Batch batch(int epoch, int index, NDManager scope) {
        int[] rows = rows(epoch, index);
        int width = 0;
        for (int r : rows) {
            width = Math.max(width, examples.get(r).length());
        }
        int n = rows.length;
        long[] ids = new long[n * width];
        long[] mask = new long[n * width];
        long[] types = new long[n * width];
        boolean lm = examples.get(rows[0]).tokenLabels() != null;
        long[] tokenLabels = lm ? new long[n * width] : null;
        long[] classLabels = lm ? null : new long[n];
        for (int b = 0; b < n; b++) {
            Example e = examples.get(rows[b]);
            for (int t = 0; t < width; t++) {
                int at = b * width + t;
                boolean real = t < e.length();
                ids[at] = real ? e.ids()[t] : padId;
                mask[at] = real ? 1 : 0;
                types[at] = real ? e.typeIds()[t] : 0;
                if (lm) {
                    tokenLabels[at] = real ? e.tokenLabels()[t] : Encoder.IGNORE;
                }
            }
            if (!lm) {
                classLabels[b] = e.label();
            }
        }
        Shape shape = new Shape(n, width);
        NDArray idArray = NativeArrays.create(scope, ids, shape);
        NDArray maskArray = NativeArrays.create(scope, mask, shape);
        NDArray typeArray = withTypeIds ? NativeArrays.create(scope, types, shape) : null;
        NDArray labels;
        if (lm) {
            labels = NativeArrays.create(scope, tokenLabels, shape);
        } else if (classLabels[0] >= 0) {
            labels = NativeArrays.create(scope, classLabels);
        } else {
            labels = null;
        }
        return new Batch(idArray, maskArray, typeArray, labels);
    }

    private List<int[]> order(int epoch) {
        List<Integer> rows = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            rows.add(i);
        }
        Comparator<Integer> byLength = Comparator.comparingInt((Integer r) -> examples.get(r).length()).thenComparingInt(r -> r);
        List<int[]> batches = new ArrayList<>();
        if (!shuffle) {
            rows.sort(byLength);
            cut(rows, batches);
            return batches;
        }
        Random random = new Random(seed * 1_000_003L + epoch);
        Collections.shuffle(rows, random);
        int bucket = batchSize * BUCKET_BATCHES;
        for (int start = 0; start < rows.size(); start += bucket) {
            List<Integer> part = new ArrayList<>(rows.subList(start, Math.min(rows.size(), start + bucket)));
            part.sort(byLength);
            cut(part, batches);
        }
        Collections.shuffle(batches, random);
        return batches;
    }

    private void cut(List<Integer> rows, List<int[]> into) {
        for (int start = 0; start < rows.size(); start += batchSize) {
            List<Integer> part = rows.subList(start, Math.min(rows.size(), start + batchSize));
            into.add(part.stream().mapToInt(Integer::intValue).toArray());
        }
    }
}
