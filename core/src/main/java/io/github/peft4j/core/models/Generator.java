package io.github.peft4j.core.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.InvalidArgumentException;

import java.util.Arrays;

/**
 * Greedy decoding for causal LMs (what transformers' {@code generate(do_sample=False)} does):
 * append the arg-max token until {@code maxNewTokens} or the end-of-sequence token. Each step
 * recomputes the whole sequence (no KV cache): simple and exact, quadratic in length — fine for
 * the short continuations used to check a fine-tuned model.
 */
public final class Generator {
    private Generator() {}

    /** Returns prompt followed by the generated tokens (at most {@code maxNewTokens}, ends with eos if produced). */
    public static long[] greedy(Model model, WeightView weights, long[] promptIds, int maxNewTokens) {
        if (model.task() != Task.CAUSAL_LM) {
            throw new InvalidArgumentException("greedy generation needs a causal LM, but " + model.modelId() + " is a " + model.task() + " model");
        }
        if (promptIds == null || promptIds.length == 0) {
            throw new InvalidArgumentException("the prompt must hold at least one token id");
        }
        if (maxNewTokens < 0) {
            throw new InvalidArgumentException("maxNewTokens must be ≥ 0, got " + maxNewTokens);
        }
        long eos = model instanceof TransformerModel t ? t.eosTokenId().orElse(-1L) : -1L;
        long[] ids = Arrays.copyOf(promptIds, promptIds.length + maxNewTokens);
        int length = promptIds.length;
        for (int step = 0; step < maxNewTokens; step++) {
            try (NDManager scope = NDManager.newBaseManager(model.parameters().manager().getDevice())) {
                NDArray input = scope.create(Arrays.copyOf(ids, length), new Shape(1, length));
                NDArray mask = scope.ones(new Shape(1, length), ai.djl.ndarray.types.DataType.INT64);
                ModelOutput out = model.forward(new Batch(input, mask, null, null), weights, false, scope);
                long next = out.logits().get(0, length - 1).argMax().getLong();
                ids[length++] = next;
                if (next == eos) {
                    break;
                }
            }
        }
        return Arrays.copyOf(ids, length);
    }

    /** Greedy decoding with the base weights. */
    public static long[] greedy(Model model, long[] promptIds, int maxNewTokens) {
        return greedy(model, WeightView.of(model.parameters()), promptIds, maxNewTokens);
    }
}
