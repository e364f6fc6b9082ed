package io.github.peft4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.tensor.NativeArrays;

import java.util.Arrays;

/**
 * A tensor on the Java heap, in one of the two dtypes peft4j computes with: F32 ({@link #floats})
 * or I64 ({@link #longs}). Files in F16/BF16/F64 are widened/narrowed to F32 and I32/I16/I8/U8/BOOL
 * to I64 when read, so DJL never sees a dtype it might abort on.
 */
public record HostTensor(String dtype, long[] shape, float[] floats, long[] longs) {

    public HostTensor {
        long n = numel(shape);
        if ("F32".equals(dtype)) {
            if (floats == null || floats.length != n) {
                throw new InvalidArgumentException("F32 tensor of shape " + Arrays.toString(shape) + " needs " + n + " floats");
            }
        } else if ("I64".equals(dtype)) {
            if (longs == null || longs.length != n) {
                throw new InvalidArgumentException("I64 tensor of shape " + Arrays.toString(shape) + " needs " + n + " longs");
            }
        } else {
            throw new InvalidArgumentException("HostTensor holds F32 or I64, not " + dtype);
        }
    }

    public static HostTensor f32(long[] shape, float[] data) {
        return new HostTensor("F32", shape.clone(), data, null);
    }

    public static HostTensor i64(long[] shape, long[] data) {
        return new HostTensor("I64", shape.clone(), null, data);
    }

    /** Copies an F32 or integer NDArray to the heap (integers widened to I64). */
    public static HostTensor of(NDArray a) {
        long[] shape = a.getShape().getShape();
        DataType t = a.getDataType();
        switch (t) {
            case FLOAT32:
                return f32(shape, a.toFloatArray());
            case INT64:
                return i64(shape, a.toLongArray());
            case INT32: {
                int[] v = a.toIntArray();
                long[] w = new long[v.length];
                for (int i = 0; i < v.length; i++) {
                    w[i] = v[i];
                }
                return i64(shape, w);
            }
            case FLOAT64:
            case FLOAT16: {
                try (NDArray f = a.toType(DataType.FLOAT32, true)) {
                    return f32(shape, f.toFloatArray());
                }
            }
            default:
                throw new InvalidArgumentException("Cannot copy a " + t + " array to the heap; use float32 or int64.");
        }
    }

    public long numel() {
        return numel(shape);
    }

    public NDArray toNDArray(NDManager m) {
        Shape s = new Shape(shape);
        return "F32".equals(dtype) ? NativeArrays.create(m, floats, s) : NativeArrays.create(m, longs, s);
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new InvalidArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public String toString() {
        return dtype + Arrays.toString(shape);
    }
}
