package io.github.peft4j.core.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.tensor.NativeArrays;

/**
 * A batch copied into the forward's scope, plus what the masks imply, computed once on the host:
 * the caller's arrays are only read, so nothing a forward creates lands in the caller's manager.
 */
final class Inputs {
    final int batch;
    final int length;
    final long[] mask;
    final NDArray ids;
    final NDArray tokenTypes;

    private Inputs(int batch, int length, long[] mask, NDArray ids, NDArray tokenTypes) {
        this.batch = batch;
        this.length = length;
        this.mask = mask;
        this.ids = ids;
        this.tokenTypes = tokenTypes;
    }

    static Inputs read(Batch b, NDManager scope, long vocabSize) {
        Shape shape = b.inputIds().getShape();
        if (shape.dimension() != 2) {
            throw new InvalidArgumentException("inputIds must be [batch, length], got " + shape);
        }
        int batch = (int) shape.get(0);
        int length = (int) shape.get(1);
        long[] ids = longs(b.inputIds(), "inputIds");
        for (long id : ids) {
            if (id < 0 || id >= vocabSize) {
                throw new InvalidArgumentException("token id " + id + " is outside the model's vocabulary [0, " + vocabSize
                        + "): was the text tokenized with this model's tokenizer?");
            }
        }
        long[] mask;
        if (b.attentionMask() == null) {
            mask = new long[ids.length];
            java.util.Arrays.fill(mask, 1);
        } else {
            if (!b.attentionMask().getShape().equals(shape)) {
                throw new InvalidArgumentException("attentionMask shape " + b.attentionMask().getShape() + " differs from inputIds " + shape);
            }
            mask = longs(b.attentionMask(), "attentionMask");
        }
        for (int r = 0; r < batch; r++) {
            long tokens = 0;
            for (int t = 0; t < length; t++) {
                long v = mask[r * length + t];
                if (v != 0 && v != 1) {
                    throw new InvalidArgumentException("attentionMask must hold 0 (padding) or 1 (token), found " + v);
                }
                tokens += v;
            }
            if (tokens == 0) {
                throw new InvalidArgumentException("row " + r + " of the batch has no tokens (attention mask all 0): drop empty texts");
            }
        }
        NDArray types = null;
        if (b.tokenTypeIds() != null) {
            if (!b.tokenTypeIds().getShape().equals(shape)) {
                throw new InvalidArgumentException("tokenTypeIds shape " + b.tokenTypeIds().getShape() + " differs from inputIds " + shape);
            }
            types = NativeArrays.create(scope, longs(b.tokenTypeIds(), "tokenTypeIds"), shape);
        }
        return new Inputs(batch, length, mask, NativeArrays.create(scope, ids, shape), types);
    }

    /** Host copy of an integer array (int64 or int32) without allocating in the caller's manager. */
    private static long[] longs(NDArray a, String what) {
        switch (a.getDataType()) {
            case INT64:
                return a.toLongArray();
            case INT32: {
                int[] ints = a.toIntArray();
                long[] out = new long[ints.length];
                for (int i = 0; i < ints.length; i++) {
                    out[i] = ints[i];
                }
                return out;
            }
            default:
                throw new InvalidArgumentException(what + " must be int64 or int32, got " + a.getDataType());
        }
    }

    /** One unpadded sequence continuing after {@code past} cached tokens (generation with a KV cache). */
    static Inputs continuation(long[] ids, NDManager scope, long vocabSize) {
        long[] mask = new long[ids.length];
        java.util.Arrays.fill(mask, 1);
        NDArray array = NativeArrays.create(scope, ids, new Shape(1, ids.length));
        return read(new Batch(array, NativeArrays.create(scope, mask, new Shape(1, ids.length)), null, null), scope, vocabSize);
    }

    /** Positions past, past+1, ... of the new tokens. */
    long[] positionsAfter(int past) {
        long[] pos = new long[length];
        for (int t = 0; t < length; t++) {
            pos[t] = past + t;
        }
        return pos;
    }

    /** Additive bias [1, 1, T, past+T]: new token t sees every cached token and new tokens ≤ t. */
    NDArray causalBiasAfter(int past, NDManager m) {
        int keys = past + length;
        float[] bias = new float[length * keys];
        for (int q = 0; q < length; q++) {
            for (int k = 0; k < keys; k++) {
                bias[q * keys + k] = k <= past + q ? 0f : Layers.MASKED;
            }
        }
        return NativeArrays.create(m, bias, new Shape(1, 1, length, keys));
    }

