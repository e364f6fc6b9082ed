package io.github.peft4j.core.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.tensor.ParameterStore;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * What the four architecture files share: config, frozen store, task/head bookkeeping, dropout,
 * and the classification-head factory. The forward passes live in the subclasses.
 */
public abstract class TransformerModel implements Model {

    /** Where a model's weights and config came from (shared by all task variants of one base). */
    public record Source(ModelConfig config, ParameterStore store, String modelId, Path tokenizerFile) {}

    protected final Source source;
    protected final ModelConfig config;
    protected final ParameterStore store;
    private final Task task;
    private final int numLabels;
    private final Set<String> headParameters;
    private float dropout;

    protected TransformerModel(Source source, Task task, int numLabels, Set<String> headParameters) {
        this.source = source;
        this.config = source.config();
        this.store = source.store();
        this.task = task;
        this.numLabels = numLabels;
        this.headParameters = Set.copyOf(headParameters);
    }

    public ModelConfig config() {
        return config;
    }

    @Override
    public String modelId() {
        return source.modelId();
    }

    @Override
    public ParameterStore parameters() {
        return store;
    }

    @Override
    public Task task() {
        return task;
    }

    @Override
    public int numLabels() {
        return numLabels;
    }

    @Override
    public Set<String> headParameters() {
        return headParameters;
    }

    /**
     * Dropout on hidden states and attention probabilities, applied only when forward runs with
     * {@code training = true}. Default 0 (off): HF checkpoints ask for 0.1, but on a CPU it costs
     * about 40% of a training step and PEFT methods regularise enough for small data.
     */
    @Override
    public float dropout() {
        return dropout;
    }

    @Override
    public void setDropout(float p) {
        if (!(p >= 0 && p < 1)) {
            throw new InvalidArgumentException("dropout must be in [0, 1), got " + p);
        }
        this.dropout = p;
    }

    @Override
    public long padTokenId() {
        return config.optTokenId("pad_token_id").or(() -> config.optTokenId("eos_token_id")).orElse(0L);
    }

    /** End-of-sequence tokens the config names (greedy generation stops at any of them); may be empty. */
    public Set<Long> eosTokenIds() {
        return config.tokenIds("eos_token_id");
    }

    @Override
    public Optional<Path> tokenizerFile() {
        return Optional.ofNullable(source.tokenizerFile());
    }

    public abstract int hiddenSize();

    public abstract long vocabSize();

    /**
     * A sequence-classification model on the same frozen base (same {@link ParameterStore}: closing
     * either closes both). The head keeps the checkpoint's own weights when they exist with
     * {@code numLabels} rows; otherwise it is drawn fresh — normal(0, initializer_range) weights,
     * zero bias — from {@code seed} and put into the shared store under the HF names.
     */
    @Override
    public abstract TransformerModel forClassification(int numLabels, long seed);

    /** Puts a fresh head tensor into the store unless a fitting one is there; returns the names used. */
    protected Set<String> ensureHead(Map<String, Shape> head, long seed) {
        Random random = new Random(seed);
        float std = (float) config.optDouble(0.02, "initializer_range");
        boolean fits = head.entrySet().stream().allMatch(e -> store.contains(e.getKey()) && store.shape(e.getKey()).equals(e.getValue()));
        if (!fits) {
            for (Map.Entry<String, Shape> e : head.entrySet()) {
                float[] values = new float[(int) e.getValue().size()];
                if (e.getValue().dimension() > 1) { // weights; biases stay 0
                    for (int i = 0; i < values.length; i++) {
                        values[i] = (float) random.nextGaussian() * std;
                    }
                }
                NDManager m = store.manager();
                store.put(e.getKey(), m.create(values, e.getValue()));
            }
        }
        return new LinkedHashSet<>(head.keySet());
    }

    protected void requireTask(Task needed, String what) {
        if (task != needed) {
            throw new InvalidArgumentException(what + " needs a " + needed + " model, but " + modelId() + " is loaded as " + task);
        }
    }

    protected static void checkLabels(int numLabels) {
        if (numLabels < 1) {
            throw new InvalidArgumentException("numLabels must be ≥ 1, got " + numLabels);
        }
    }

    /** Shapes of a classification head on a hidden state of size {@code hidden}. */
    protected static Map<String, Shape> linearHead(String name, int labels, int hidden, boolean bias) {
        Map<String, Shape> m = new LinkedHashMap<>();
        m.put(name + ".weight", new Shape(labels, hidden));
        if (bias) {
            m.put(name + ".bias", new Shape(labels));
        }
        return m;
    }

    /** Runs {@code layer} in its own manager, returning its output attached to {@code scope}. */
    protected static NDArray inLayer(NDManager scope, java.util.function.Function<NDManager, NDArray> layer) {
        try (NDManager m = scope.newSubManager()) {
            NDArray out = layer.apply(m);
            out.attach(scope);
            return out;
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + modelId() + ", " + task + (task == Task.CLASSIFICATION ? " " + numLabels + " labels" : "")
                + ", " + String.format(java.util.Locale.ROOT, "%,d", store.totalCount()) + " parameters)";
    }
}
