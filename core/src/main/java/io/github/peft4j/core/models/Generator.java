package io.github.peft4j.core.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.InvalidArgumentException;

import java.util.Arrays;

/**
 * Greedy decoding for causal LMs (what transformers' {@code generate(do_sample=False)} does):
 * append the arg-max token until {@code maxNewTokens} or the end-of-sequence token. Decoders that
 * implement {@link CausalLm} run the prompt once and then one position per token from a
 * {@link KvCache}; other models recompute the whole sequence per token.
 */
public final class Generator {
    private Generator() {}

    /** Returns prompt followed by the generated tokens (at most {@code maxNewTokens}; ends with eos if produced). */
    public static long[] greedy(Model model, WeightView weights, long[] promptIds, int maxNewTokens) {
        check(model, promptIds, maxNewTokens);
        if (!(model instanceof CausalLm lm)) {
            return greedyRecomputing(model, weights, promptIds, maxNewTokens);
        }
        java.util.Set<Long> eos = eos(model);
        long[] ids = Arrays.copyOf(promptIds, promptIds.length + maxNewTokens);
        int length = promptIds.length;
        try (KvCache cache = new KvCache(lm.numLayers(), model.parameters().manager().getDevice())) {
            long[] feed = promptIds;
            for (int step = 0; step < maxNewTokens; step++) {
                try (NDManager scope = NDManager.newBaseManager(model.parameters().manager().getDevice())) {
                    NDArray logits = lm.extend(feed, cache, weights, scope);
                    long next = logits.get(0, feed.length - 1).argMax().getLong();
                    ids[length++] = next;
                    if (eos.contains(next)) {
                        break;
                    }
                    feed = new long[] {next};
                }
            }
        }
        return Arrays.copyOf(ids, length);
    }

    /** Greedy decoding with the base weights. */
    public static long[] greedy(Model model, long[] promptIds, int maxNewTokens) {
        return greedy(model, WeightView.of(model.parameters()), promptIds, maxNewTokens);
    }

    /** The same decoding without a cache: the whole sequence is run again for every token (reference and fallback). */
    public static long[] greedyRecomputing(Model model, WeightView weights, long[] promptIds, int maxNewTokens) {
        check(model, promptIds, maxNewTokens);
        java.util.Set<Long> eos = eos(model);
        long[] ids = Arrays.copyOf(promptIds, promptIds.length + maxNewTokens);
        int length = promptIds.length;
        for (int step = 0; step < maxNewTokens; step++) {
            try (NDManager scope = NDManager.newBaseManager(model.parameters().manager().getDevice())) {
                NDArray input = scope.create(Arrays.copyOf(ids, length), new Shape(1, length));
                NDArray mask = scope.ones(new Shape(1, length), DataType.INT64);
                ModelOutput out = model.forward(new Batch(input, mask, null, null), weights, false, scope);
                long next = out.logits().get(0, length - 1).argMax().getLong();
                ids[length++] = next;
                if (eos.contains(next)) {
                    break;
                }
            }
        }
        return Arrays.copyOf(ids, length);
    }

    /**
     * Greedy decoding of several prompts together: each step runs the left-padded batch (positions
     * from the mask, as transformers does) and appends every unfinished row's arg-max; a row stops
     * at eos. Returns, per prompt, the prompt followed by its new tokens.
     */
    public static long[][] greedy(Model model, WeightView weights, long[][] prompts, int maxNewTokens) {
        if (prompts == null || prompts.length == 0) {
            throw new InvalidArgumentException("give at least one prompt");
        }
        long[][] sequences = new long[prompts.length][];
        for (int r = 0; r < prompts.length; r++) {
            check(model, prompts[r], maxNewTokens);
            sequences[r] = prompts[r].clone();
        }
        java.util.Set<Long> eos = eos(model);
        boolean[] done = new boolean[prompts.length];
        for (int step = 0; step < maxNewTokens; step++) {
            int[] rows = java.util.stream.IntStream.range(0, prompts.length).filter(r -> !done[r]).toArray();
            if (rows.length == 0) {
                break;
            }
            int width = Arrays.stream(rows).map(r -> sequences[r].length).max().getAsInt();
            long[] ids = new long[rows.length * width];
            long[] mask = new long[ids.length];
            Arrays.fill(ids, model.padTokenId());
            for (int i = 0; i < rows.length; i++) {
                long[] seq = sequences[rows[i]];
                int offset = i * width + width - seq.length; // left padding: every row ends at the last column
                System.arraycopy(seq, 0, ids, offset, seq.length);
                Arrays.fill(mask, offset, offset + seq.length, 1);
            }
            try (NDManager scope = NDManager.newBaseManager(model.parameters().manager().getDevice())) {
                Shape shape = new Shape(rows.length, width);
                ModelOutput out = model.forward(new Batch(scope.create(ids, shape), scope.create(mask, shape), null, null), weights, false, scope);
                long[] next = out.logits().get(":, -1, :").argMax(-1).toLongArray();
                for (int i = 0; i < rows.length; i++) {
                    long[] seq = Arrays.copyOf(sequences[rows[i]], sequences[rows[i]].length + 1);
                    seq[seq.length - 1] = next[i];
                    sequences[rows[i]] = seq;
                    done[rows[i]] = eos.contains(next[i]);
                }
            }
        }
        return sequences;
    }

    private static void check(Model model, long[] promptIds, int maxNewTokens) {
        if (model.task() != Task.CAUSAL_LM) {
            throw new InvalidArgumentException("greedy generation needs a causal LM, but " + model.modelId() + " is a " + model.task() + " model");
        }
        if (promptIds == null || promptIds.length == 0) {
            throw new InvalidArgumentException("the prompt must hold at least one token id");
        }
        if (maxNewTokens < 0) {
            throw new InvalidArgumentException("maxNewTokens must be ≥ 0, got " + maxNewTokens);
        }
    }

    private static java.util.Set<Long> eos(Model model) {
        return model instanceof TransformerModel t ? t.eosTokenIds() : java.util.Set.of();
    }
}
