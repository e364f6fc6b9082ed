package io.github.peft4j.core.models;

/** What a model's head computes. */
public enum Task {
    /** No head: hidden states (and a pooled vector) only. */
    ENCODER,
    /** Sequence classification: logits [B, numLabels]. */
    CLASSIFICATION,
    /** Next-token prediction: logits [B, T, vocab]. */
    CAUSAL_LM
}
