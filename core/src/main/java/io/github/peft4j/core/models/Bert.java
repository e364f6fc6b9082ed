package io.github.peft4j.core.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.tensor.NativeArrays;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static io.github.peft4j.core.models.Layers.*;

/**
 * BERT (HF {@code BertModel}, {@code BertForSequenceClassification}): word + position + token-type
 * embeddings, post-LayerNorm encoder layers with exact GELU, and a classification head reading
 * either the pooler ({@code pooler.dense} tanh on [CLS]) or the mask-weighted mean of the hidden
 * states (how sentence-transformers models such as MiniLM were trained).
 * Parameter names are the checkpoint's: with the {@code bert.} prefix or bare (BertModel /
 * sentence-transformers).
 */
public final class Bert extends TransformerModel {

    /** What the classification head reads. */
    public enum Pooling {
        /** {@code tanh(pooler.dense([CLS]))}, as BertForSequenceClassification. */
        POOLER,
        /** Mean of the hidden states over real tokens, as sentence-transformers. */
        MEAN
    }

    private final String p; // "bert." or ""
    private final int hidden;
    private final int layers;
    private final int heads;
    private final float eps;
    private final String act;
    private final long vocab;
    private final Pooling pooling;

    private Bert(Source source, Task task, int numLabels, Set<String> head, Pooling pooling) {
        super(source, task, numLabels, head);
        this.p = prefix(store.names());
        this.hidden = config.requireInt("hidden_size");
        this.layers = config.requireInt("num_hidden_layers");
        this.heads = config.requireInt("num_attention_heads");
        this.eps = (float) config.optDouble(1e-12, "layer_norm_eps");
        this.act = config.optString("hidden_act").orElse("gelu");
        this.vocab = config.requireInt("vocab_size");
        this.pooling = pooling;
    }

    /**
     * A loaded checkpoint: classification when it carries a classifier, else an encoder. Pooling:
     * the checkpoint's pooler when it has one and is not a sentence-transformers model, else mean.
     */
    static Bert create(Source source, boolean sentenceTransformers) {
        Set<String> names = source.store().names();
        String p = prefix(names);
        Pooling pooling = names.contains(p + "pooler.dense.weight") && !sentenceTransformers ? Pooling.POOLER : Pooling.MEAN;
        if (names.contains("classifier.weight")) {
            int labels = (int) source.store().shape("classifier.weight").get(0);
            return new Bert(source, Task.CLASSIFICATION, labels, Set.of("classifier.weight", "classifier.bias"), pooling);
        }
        return new Bert(source, Task.ENCODER, 0, Set.of(), pooling);
    }

    static String prefix(Set<String> names) {
        return names.contains("bert.embeddings.word_embeddings.weight") ? "bert." : "";
    }

    /** Every tensor the config implies, with its shape (head tensors only when the checkpoint has them). */
    static Map<String, Shape> expectedShapes(ModelConfig c, Set<String> names) {
        String p = prefix(names);
        int h = c.requireInt("hidden_size");
        int inter = c.requireInt("intermediate_size");
        int heads = c.requireInt("num_attention_heads");
        if (h % heads != 0) {
            throw c.invalid("hidden_size " + h + " is not divisible by num_attention_heads " + heads);
        }
        Map<String, Shape> s = new LinkedHashMap<>();
        s.put(p + "embeddings.word_embeddings.weight", new Shape(c.requireInt("vocab_size"), h));
        s.put(p + "embeddings.position_embeddings.weight", new Shape(c.requireInt("max_position_embeddings"), h));
        s.put(p + "embeddings.token_type_embeddings.weight", new Shape(c.optInt(2, "type_vocab_size"), h));
        norm(s, p + "embeddings.LayerNorm", h);
        for (int l = 0; l < c.requireInt("num_hidden_layers"); l++) {
            String L = p + "encoder.layer." + l + ".";
            for (String proj : new String[] {"query", "key", "value"}) {
                linear(s, L + "attention.self." + proj, h, h);
            }
            linear(s, L + "attention.output.dense", h, h);
            norm(s, L + "attention.output.LayerNorm", h);
            linear(s, L + "intermediate.dense", inter, h);
            linear(s, L + "output.dense", h, inter);
            norm(s, L + "output.LayerNorm", h);
        }
        if (names.contains(p + "pooler.dense.weight")) {
            linear(s, p + "pooler.dense", h, h);
        }
        if (names.contains("classifier.weight")) {
            linear(s, "classifier", c.numLabels() > 0 ? c.numLabels() : 2, h);
        }
        return s;
    }

