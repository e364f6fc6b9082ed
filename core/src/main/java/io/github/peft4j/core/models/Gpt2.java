package io.github.peft4j.core.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.tensor.NativeArrays;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static io.github.peft4j.core.models.Layers.*;

/**
 * GPT-2 (HF {@code GPT2LMHeadModel} / {@code GPT2ForSequenceClassification}): learned positions,
 * pre-LayerNorm blocks whose projections are {@code Conv1D} weights stored [in, out] (read with
 * {@link WeightView#conv1d}), fused {@code c_attn} producing q|k|v, GELU-new, LM head tied to
 * {@code wte}, classification head {@code score} on the last real token.
 */
public final class Gpt2 extends Decoder {
    private final String p; // "transformer." or "" (the original openai-community/gpt2 files are bare)
    private final int hidden;
    private final int layers;
    private final int heads;
    private final float eps;
    private final long vocab;
    private final String act;
    private final boolean scaleByLayer;
    private final boolean scaleWeights;

    private Gpt2(Source source, Task task, int numLabels, Set<String> head) {
        super(source, task, numLabels, head);
        this.p = prefix(store.names());
        this.hidden = config.requireInt("n_embd", "hidden_size");
        this.layers = config.requireInt("n_layer", "num_hidden_layers");
        this.heads = config.requireInt("n_head", "num_attention_heads");
        this.eps = (float) config.optDouble(1e-5, "layer_norm_epsilon");
        this.vocab = config.requireInt("vocab_size");
        this.act = config.optString("activation_function").orElse("gelu_new");
        this.scaleByLayer = config.optBool(false, "scale_attn_by_inverse_layer_idx");
        this.scaleWeights = config.optBool(true, "scale_attn_weights");
    }

    static Gpt2 create(Source source) {
        if (source.store().contains("score.weight")) {
            int labels = (int) source.store().shape("score.weight").get(0);
            return new Gpt2(source, Task.CLASSIFICATION, labels, Set.of("score.weight"));
        }
        return new Gpt2(source, Task.CAUSAL_LM, 0, Set.of());
    }

    static String prefix(Set<String> names) {
        return names.contains("transformer.wte.weight") ? "transformer." : "";
    }

    static Map<String, Shape> expectedShapes(ModelConfig c, Set<String> names) {
        String p = prefix(names);
        int h = c.requireInt("n_embd", "hidden_size");
        int heads = c.requireInt("n_head", "num_attention_heads");
        if (h % heads != 0) {
            throw c.invalid("n_embd " + h + " is not divisible by n_head " + heads);
        }
        // reorder_and_upcast_attn only changes precision handling, a no-op in fp32; cross-attention needs an encoder
        if (c.optBool(false, "add_cross_attention")) {
            throw c.invalid("add_cross_attention=true (GPT-2 as a seq2seq decoder) is not supported");
        }
        int inner = c.optInt(4 * h, "n_inner");
        Map<String, Shape> s = new LinkedHashMap<>();
        s.put(p + "wte.weight", new Shape(c.requireInt("vocab_size"), h));
        s.put(p + "wpe.weight", new Shape(c.requireInt("n_positions", "max_position_embeddings"), h));
        for (int l = 0; l < c.requireInt("n_layer", "num_hidden_layers"); l++) {
            String L = p + "h." + l + ".";
            norm(s, L + "ln_1", h);
            conv1d(s, L + "attn.c_attn", h, 3 * h);
            conv1d(s, L + "attn.c_proj", h, h);
            norm(s, L + "ln_2", h);
            conv1d(s, L + "mlp.c_fc", h, inner);
            conv1d(s, L + "mlp.c_proj", inner, h);
        }
        norm(s, p + "ln_f", h);
        if (names.contains("score.weight")) {
            s.put("score.weight", new Shape(c.numLabels() > 0 ? c.numLabels() : 2, h));
        }
        return s;
    }

    private static void conv1d(Map<String, Shape> s, String name, int in, int out) {
        s.put(name + ".weight", new Shape(in, out));
        s.put(name + ".bias", new Shape(out));
    }

    private static void norm(Map<String, Shape> s, String name, int h) {
        s.put(name + ".weight", new Shape(h));
        s.put(name + ".bias", new Shape(h));
    }

    @Override
    public String architecture() {
        return "gpt2";
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
    public Gpt2 forClassification(int numLabels, long seed) {
        checkLabels(numLabels);
        Gpt2 model = new Gpt2(source, Task.CLASSIFICATION, numLabels, ensureHead(linearHead("score", numLabels, hidden, false), seed));
        model.setDropout(dropout());
        return model;
    }

    @Override
    public int numLayers() {
        return layers;
    }

    @Override
    protected ModelOutput decode(Inputs in, long[] positions, NDArray mask, KvCache cache, WeightView w, boolean training, NDManager scope) {
        in.requirePositions(positions, store.shape(p + "wpe.weight").get(0));
        float pDrop = training ? dropout() : 0f;
        int headDim = hidden / heads;

        NDArray x = inLayer(scope, m -> {
            NDArray positionIds = NativeArrays.create(m, positions, new Shape(in.batch, in.length));
            NDArray e = embed(in.ids, w.get(p + "wte.weight"), m).addi(embed(positionIds, w.get(p + "wpe.weight"), m));
            return drop(e, pDrop, training);
        });
        for (int l = 0; l < layers; l++) {
            String L = p + "h." + l + ".";
            float scale = (scaleWeights ? (float) (1 / Math.sqrt(headDim)) : 1f) / (scaleByLayer ? l + 1 : 1);
            int layer = l;
            NDArray layerInput = x;
            x = inLayer(scope, m -> {
                NDArray h = enter(layerInput, m);
                NDArray a = layerNorm(h, w, L + "ln_1", eps);
                NDList qkv = w.conv1d(a, L + "attn.c_attn.weight", L + "attn.c_attn.bias").split(3, 2);
                NDArray k = splitHeads(qkv.get(1), heads, headDim);
                NDArray v = splitHeads(qkv.get(2), heads, headDim);
                if (cache != null) {
                    k = cache.keys(layer, k, m);
                    v = cache.values(layer, v, m);
                }
                NDArray context = attention(splitHeads(qkv.get(0), heads, headDim), k, v, mask, scale, pDrop, training);
                NDArray attended = w.conv1d(context, L + "attn.c_proj.weight", L + "attn.c_proj.bias");
                h = drop(attended, pDrop, training).addi(h);
                a = layerNorm(h, w, L + "ln_2", eps);
                NDArray ff = activation(act, w.conv1d(a, L + "mlp.c_fc.weight", L + "mlp.c_fc.bias"), config);
                ff = w.conv1d(ff, L + "mlp.c_proj.weight", L + "mlp.c_proj.bias");
                return drop(ff, pDrop, training).addi(h);
            });
        }
        x = layerNorm(x, w, p + "ln_f", eps);

        switch (task()) {
            case CAUSAL_LM:
                return new ModelOutput(w.linear(x, p + "wte.weight", null), x, null);
            case CLASSIFICATION: {
                NDArray last = in.lastToken(x, scope);
                return new ModelOutput(w.linear(last, "score.weight", null), x, last);
            }
            default:
                return new ModelOutput(null, x, in.lastToken(x, scope));
        }
    }
}
