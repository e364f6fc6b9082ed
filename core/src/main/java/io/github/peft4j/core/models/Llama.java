package io.github.peft4j.core.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.tensor.NativeArrays;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static io.github.peft4j.core.models.Layers.*;

/**
 * Llama-family decoders (HF {@code LlamaForCausalLM} / {@code LlamaForSequenceClassification}):
 * RMSNorm, RoPE (default / linear / llama3 scaling), grouped-query attention, gated MLP, tied or
 * untied LM head, classification head {@code score} on the last real token. The relatives differ
 * only in constants, read from their configs:
 * <ul>
 *   <li>Qwen2: q/k/v biases.</li>
 *   <li>Mistral: a sliding attention window (inputs longer than it are refused, not approximated).</li>
 *   <li>Gemma: RMSNorm scales by (1 + weight), embeddings by √hidden, tanh GELU, tied head.</li>
 *   <li>Granite: embedding, residual and attention multipliers, logits divided by logits_scaling.</li>
 * </ul>
 */
public final class Llama extends Decoder {
    private final String p; // "model." or ""
    private final int hidden;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float eps;
    private final long vocab;
    private final boolean qkvBias;
    private final boolean outBias;
    private final boolean mlpBias;
    private final String act;
    private final String lmHead;
    private final Rope rope;
    private final float normOffset;     // Gemma: x̂·(1 + w)
    private final float embedScale;     // Gemma √hidden, Granite embedding_multiplier
    private final float residualScale;  // Granite residual_multiplier
    private final float attentionScale; // head_dim^-½, Granite attention_multiplier
    private final float logitsDivisor;  // Granite logits_scaling
    private final int slidingWindow;    // Mistral; 0 = none

    private Llama(Source source, Task task, int numLabels, Set<String> head) {
        super(source, task, numLabels, head);
        this.p = prefix(store.names());
        this.hidden = config.requireInt("hidden_size");
        this.layers = config.requireInt("num_hidden_layers");
        this.heads = config.requireInt("num_attention_heads");
        this.kvHeads = config.optInt(heads, "num_key_value_heads");
        this.headDim = config.optInt(hidden / heads, "head_dim");
        this.eps = (float) config.optDouble(1e-6, "rms_norm_eps");
        this.vocab = config.requireInt("vocab_size");
        boolean attentionBias = config.optBool(false, "attention_bias");
        this.qkvBias = attentionBias || config.modelType().equals("qwen2");
        this.outBias = attentionBias;
        this.mlpBias = config.optBool(false, "mlp_bias");
        this.act = activationName(config);
        this.lmHead = tied(config) ? p + "embed_tokens.weight" : "lm_head.weight";
        this.rope = Rope.fromConfig(config, headDim);
        boolean gemma = config.modelType().equals("gemma");
        this.normOffset = gemma ? 1f : 0f;
        this.embedScale = gemma ? (float) Math.sqrt(hidden) : (float) config.optDouble(1.0, "embedding_multiplier");
        this.residualScale = (float) config.optDouble(1.0, "residual_multiplier");
        this.attentionScale = (float) config.optDouble(1 / Math.sqrt(headDim), "attention_multiplier");
        this.logitsDivisor = (float) config.optDouble(1.0, "logits_scaling");
        // Qwen2 configs also carry sliding_window, but only use it with use_sliding_window (refused at load)
        this.slidingWindow = config.modelType().equals("mistral") ? config.optInt(0, "sliding_window") : 0;
    }

    private static String activationName(ModelConfig c) {
        String act = c.optString("hidden_activation", "hidden_act").orElse("silu");
        // Gemma's original configs say "gelu" but mean the tanh approximation (as transformers corrects)
        return c.modelType().equals("gemma") && act.equals("gelu") ? "gelu_pytorch_tanh" : act;
    }

    static Llama create(Source source) {
        Set<String> names = source.store().names();
        if (names.contains("score.weight")) {
            int labels = (int) source.store().shape("score.weight").get(0);
            return new Llama(source, Task.CLASSIFICATION, labels, Set.of("score.weight"));
        }
        boolean hasLmHead = tied(source.config()) || names.contains("lm_head.weight");
        return new Llama(source, hasLmHead ? Task.CAUSAL_LM : Task.ENCODER, 0, Set.of());
    }

    static String prefix(Set<String> names) {
        return names.contains("model.embed_tokens.weight") ? "model." : "";
    }

    private static boolean tied(ModelConfig c) {
        return c.optBool(c.modelType().equals("gemma"), "tie_word_embeddings"); // the transformers default per type
    }

