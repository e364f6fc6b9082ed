package io.github.peft4j.core.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.ModelOutput;
import io.github.peft4j.core.models.Task;
import io.github.peft4j.core.models.WeightView;
import io.github.peft4j.core.tensor.NativeArrays;
import io.github.peft4j.core.tensor.ParameterStore;

import java.util.LinkedHashSet;
import java.util.Random;
import java.util.Set;

/**
 * Two small classifiers for tests, written against the {@link Model}/{@link WeightView} contract.
 * <ul>
 *   <li>{@link #mlp}: mean of token embeddings → 2 ReLU layers ({@code layers.0/1.weight}) → classifier</li>
 *   <li>{@link #bert}: one post-residual transformer block with HF BERT parameter names (no layer
 *       norms) pooled at token 0 → classifier; {@code gpt2} variant stores the attention value /
 *       output weights as Conv1D [in, out] under GPT-2 names and reads them with {@code conv1d}.</li>
 * </ul>
 * Every forward array is created in (or attached to) the caller's scope.
 */
public final class TinyModel implements Model {
    public enum Kind { MLP, BERT, GPT2 }

    private final Kind kind;
    private final ParameterStore store;
    private final int numLabels;
    private final Set<String> head = new LinkedHashSet<>(Set.of("classifier.weight", "classifier.bias"));
    private float dropout;

    private TinyModel(Kind kind, ParameterStore store, int numLabels) {
        this.kind = kind;
        this.store = store;
        this.numLabels = numLabels;
    }