    private static void linear(Map<String, Shape> s, String name, int out, int in) {
        s.put(name + ".weight", new Shape(out, in));
        s.put(name + ".bias", new Shape(out));
    }

    private static void norm(Map<String, Shape> s, String name, int h) {
        s.put(name + ".weight", new Shape(h));
        s.put(name + ".bias", new Shape(h));
    }

    @Override
    public String architecture() {
        return "bert";
    }

    public Pooling pooling() {
        return pooling;
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
    public Bert forClassification(int numLabels, long seed) {
        return forClassification(numLabels, seed, pooling);
    }

    /** As {@link #forClassification(int, long)} with an explicit pooling; a missing pooler is added fresh (and trained). */
    public Bert forClassification(int numLabels, long seed, Pooling pooling) {
        checkLabels(numLabels);
        Map<String, Shape> head = new LinkedHashMap<>();
        boolean freshPooler = pooling == Pooling.POOLER && !store.contains(p + "pooler.dense.weight");
        if (freshPooler) {
            head.put(p + "pooler.dense.weight", new Shape(hidden, hidden));
            head.put(p + "pooler.dense.bias", new Shape(hidden));
        }
        head.putAll(linearHead("classifier", numLabels, hidden, true));
        Bert model = new Bert(source, Task.CLASSIFICATION, numLabels, ensureHead(head, seed), pooling);
        model.setDropout(dropout());
        return model;
    }

    @Override
    public ModelOutput forward(Batch batch, WeightView w, boolean training, NDManager scope) {
        Inputs in = Inputs.read(batch, scope, vocab);
        long[] positionIds = in.absolutePositions();
        in.requirePositions(positionIds, store.shape(p + "embeddings.position_embeddings.weight").get(0));
        in.requireTokenTypes(store.shape(p + "embeddings.token_type_embeddings.weight").get(0));
        float pDrop = training ? dropout() : 0f;
        int headDim = hidden / heads;
        float scale = (float) (1 / Math.sqrt(headDim));

        NDArray x = inLayer(scope, m -> {
            NDArray positions = NativeArrays.create(m, positionIds, new Shape(in.batch, in.length));
            NDArray types = in.tokenTypes != null ? in.tokenTypes : m.zeros(new Shape(in.batch, in.length), ai.djl.ndarray.types.DataType.INT64);
            NDArray e = embed(in.ids, w.get(p + "embeddings.word_embeddings.weight"), m)
                    .addi(embed(positions, w.get(p + "embeddings.position_embeddings.weight"), m))
                    .addi(embed(types, w.get(p + "embeddings.token_type_embeddings.weight"), m));
            return drop(layerNorm(e, w, p + "embeddings.LayerNorm", eps), pDrop, training);
        });
        NDArray padding = in.paddingBias(scope);

        for (int l = 0; l < layers; l++) {
            String L = p + "encoder.layer." + l + ".";
            NDArray layerInput = x;
            x = inLayer(scope, m -> {
                NDArray h = enter(layerInput, m);
                NDArray q = splitHeads(w.linear(h, L + "attention.self.query.weight", L + "attention.self.query.bias"), heads, headDim);
                NDArray k = splitHeads(w.linear(h, L + "attention.self.key.weight", L + "attention.self.key.bias"), heads, headDim);
                NDArray v = splitHeads(w.linear(h, L + "attention.self.value.weight", L + "attention.self.value.bias"), heads, headDim);
                NDArray context = attention(q, k, v, padding, scale, pDrop, training);
                NDArray attended = w.linear(context, L + "attention.output.dense.weight", L + "attention.output.dense.bias");
                h = layerNorm(drop(attended, pDrop, training).addi(h), w, L + "attention.output.LayerNorm", eps);
                NDArray ff = activation(act, w.linear(h, L + "intermediate.dense.weight", L + "intermediate.dense.bias"), config);
                ff = w.linear(ff, L + "output.dense.weight", L + "output.dense.bias");
                return layerNorm(drop(ff, pDrop, training).addi(h), w, L + "output.LayerNorm", eps);
            });
        }

        NDArray pooled;
        if (pooling == Pooling.POOLER && store.contains(p + "pooler.dense.weight")) {
            NDArray cls = x.get(new NDIndex(":, 0, :"));
            pooled = w.linear(cls, p + "pooler.dense.weight", p + "pooler.dense.bias").tanh();
        } else {
            pooled = in.meanPool(x, scope);
        }
        NDArray logits = null;
        if (task() == Task.CLASSIFICATION) {
            logits = w.linear(drop(pooled, pDrop, training), "classifier.weight", "classifier.bias");
        }
        return new ModelOutput(logits, x, pooled);
    }
}
