package io.github.peft4j.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;

/**
 * Arrays whose memory libtorch owns. Use these instead of {@code manager.create(javaData)} and of
 * the {@code Number} overloads ({@code x.mul(0.5f)}, {@code x.muli(scale)}, ...) of DJL's ops.
 *
 * <p>Why: DJL's PyTorch engine turns Java data into a tensor with {@code torch::from_blob} over a
 * direct ByteBuffer (no copy). libtorch does not own that memory; only the Java field
 * {@code PtNDArray.dataRef} keeps the buffer alive, and {@code close()} clears it. Whatever else
 * still points into the buffer then reads freed memory as soon as a GC runs: views
 * (reshape/transpose/slice), and tensors autograd saved for backward. The worst case is in DJL
 * itself: {@code x.muli(2f)} creates a from_blob scalar, multiplies, and closes the scalar at once,
 * while autograd keeps it for the backward pass (d(x·s)/dx = s). A GC between forward and backward
 * then multiplies the gradient by garbage: non-reproducible runs and infinite gradient norms.
 * Arrays made here are copies torch owns (or are created natively), so closing them is always safe.
 */
public final class NativeArrays {
    private NativeArrays() {}

    public static NDArray create(NDManager m, float[] data, Shape shape) {
        return owned(m.create(data, shape));
    }

    public static NDArray create(NDManager m, long[] data, Shape shape) {
        return owned(m.create(data, shape));
    }

    /** A 1-d array of {@code data}. */
    public static NDArray create(NDManager m, float[] data) {
        return create(m, data, new Shape(data.length));
    }

    /** A 1-d array of {@code data}. */
    public static NDArray create(NDManager m, long[] data) {
        return create(m, data, new Shape(data.length));
    }

    /** A 2-d array of equal-length rows. */
    public static NDArray create(NDManager m, long[][] data) {
        return owned(m.create(data));
    }

    /** {@code data} (native byte order) copied into torch memory; the buffer may be reused or freed afterwards. */
    public static NDArray create(NDManager m, ByteBuffer data, Shape shape, DataType type) {
        return owned(m.create(data, shape, type));
    }

    /** A 0-d float32 tensor created by libtorch (no Java buffer behind it). */
    public static NDArray scalar(NDManager m, float value) {
        return m.full(new Shape(), value, DataType.FLOAT32);
    }

    /** {@code x · s}, as {@code x.mul(s)} but safe under autograd; the result belongs to x's manager. */
    public static NDArray mul(NDArray x, float s) {
        try (NDArray c = scalar(x.getManager(), s)) {
            return x.mul(c);   // closing c drops only our handle: autograd keeps its own reference
        }
    }

    /** {@code x ·= s} in place, as {@code x.muli(s)} but safe under autograd. */
    public static NDArray muli(NDArray x, float s) {
        try (NDArray c = scalar(x.getManager(), s)) {
            return x.muli(c);
        }
    }

    /** {@code x /= s} in place, as {@code x.divi(s)} but safe under autograd. */
    public static NDArray divi(NDArray x, float s) {
        try (NDArray c = scalar(x.getManager(), s)) {
            return x.divi(c);
        }
    }

    /** A torch-owned copy of a from_blob array (same manager); the original is closed. */
    private static NDArray owned(NDArray fromBlob) {
        try (fromBlob) {
            return fromBlob.duplicate();
        }
    }
}