    /** Embedding tables index by position: a longer batch must be truncated, not crash in native code. */
    void requirePositions(long[] positions, long maxPositions) {
        for (long p : positions) {
            if (p >= maxPositions) {
                throw new InvalidArgumentException("position " + p + " is beyond the model's " + maxPositions
                        + " learned positions: truncate inputs to at most " + maxPositions + " tokens (maxLength)");
            }
        }
    }

    /** Token-type (segment) ids must index the model's type table. */
    void requireTokenTypes(long typeVocab) {
        if (tokenTypes == null) {
            return;
        }
        for (long t : tokenTypes.toLongArray()) {
            if (t < 0 || t >= typeVocab) {
                throw new InvalidArgumentException("token type id " + t + " is outside [0, " + typeVocab + ") of this model");
            }
        }
    }

    /** 0,1,2,... per row, what encoders (BERT) and HF decoders without a mask use. */
    long[] absolutePositions() {
        long[] pos = new long[batch * length];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = i % length;
        }
        return pos;
    }

    /** HF generate(): cumsum(mask) − 1, padding positions set to 1 — left padding then starts each row at 0. */
    long[] decoderPositions() {
        long[] pos = new long[batch * length];
        for (int r = 0; r < batch; r++) {
            long seen = 0;
            for (int t = 0; t < length; t++) {
                int i = r * length + t;
                seen += mask[i];
                pos[i] = mask[i] == 0 ? 1 : seen - 1;
            }
        }
        return pos;
    }

    /** Index of each row's last real token (works for left and right padding). */
    int[] lastTokenIndex() {
        int[] last = new int[batch];
        for (int r = 0; r < batch; r++) {
            for (int t = 0; t < length; t++) {
                if (mask[r * length + t] == 1) {
                    last[r] = t;
                }
            }
        }
        return last;
    }

    /** Additive bias [B, 1, 1, T] hiding padded keys. */
    NDArray paddingBias(NDManager m) {
        float[] bias = new float[batch * length];
        for (int i = 0; i < bias.length; i++) {
            bias[i] = mask[i] == 1 ? 0f : Layers.MASKED;
        }
        return NativeArrays.create(m, bias, new Shape(batch, 1, 1, length));
    }

    /** Additive bias [B, 1, T, T]: query t sees keys ≤ t that are not padding. */
    NDArray causalBias(NDManager m) {
        float[] bias = new float[batch * length * length];
        for (int r = 0; r < batch; r++) {
            for (int q = 0; q < length; q++) {
                for (int k = 0; k < length; k++) {
                    boolean visible = k <= q && mask[r * length + k] == 1;
                    bias[(r * length + q) * length + k] = visible ? 0f : Layers.MASKED;
                }
            }
        }
        return NativeArrays.create(m, bias, new Shape(batch, 1, length, length));
    }

    /** [B, T, 1] float: 1 at each row's last real token — multiply and sum to pick that position. */
    NDArray lastTokenSelector(NDManager m) {
        float[] sel = new float[batch * length];
        int[] last = lastTokenIndex();
        for (int r = 0; r < batch; r++) {
            sel[r * length + last[r]] = 1f;
        }
        return NativeArrays.create(m, sel, new Shape(batch, length, 1));
    }

    /** Mean of the hidden states [B, T, H] over real tokens (sentence-transformers pooling). */
    NDArray meanPool(NDArray hidden, NDManager m) {
        float[] weights = new float[batch * length];
        for (int r = 0; r < batch; r++) {
            long tokens = 0;
            for (int t = 0; t < length; t++) {
                tokens += mask[r * length + t];
            }
            for (int t = 0; t < length; t++) {
                weights[r * length + t] = mask[r * length + t] == 1 ? 1f / tokens : 0f;
            }
        }
        NDArray w = NativeArrays.create(m, weights, new Shape(batch, length, 1));
        return hidden.mul(w).sum(new int[] {1});
    }

    /** hidden [B, T, H] at each row's last real token → [B, H]. */
    NDArray lastToken(NDArray hidden, NDManager m) {
        return hidden.mul(lastTokenSelector(m)).sum(new int[] {1});
    }
}
