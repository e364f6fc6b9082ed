package io.github.peft4j.core.models;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.tensor.ParameterStore;

import java.util.Set;

/**
 * A transformer with HF checkpoint parameter names. One readable file per architecture implements
 * this (Bert, Llama, Gpt2, GptNeoX). The base weights in {@link #parameters()} are frozen; adapters
 * change what forward sees through the {@link WeightView}.
 */
public interface Model extends AutoCloseable {

    /** HF {@code model_type}: "bert", "llama", "gpt2", "gpt_neox". */
    String architecture();

    /** Where it came from: hub id ("sentence-transformers/all-MiniLM-L6-v2") or a folder path. */
    String modelId();

    ParameterStore parameters();

    Task task();

    /** Number of classes for {@link Task#CLASSIFICATION}, else 0. */
    int numLabels();

    /** Names of the task head's parameters (classifier/score/pooler-dense if newly added); always trained densely. */
    Set<String> headParameters();

    /** Hidden-state dropout used when {@code training} is true; 0 turns it off (faster on CPU). */
    float dropout();

    void setDropout(float p);

    /** Token id used for padding (decoders without one use eos). */
    long padTokenId();

    /**
     * Forward pass. Every array it creates is attached to {@code scope} (per-layer sub-managers are
     * closed as soon as the layer's output is attached), so a training loop that closes the step's
     * scope frees everything.
     */
    ModelOutput forward(Batch batch, WeightView weights, boolean training, NDManager scope);

    /** Inference with the base weights. */
    default ModelOutput forward(Batch batch, NDManager scope) {
        return forward(batch, WeightView.of(parameters()), false, scope);
    }

    /**
     * A {@link Task#CLASSIFICATION} model with {@code numLabels} classes on the same frozen base
     * weights, with a head drawn from {@code seed} (or the checkpoint's own head when it fits).
     */
    default Model forClassification(int numLabels, long seed) {
        throw new io.github.peft4j.core.InvalidArgumentException(getClass().getSimpleName() + " does not support adding a classification head");
    }

    /** The model folder's tokenizer.json, when it has one. */
    default java.util.Optional<java.nio.file.Path> tokenizerFile() {
        return java.util.Optional.empty();
    }

    @Override
    default void close() {
        parameters().close();
    }
}
