package io.github.peft4j.core.models;

import ai.djl.ndarray.NDArray;

/**
 * @param logits          classification [B, numLabels]; causal LM [B, T, vocab]; null for a bare encoder
 * @param lastHiddenState [B, T, hidden] after the final layer (and final norm for decoders)
 * @param pooled          [B, hidden] the vector the classification head reads (null for LM)
 */
public record ModelOutput(NDArray logits, NDArray lastHiddenState, NDArray pooled) {}