    private static void put(ParameterStore s, Random rng, String name, float scale, long... shape) {
        int n = (int) new Shape(shape).size();
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextGaussian() * scale);
        }
        s.put(name, s.manager().create(v, new Shape(shape)));
    }

    /** vocab V, embedding d, hidden h, C classes. */
    public static TinyModel mlp(int vocab, int dim, int hidden, int classes, long seed) {
        ParameterStore s = new ParameterStore(NDManager.newBaseManager());
        Random rng = new Random(seed);
        put(s, rng, "embeddings.weight", 1f, vocab, dim);
        put(s, rng, "layers.0.weight", (float) (1 / Math.sqrt(dim)), hidden, dim);
        put(s, rng, "layers.0.bias", 0.1f, hidden);
        put(s, rng, "layers.1.weight", (float) (1 / Math.sqrt(hidden)), hidden, hidden);
        put(s, rng, "layers.1.bias", 0.1f, hidden);
        put(s, rng, "classifier.weight", (float) (1 / Math.sqrt(hidden)), classes, hidden);
        put(s, rng, "classifier.bias", 0f, classes);
        return new TinyModel(Kind.MLP, s, classes);
    }

    /** A one-block transformer classifier with BERT (or GPT-2) parameter names. */
    public static TinyModel transformer(Kind kind, int vocab, int dim, int ffn, int classes, long seed) {
        ParameterStore s = new ParameterStore(NDManager.newBaseManager());
        Random rng = new Random(seed);
        float w = (float) (1 / Math.sqrt(dim));
        put(s, rng, "embeddings.word_embeddings.weight", 1f, vocab, dim);
        if (kind == Kind.GPT2) {
            put(s, rng, "h.0.attn.q.weight", w, dim, dim);
            put(s, rng, "h.0.attn.k.weight", w, dim, dim);
            put(s, rng, "h.0.attn.c_attn.weight", w, dim, dim);     // [in, out] Conv1D, plays the value role
            put(s, rng, "h.0.attn.c_attn.bias", 0.1f, dim);
            put(s, rng, "h.0.attn.c_proj.weight", w, dim, dim);     // [in, out]
            put(s, rng, "h.0.attn.c_proj.bias", 0.1f, dim);
        } else {
            for (String p : new String[] {"query", "key", "value"}) {
                put(s, rng, "encoder.layer.0.attention.self." + p + ".weight", w, dim, dim);
                put(s, rng, "encoder.layer.0.attention.self." + p + ".bias", 0.1f, dim);
            }
            put(s, rng, "encoder.layer.0.attention.output.dense.weight", w, dim, dim);
            put(s, rng, "encoder.layer.0.attention.output.dense.bias", 0.1f, dim);
        }
        put(s, rng, "encoder.layer.0.intermediate.dense.weight", w, ffn, dim);
        put(s, rng, "encoder.layer.0.intermediate.dense.bias", 0.1f, ffn);
        put(s, rng, "encoder.layer.0.output.dense.weight", (float) (1 / Math.sqrt(ffn)), dim, ffn);
        put(s, rng, "encoder.layer.0.output.dense.bias", 0.1f, dim);
        put(s, rng, "classifier.weight", w, classes, dim);
        put(s, rng, "classifier.bias", 0f, classes);
        return new TinyModel(kind, s, classes);
    }

    @Override
    public String architecture() {
        return kind == Kind.GPT2 ? "gpt2" : kind == Kind.BERT ? "bert" : "mlp";
    }

    @Override
    public String modelId() {
        return "tiny-" + architecture() + "-" + store.shape(kind == Kind.MLP ? "embeddings.weight" : "embeddings.word_embeddings.weight");
    }

    @Override
    public ParameterStore parameters() {
        return store;
    }

    @Override
    public Task task() {
        return Task.CLASSIFICATION;
    }

    @Override
    public int numLabels() {
        return numLabels;
    }

    @Override
    public Set<String> headParameters() {
        return head;
    }

    @Override
    public float dropout() {
        return dropout;
    }

    @Override
    public void setDropout(float p) {
        dropout = p;
    }

    @Override
    public long padTokenId() {
        return 0;
    }

    @Override
    public ModelOutput forward(Batch batch, WeightView weights, boolean training, NDManager scope) {
        NDArray ids = batch.inputIds();
        if (kind == Kind.MLP) {
            NDArray emb = Embedding.embedding(ids, weights.get("embeddings.weight"), SparseFormat.DENSE).singletonOrThrow();
            NDArray pooled = emb.mean(new int[] {1});
            NDArray z1 = Activation.relu(weights.linear(pooled, "layers.0.weight", "layers.0.bias"));
            NDArray z2 = Activation.relu(weights.linear(z1, "layers.1.weight", "layers.1.bias"));
            NDArray logits = weights.linear(z2, "classifier.weight", "classifier.bias");
            return new ModelOutput(logits, z2, z2);
        }
        String p = "encoder.layer.0.";
        NDArray x = Embedding.embedding(ids, weights.get("embeddings.word_embeddings.weight"), SparseFormat.DENSE).singletonOrThrow();
        long dim = x.getShape().get(2);
        NDArray q;
        NDArray k;
        NDArray v;
        if (kind == Kind.GPT2) {
            q = x.matMul(weights.get("h.0.attn.q.weight"));
            k = x.matMul(weights.get("h.0.attn.k.weight"));
            v = weights.conv1d(x, "h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias");
        } else {
            q = weights.linear(x, p + "attention.self.query.weight", p + "attention.self.query.bias");
            k = weights.linear(x, p + "attention.self.key.weight", p + "attention.self.key.bias");
            v = weights.linear(x, p + "attention.self.value.weight", p + "attention.self.value.bias");
        }
        NDArray scores = NativeArrays.divi(q.matMul(k.transpose(0, 2, 1)), (float) Math.sqrt(dim)); // autograd keeps the divisor
        NDArray maskBias = batch.attentionMask().toType(DataType.FLOAT32, false).sub(1f).muli(1e4f).expandDims(1);
        NDArray attn = scores.addi(maskBias).softmax(-1);
        NDArray context = attn.matMul(v);
        NDArray attended = kind == Kind.GPT2
                ? weights.conv1d(context, "h.0.attn.c_proj.weight", "h.0.attn.c_proj.bias")
                : weights.linear(context, p + "attention.output.dense.weight", p + "attention.output.dense.bias");
        x = x.add(attended);
        NDArray ff = Activation.gelu(weights.linear(x, p + "intermediate.dense.weight", p + "intermediate.dense.bias"));
        x = x.add(weights.linear(ff, p + "output.dense.weight", p + "output.dense.bias"));
        NDArray pooled = x.get(":, 0, :");
        NDArray logits = weights.linear(pooled, "classifier.weight", "classifier.bias");
        return new ModelOutput(logits, x, pooled);
    }
}
