package io.github.peft4j.core.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.core.Linear;
import io.github.peft4j.core.tensor.ParameterStore;

/**
 * How a forward pass reads weights. Models never touch their {@link ParameterStore} directly in
 * forward: they ask the view, and an adaptation method supplies a view that substitutes adapted
 * weights (SpaRTA: W + scatter(delta)) or adds a path (LoRA: + s·B·A·x) for the tensors it targets.
 * Results of {@link #linear} belong to {@code x}'s manager, so nothing piles up in the weights' scope.
 */
public interface WeightView {

    /** The effective value of a parameter for this pass (the base array itself when not adapted). */
    NDArray get(String name);

    /** {@code y = x · Wᵀ + b} for an HF {@code nn.Linear} weight stored [out, in]; bias may be null. */
    default NDArray linear(NDArray x, String weightName, String biasName) {
        NDArray w = get(weightName);
        NDArray b = biasName == null ? null : get(biasName);
        return Linear.linear(x, w, b).singletonOrThrow();
    }

    /** {@code y = x · W + b} for a GPT-2 {@code Conv1D} weight stored [in, out]; bias may be null. */
    default NDArray conv1d(NDArray x, String weightName, String biasName) {
        NDArray w = get(weightName);
        NDArray y = x.matMul(w);
        return biasName == null ? y : y.addi(get(biasName));
    }

    /** The unadapted view: every name resolves to the store's array. */
    static WeightView of(ParameterStore store) {
        return store::get;
    }

    /** Convenience for callers holding an NDList-producing linear. */
    static NDArray single(NDList l) {
        return l.singletonOrThrow();
    }
}
