package io.github.peft4j.core.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.tensor.NativeArrays;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * Rotary position embedding frequencies, with HF's {@code rope_scaling} types "default", "linear"
 * and "llama3". Reads both config styles: transformers ≥ 5 ({@code rope_parameters}: rope_type,
 * rope_theta, partial_rotary_factor ...) and older ({@code rope_theta} / {@code rotary_emb_base},
 * {@code rope_scaling}, {@code rotary_pct}).
 *
 * @param invFreq inverse frequencies, one per pair of rotated dims
 */
record Rope(float[] invFreq) {

    /** {@code rotaryDim} = how many dims of each head rotate (head_dim, or head_dim·rotary_pct for NeoX). */
    static Rope fromConfig(ModelConfig c, int rotaryDim) {
        JsonNode params = c.object("rope_parameters", "rope_scaling");
        double theta = c.optDouble(10000.0, "rope_parameters.rope_theta", "rope_theta", "rotary_emb_base");
        String type = params.hasNonNull("rope_type") ? params.get("rope_type").asText()
                : params.hasNonNull("type") ? params.get("type").asText() : "default";
        float[] inv = new float[rotaryDim / 2];
        for (int i = 0; i < inv.length; i++) {
            // float32 like torch: base ** (arange(0, dim, 2).float() / dim)
            float exponent = (float) (2 * i) / rotaryDim;
            inv[i] = (float) (1.0 / (float) Math.pow(theta, exponent));
        }
        switch (type) {
            case "default":
                break;
            case "linear": {
                float factor = (float) need(c, params, "factor");
                for (int i = 0; i < inv.length; i++) {
                    inv[i] /= factor;
                }
                break;
            }
            case "llama3": {
                double factor = need(c, params, "factor");
                double low = need(c, params, "low_freq_factor");
                double high = need(c, params, "high_freq_factor");
                double oldContext = need(c, params, "original_max_position_embeddings");
                double lowFreqWavelen = oldContext / low;
                double highFreqWavelen = oldContext / high;
                for (int i = 0; i < inv.length; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    if (wavelen > lowFreqWavelen) {
                        inv[i] = (float) (inv[i] / factor);
                    } else if (wavelen >= highFreqWavelen) {
                        double smooth = (oldContext / wavelen - low) / (high - low);
                        inv[i] = (float) ((1 - smooth) * inv[i] / factor + smooth * inv[i]);
                    }
                }
                break;
            }
            default:
                throw c.invalid("rope type '" + type + "' is not supported; supported: default, linear, llama3");
        }
        return new Rope(inv);
    }

    private static double need(ModelConfig c, JsonNode params, String field) {
        JsonNode n = params.get(field);
        if (n == null || !n.isNumber()) {
            throw c.invalid("rope scaling needs numeric field '" + field + "' (found " + params + ")");
        }
        return n.doubleValue();
    }

    /**
     * cos and sin tables [B, 1, T, rotaryDim] for positions [B, T] (computed on the host in float32
     * as torch does: angle = invFreq·pos, the frequencies repeated for both halves).
     */
    NDArray[] cosSin(NDManager m, long[] positions, int batch, int length) {
        int half = invFreq.length;
        int dim = 2 * half;
        float[] cos = new float[batch * length * dim];
        float[] sin = new float[cos.length];
        for (int p = 0; p < batch * length; p++) {
            float pos = positions[p];
            for (int i = 0; i < half; i++) {
                float angle = invFreq[i] * pos;
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[p * dim + i] = c;
                cos[p * dim + half + i] = c;
                sin[p * dim + i] = s;
                sin[p * dim + half + i] = s;
            }
        }
        Shape shape = new Shape(batch, 1, length, dim);
        return new NDArray[] {NativeArrays.create(m, cos, shape), NativeArrays.create(m, sin, shape)};
    }
}
