package io.github.peft4j.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Multiplication and division by a Java number that is safe under autograd.
 *
 * <p>DJL's {@code NDArray.mul(Number)}, {@code muli}, {@code div}, {@code divi}, {@code pow} and
 * {@code maximum} wrap the number in a scalar tensor whose memory is a Java direct buffer
 * ({@code torch::from_blob}) and close that tensor right after the op. Closing drops the Java
 * reference that kept the buffer alive, yet autograd has saved the scalar for the backward pass
 * ({@code d(x·s)/dx = s}): once the garbage collector frees the buffer, backward multiplies by
 * whatever lies there, and gradients turn into garbage or NaN at random steps. A scalar made by
 * {@code torch.full} owns its memory, so the saved copy stays valid for as long as the graph lives.
 * Use these helpers for every number that enters a forward pass.
 */
public final class Scalars {
    private Scalars() {}

    /** A float32 scalar owned by libtorch, in {@code like}'s manager and on its device. */
    public static NDArray of(NDArray like, float value) {
        return like.getManager().full(new Shape(), value, DataType.FLOAT32);
    }

    /** {@code x · value} as a new array. */
    public static NDArray mul(NDArray x, float value) {
        try (NDArray s = of(x, value)) {
            return x.mul(s);
        }
    }

    /** {@code x ·= value} in place; returns x. */
    public static NDArray muli(NDArray x, float value) {
        try (NDArray s = of(x, value)) {
            return x.muli(s);
        }
    }

    /** {@code x /= value} in place; returns x. */
    public static NDArray divi(NDArray x, float value) {
        try (NDArray s = of(x, value)) {
            return x.divi(s);
        }
    }
}
