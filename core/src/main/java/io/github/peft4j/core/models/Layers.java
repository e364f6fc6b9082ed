package io.github.peft4j.core.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;

/**
 * The building blocks the architecture files share. Every function takes its activation as the
 * first operand, so results land in the activation's manager (the layer scope), never in the
 * weights' manager.
 */
final class Layers {
    private Layers() {}

    /** What padding / causality forbid: added to attention scores (HF uses the float32 minimum the same way). */
    static final float MASKED = -Float.MAX_VALUE;

    /** Looks up rows of {@code table} [V, H] for {@code ids} [B, T]; the result belongs to ids' manager. */
    static NDArray embed(NDArray ids, NDArray table, NDManager into) {
        NDArray rows = Embedding.embedding(ids, table, ai.djl.ndarray.types.SparseFormat.DENSE).singletonOrThrow();
        rows.attach(into);
        return rows;
    }

    static NDArray layerNorm(NDArray x, WeightView w, String prefix, float eps) {
        NDArray gamma = w.get(prefix + ".weight");
        return LayerNorm.layerNorm(x, new Shape(gamma.getShape().get(0)), gamma, w.get(prefix + ".bias"), eps).singletonOrThrow();
    }

    /** Llama's RMSNorm: x / sqrt(mean(x²) + eps) · (offset + weight); Gemma uses offset 1. */
    static NDArray rmsNorm(NDArray x, NDArray weight, float eps, float offset) {
        NDArray rms = x.square().mean(new int[] {-1}, true).addi(eps).sqrt();
        NDArray normed = x.div(rms);
        // not muli: the weight may be trained and autograd needs normed intact; offset added as
        // "+ normed·offset" because weight.add(1) would allocate in the weights' manager
        NDArray out = normed.mul(weight);
        return offset == 0f ? out : out.addi(offset == 1f ? normed : normed.mul(offset));
    }

    /** Exact (erf) GELU, as BERT's and NeoX's "gelu". */
    static NDArray gelu(NDArray x) {
        return Activation.gelu(x);
    }

    /** GPT-2's "gelu_new": the tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    static NDArray geluTanh(NDArray x) {
        // x·x·x rather than pow(3): torch's pow keeps its output for backward, so it must not be edited in place
        NDArray inner = x.mul(x).mul(x).muli(0.044715f).addi(x).muli((float) Math.sqrt(2 / Math.PI)).tanh();
        return x.mul(inner.add(1)).muli(0.5f); // tanh's output is kept for backward: no in-place on it
    }

    static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    static NDArray activation(String name, NDArray x, ModelConfig config) {
        switch (name) {
            case "gelu":
                return gelu(x);
            case "gelu_new":
            case "gelu_pytorch_tanh":
            case "gelu_fast":
                return geluTanh(x);
            case "silu":
            case "swish":
                return silu(x);
            case "relu":
                return Activation.relu(x);
            default:
                throw config.invalid("activation '" + name + "' is not supported; supported: gelu, gelu_new, gelu_pytorch_tanh, silu, relu");
        }
    }

    /** Inverted dropout only while training with p > 0 (otherwise x itself, no copy). */
    static NDArray drop(NDArray x, float p, boolean training) {
        if (!training || p <= 0) {
            return x;
        }
        return Dropout.dropout(x, p, true).singletonOrThrow();
    }

    /** [B, T, heads·dim] → [B, heads, T, dim]. */
    static NDArray splitHeads(NDArray x, int heads, int dim) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), heads, dim).transpose(0, 2, 1, 3);
    }

    /** [B, heads, T, dim] → [B, T, heads·dim]. */
    static NDArray mergeHeads(NDArray x) {
        Shape s = x.getShape();
        return x.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), s.get(1) * s.get(3));
    }

    /** Grouped-query attention: each of the kvHeads serves {@code groups} consecutive query heads. */
    static NDArray repeatKv(NDArray kv, int groups) {
        if (groups == 1) {
            return kv;
        }
        Shape s = kv.getShape();
        return kv.expandDims(2).repeat(2, groups).reshape(s.get(0), s.get(1) * groups, s.get(2), s.get(3));
    }

    /**
     * softmax(q·kᵀ·scale + bias)·v with optional dropout on the probabilities; q,k,v [B, H, T, D],
     * bias broadcastable to [B, H, T, T]. Returns [B, T, H·D].
     */
    static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray bias, float scale, float dropout, boolean training) {
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).muli(scale).addi(bias);
        NDArray probs = drop(scores.softmax(-1), dropout, training);
        return mergeHeads(probs.matMul(v));
    }

    /** Applies rotary embedding to the first {@code cos.last} dims of x [B, H, T, D] (NeoX / Llama "rotate_half" form). */
    static NDArray rotary(NDArray x, NDArray cos, NDArray sin) {
        long rot = cos.getShape().getLastDimension();
        long dim = x.getShape().getLastDimension();
        NDArray part = rot == dim ? x : x.get(new NDIndex("..., :{}", rot));
        long half = rot / 2;
        NDArray first = part.get(new NDIndex("..., :{}", half));
        NDArray second = part.get(new NDIndex("..., {}:", half));
        NDArray rotated = second.neg().concat(first, -1);
        NDArray out = part.mul(cos).addi(rotated.muli(sin));
        return rot == dim ? out : out.concat(x.get(new NDIndex("..., {}:", rot)), -1);
    }

    /** Moves x into {@code layer} so that it is freed with the layer (its value is consumed there). */
    static NDArray enter(NDArray x, NDManager layer) {
        x.attach(layer);
        return x;
    }
}
