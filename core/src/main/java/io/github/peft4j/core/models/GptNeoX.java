package io.github.peft4j.core.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static io.github.peft4j.core.models.Layers.*;

/**
 * GPT-NeoX / Pythia (HF {@code GPTNeoXForCausalLM} / {@code GPTNeoXForSequenceClassification}):
 * fused {@code attention.query_key_value} whose output is laid out per head as [q|k|v] (NeoX's
 * interleaving, not GPT-2's q|k|v over the whole width), rotary embedding on the first
 * {@code rotary_pct} of each head, parallel residual {@code x + attn(ln1(x)) + mlp(ln2(x))} when
 * {@code use_parallel_residual}, LM head {@code embed_out}, classification head {@code score}.
 */
public final class GptNeoX extends Decoder {
    private final String p; // "gpt_neox." or ""
    private final int hidden;
    private final int layers;
    private final int heads;
    private final float eps;
    private final long vocab;
    private final String act;
    private final boolean parallelResidual;
    private final boolean attentionBias;
    private final String lmHead;
    private final Rope rope;

    private GptNeoX(Source source, Task task, int numLabels, Set<String> head) {
        super(source, task, numLabels, head);
        this.p = prefix(store.names());
        this.hidden = config.requireInt("hidden_size");
        this.layers = config.requireInt("num_hidden_layers");
        this.heads = config.requireInt("num_attention_heads");
        this.eps = (float) config.optDouble(1e-5, "layer_norm_eps");
        this.vocab = config.requireInt("vocab_size");
        this.act = config.optString("hidden_act").orElse("gelu");
        this.parallelResidual = config.optBool(true, "use_parallel_residual");
        this.attentionBias = config.optBool(true, "attention_bias");
        this.lmHead = config.optBool(false, "tie_word_embeddings") ? p + "embed_in.weight" : "embed_out.weight";
        this.rope = Rope.fromConfig(config, rotaryDims(config));
    }

    /** How many dims of each head rotate: head_dim · rotary_pct (v5 configs: rope_parameters.partial_rotary_factor). */
    static int rotaryDims(ModelConfig c) {
        int headDim = c.requireInt("hidden_size") / c.requireInt("num_attention_heads");
        double pct = c.optDouble(1.0, "rope_parameters.partial_rotary_factor", "rotary_pct", "partial_rotary_factor");
        int dims = (int) (headDim * pct);
        if (dims % 2 != 0 || dims <= 0 || dims > headDim) {
            throw c.invalid("rotary_pct " + pct + " gives " + dims + " rotary dims of head size " + headDim + "; it must be an even number in (0, head size]");
        }
        return dims;
    }

    static GptNeoX create(Source source) {
        Set<String> names = source.store().names();
        if (names.contains("score.weight")) {
            int labels = (int) source.store().shape("score.weight").get(0);
            return new GptNeoX(source, Task.CLASSIFICATION, labels, Set.of("score.weight"));
        }
        boolean hasLmHead = source.config().optBool(false, "tie_word_embeddings") || names.contains("embed_out.weight");
        return new GptNeoX(source, hasLmHead ? Task.CAUSAL_LM : Task.ENCODER, 0, Set.of());
    }

    static String prefix(Set<String> names) {
        return names.contains("gpt_neox.embed_in.weight") ? "gpt_neox." : "";
    }

    static Map<String, Shape> expectedShapes(ModelConfig c, Set<String> names) {
        String p = prefix(names);
        int h = c.requireInt("hidden_size");
        int heads = c.requireInt("num_attention_heads");
        if (h % heads != 0) {
            throw c.invalid("hidden_size " + h + " is not divisible by num_attention_heads " + heads);
        }
        rotaryDims(c);
        int inter = c.requireInt("intermediate_size");
        long vocab = c.requireInt("vocab_size");
        boolean bias = c.optBool(true, "attention_bias");
        Map<String, Shape> s = new LinkedHashMap<>();
        s.put(p + "embed_in.weight", new Shape(vocab, h));
        for (int l = 0; l < c.requireInt("num_hidden_layers"); l++) {
            String L = p + "layers." + l + ".";
            norm(s, L + "input_layernorm", h);
            norm(s, L + "post_attention_layernorm", h);
            linear(s, L + "attention.query_key_value", 3 * h, h, bias);
            linear(s, L + "attention.dense", h, h, bias);
            linear(s, L + "mlp.dense_h_to_4h", inter, h, true);
            linear(s, L + "mlp.dense_4h_to_h", h, inter, true);
        }
        norm(s, p + "final_layer_norm", h);
        if (!c.optBool(false, "tie_word_embeddings") && names.contains("embed_out.weight")) {
            s.put("embed_out.weight", new Shape(vocab, h));
        }
        if (names.contains("score.weight")) {
            s.put("score.weight", new Shape(c.numLabels() > 0 ? c.numLabels() : 2, h));
        }
        return s;
    }

