package io.github.peft4j.core.models;

import ai.djl.ndarray.NDArray;

/**
 * One padded batch, all int64.
 *
 * @param inputIds      [B, T] token ids (padding positions hold the pad id or 0)
 * @param attentionMask [B, T] 1 for real tokens, 0 for padding (left or right padding)
 * @param tokenTypeIds  [B, T] segment ids for BERT text pairs, or null
 * @param labels        classification: [B] class ids; causal LM: [B, T] next-token targets already
 *                      aligned with inputIds (HF convention: the model shifts), -100 = ignore; or null
 */
public record Batch(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds, NDArray labels) {
    public long batchSize() {
        return inputIds.getShape().get(0);
    }

    public long length() {
        return inputIds.getShape().get(1);
    }
}