    static Map<String, Shape> expectedShapes(ModelConfig c, Set<String> names) {
        String p = prefix(names);
        int h = c.requireInt("hidden_size");
        int heads = c.requireInt("num_attention_heads");
        int kv = c.optInt(heads, "num_key_value_heads");
        int hd = c.optInt(h / heads, "head_dim");
        int inter = c.requireInt("intermediate_size");
        long vocab = c.requireInt("vocab_size");
        if (heads % kv != 0) {
            throw c.invalid("num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kv);
        }
        if (c.optBool(false, "use_sliding_window")) {
            throw c.invalid("use_sliding_window=true is not supported (full attention only); set it to false for sequences within the window");
        }
        boolean attentionBias = c.optBool(false, "attention_bias");
        boolean qkvBias = attentionBias || c.modelType().equals("qwen2");
        boolean mlpBias = c.optBool(false, "mlp_bias");
        Map<String, Shape> s = new LinkedHashMap<>();
        s.put(p + "embed_tokens.weight", new Shape(vocab, h));
        for (int l = 0; l < c.requireInt("num_hidden_layers"); l++) {
            String L = p + "layers." + l + ".";
            s.put(L + "input_layernorm.weight", new Shape(h));
            linear(s, L + "self_attn.q_proj", heads * hd, h, qkvBias);
            linear(s, L + "self_attn.k_proj", kv * hd, h, qkvBias);
            linear(s, L + "self_attn.v_proj", kv * hd, h, qkvBias);
            linear(s, L + "self_attn.o_proj", h, heads * hd, attentionBias);
            s.put(L + "post_attention_layernorm.weight", new Shape(h));
            linear(s, L + "mlp.gate_proj", inter, h, mlpBias);
            linear(s, L + "mlp.up_proj", inter, h, mlpBias);
            linear(s, L + "mlp.down_proj", h, inter, mlpBias);
        }
        s.put(p + "norm.weight", new Shape(h));
        if (!tied(c) && names.contains("lm_head.weight")) {
            s.put("lm_head.weight", new Shape(vocab, h));
        }
        if (names.contains("score.weight")) {
            s.put("score.weight", new Shape(c.numLabels() > 0 ? c.numLabels() : 2, h));
        }
        return s;
    }

    private NDArray residual(NDArray branch) {
        return residualScale == 1f ? branch : NativeArrays.muli(branch, residualScale);
    }

    private static void linear(Map<String, Shape> s, String name, int out, int in, boolean bias) {
        s.put(name + ".weight", new Shape(out, in));
        if (bias) {
            s.put(name + ".bias", new Shape(out));
        }
    }

    @Override
    public String architecture() {
        return config.modelType();
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
    public Llama forClassification(int numLabels, long seed) {
        checkLabels(numLabels);
        Llama model = new Llama(source, Task.CLASSIFICATION, numLabels, ensureHead(linearHead("score", numLabels, hidden, false), seed));
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
        int span = (cache == null ? 0 : cache.length()) + in.length;
        if (slidingWindow > 0 && span > slidingWindow) {
            throw new io.github.peft4j.core.InvalidArgumentException("sequence longer than the sliding attention window of " + slidingWindow
                    + " tokens, which is not implemented: truncate inputs to " + slidingWindow + " tokens");
        }
        NDArray[] cosSin = rope.cosSin(scope, positions, in.batch, in.length);

        NDArray x = embed(in.ids, w.get(p + "embed_tokens.weight"), scope);
        if (embedScale != 1f) {
            NativeArrays.muli(x, embedScale);
        }
        for (int l = 0; l < layers; l++) {
            String L = p + "layers." + l + ".";
            int layer = l;
            NDArray layerInput = x;
            x = inLayer(scope, m -> {
                NDArray h = enter(layerInput, m);
                NDArray a = rmsNorm(h, w.get(L + "input_layernorm.weight"), eps, normOffset);
                NDArray q = splitHeads(w.linear(a, L + "self_attn.q_proj.weight", qkvBias ? L + "self_attn.q_proj.bias" : null), heads, headDim);
                NDArray k = splitHeads(w.linear(a, L + "self_attn.k_proj.weight", qkvBias ? L + "self_attn.k_proj.bias" : null), kvHeads, headDim);
                NDArray v = splitHeads(w.linear(a, L + "self_attn.v_proj.weight", qkvBias ? L + "self_attn.v_proj.bias" : null), kvHeads, headDim);
                q = rotary(q, cosSin[0], cosSin[1]);
                k = rotary(k, cosSin[0], cosSin[1]);
                if (cache != null) {
                    k = cache.keys(layer, k, m);
                    v = cache.values(layer, v, m);
                }
                int groups = heads / kvHeads;
                NDArray context = attention(q, repeatKv(k, groups), repeatKv(v, groups), mask, attentionScale, pDrop, training);
                NDArray attended = w.linear(context, L + "self_attn.o_proj.weight", outBias ? L + "self_attn.o_proj.bias" : null);
                h = residual(drop(attended, pDrop, training)).addi(h);
                a = rmsNorm(h, w.get(L + "post_attention_layernorm.weight"), eps, normOffset);
                NDArray gate = activation(act, w.linear(a, L + "mlp.gate_proj.weight", mlpBias ? L + "mlp.gate_proj.bias" : null), config);
                NDArray up = w.linear(a, L + "mlp.up_proj.weight", mlpBias ? L + "mlp.up_proj.bias" : null);
                NDArray down = w.linear(gate.mul(up), L + "mlp.down_proj.weight", mlpBias ? L + "mlp.down_proj.bias" : null);
                return residual(drop(down, pDrop, training)).addi(h);
            });
        }
        x = rmsNorm(x, w.get(p + "norm.weight"), eps, normOffset);

        switch (task()) {
            case CAUSAL_LM: {
                NDArray logits = w.linear(x, lmHead, null);
                return new ModelOutput(logitsDivisor == 1f ? logits : NativeArrays.divi(logits, logitsDivisor), x, null);
            }
            case CLASSIFICATION: {
                NDArray last = in.lastToken(x, scope);
                return new ModelOutput(w.linear(last, "score.weight", null), x, last);
            }
            default:
                return new ModelOutput(null, x, in.lastToken(x, scope));
        }
    }
}