    private static void linear(Map<String, Shape> s, String name, int out, int in, boolean bias) {
        s.put(name + ".weight", new Shape(out, in));
        if (bias) {
            s.put(name + ".bias", new Shape(out));
        }
    }

    private static void norm(Map<String, Shape> s, String name, int h) {
        s.put(name + ".weight", new Shape(h));
        s.put(name + ".bias", new Shape(h));
    }

    @Override
    public String architecture() {
        return "gpt_neox";
    }

    @Override
    public int hiddenSize() {
        return hidden;
    }

    @Override
    public long vocabSize() {
        return vocab;
    }

    @Override
    public GptNeoX forClassification(int numLabels, long seed) {
        checkLabels(numLabels);
        GptNeoX model = new GptNeoX(source, Task.CLASSIFICATION, numLabels, ensureHead(linearHead("score", numLabels, hidden, false), seed));
        model.setDropout(dropout());
        return model;
    }

    @Override
    public int numLayers() {
        return layers;
    }

    @Override
    protected ModelOutput decode(Inputs in, long[] positions, NDArray mask, KvCache cache, WeightView w, boolean training, NDManager scope) {
        float pDrop = training ? dropout() : 0f;
        int headDim = hidden / heads;
        float scale = (float) (1 / Math.sqrt(headDim));
        NDArray[] cosSin = rope.cosSin(scope, positions, in.batch, in.length);

        NDArray x = embed(in.ids, w.get(p + "embed_in.weight"), scope);
        for (int l = 0; l < layers; l++) {
            String L = p + "layers." + l + ".";
            int layer = l;
            NDArray layerInput = x;
            x = inLayer(scope, m -> {
                NDArray h = enter(layerInput, m);
                NDArray a = layerNorm(h, w, L + "input_layernorm", eps);
                NDArray fused = w.linear(a, L + "attention.query_key_value.weight", attentionBias ? L + "attention.query_key_value.bias" : null);
                // [B, T, heads, 3·headDim] → per head q | k | v
                NDList qkv = fused.reshape(in.batch, in.length, heads, 3 * headDim).transpose(0, 2, 1, 3).split(3, 3);
                NDArray q = rotary(qkv.get(0), cosSin[0], cosSin[1]);
                NDArray k = rotary(qkv.get(1), cosSin[0], cosSin[1]);
                NDArray v = qkv.get(2);
                if (cache != null) {
                    k = cache.keys(layer, k, m);
                    v = cache.values(layer, v, m);
                }
                NDArray context = attention(q, k, v, mask, scale, pDrop, training);
                NDArray attended = drop(w.linear(context, L + "attention.dense.weight", attentionBias ? L + "attention.dense.bias" : null), pDrop, training);
                if (parallelResidual) {
                    NDArray ff = mlp(layerNorm(h, w, L + "post_attention_layernorm", eps), w, L);
                    return drop(ff, pDrop, training).addi(attended).addi(h);
                }
                NDArray mid = attended.addi(h);
                NDArray ff = mlp(layerNorm(mid, w, L + "post_attention_layernorm", eps), w, L);
                return drop(ff, pDrop, training).addi(mid);
            });
        }
        x = layerNorm(x, w, p + "final_layer_norm", eps);

        switch (task()) {
            case CAUSAL_LM:
                return new ModelOutput(w.linear(x, lmHead, null), x, null);
            case CLASSIFICATION: {
                NDArray last = in.lastToken(x, scope);
                return new ModelOutput(w.linear(last, "score.weight", null), x, last);
            }
            default:
                return new ModelOutput(null, x, in.lastToken(x, scope));
        }
    }

    private NDArray mlp(NDArray a, WeightView w, String L) {
        NDArray up = activation(act, w.linear(a, L + "mlp.dense_h_to_4h.weight", L + "mlp.dense_h_to_4h.bias"), config);
        return w.linear(up, L + "mlp.dense_4h_to_h.weight", L + "mlp.dense_4h_to_h.bias");
    }
}
