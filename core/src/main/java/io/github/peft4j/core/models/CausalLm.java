package io.github.peft4j.core.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** A decoder that can continue a sequence from a {@link KvCache} (Llama, Qwen2, GPT-2, GPT-NeoX). */
public interface CausalLm extends Model {

    int numLayers();

    /**
     * Runs {@code newIds} (one unpadded sequence) after the {@code cache.length()} tokens already in
     * the cache, appends their keys/values, and returns the LM logits [1, newIds.length, vocab] in {@code scope}.
     */
    NDArray extend(long[] newIds, KvCache cache, WeightView weights, NDManager scope);
}
