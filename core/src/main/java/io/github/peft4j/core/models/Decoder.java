package io.github.peft4j.core.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.Set;

/**
 * What the decoders (Llama, GPT-2, GPT-NeoX) share around their forward pass: a full sequence under
 * the causal mask, or a KV-cached continuation. Each subclass's {@link #decode} is its whole forward
 * pass, readable on one screen.
 */
public abstract class Decoder extends TransformerModel implements CausalLm {

    protected Decoder(Source source, Task task, int numLabels, Set<String> headParameters) {
        super(source, task, numLabels, headParameters);
    }

    @Override
    public final ModelOutput forward(Batch batch, WeightView w, boolean training, NDManager scope) {
        Inputs in = Inputs.read(batch, scope, vocabSize());
        return decode(in, in.decoderPositions(), in.causalBias(scope), null, w, training, scope);
    }

    @Override
    public final NDArray extend(long[] newIds, KvCache cache, WeightView w, NDManager scope) {
        requireTask(Task.CAUSAL_LM, "KV-cached generation");
        Inputs in = Inputs.continuation(newIds, scope, vocabSize());
        NDArray logits = decode(in, in.positionsAfter(cache.length()), in.causalBiasAfter(cache.length(), scope),
                cache, w, false, scope).logits();
        cache.advance(newIds.length);
        return logits;
    }

    /**
     * The forward pass over {@code in} at {@code positions} with the additive attention {@code mask};
     * with a cache, earlier tokens' keys/values come from it and this step's are appended.
     */
    protected abstract ModelOutput decode(Inputs in, long[] positions, NDArray mask, KvCache cache, WeightView w,
                                          boolean training, NDManager scope);
}
