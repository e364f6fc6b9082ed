package io.github.peft4j;

import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.Task;
import io.github.peft4j.core.models.WeightView;
import io.github.peft4j.dsl.data.Tokenizer;
import io.github.peft4j.dsl.train.Inference;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A base model that knows its tokenizer and its task. {@code forClassification(n)} and
 * {@code forCausalLM()} return views of the same frozen weights; each training run gets its own
 * head (seeded by the run), so many adapters can share one base. {@link #use} picks the adapter
 * {@link #predict} and {@link #generate} go through.
 */
public final class PeftModel implements AutoCloseable {
    /** Seed of the head used for predictions before any training. */
    static final long DEFAULT_HEAD_SEED = 42;

    private final Model base;
    private final Tokenizer tokenizer;
    private final Task task;
    private final int numLabels;
    private Model taskModel;
    private Adapter active;

    private PeftModel(Model base, Tokenizer tokenizer, Task task, int numLabels) {
        this.base = base;
        this.tokenizer = tokenizer;
        this.task = task;
        this.numLabels = numLabels;
    }

    /** Wraps a core model and a tokenizer; the task is the model's own. */
    public static PeftModel of(Model model, Tokenizer tokenizer) {
        if (model == null || tokenizer == null) {
            throw new InvalidArgumentException("PeftModel.of needs a model and its tokenizer.");
        }
        return new PeftModel(model, tokenizer, model.task(), model.numLabels());
    }

    /** The same weights with a sequence-classification head of {@code numLabels} classes. */
    public PeftModel forClassification(int numLabels) {
        if (numLabels < 2) {
            throw new InvalidArgumentException("A classifier needs at least 2 classes, got " + numLabels + ".");
        }
        return new PeftModel(base, tokenizer, Task.CLASSIFICATION, numLabels);
    }

    /** The same weights predicting the next token (decoders: Llama, GPT-2, GPT-NeoX). */
    public PeftModel forCausalLM() {
        if (base.task() != Task.CAUSAL_LM) {
            throw new InvalidArgumentException(base.modelId() + " (" + base.architecture() + ") has no language-model head;"
                    + " causal-LM fine-tuning needs a decoder such as Llama, GPT-2 or GPT-NeoX.");
        }
        return new PeftModel(base, tokenizer, Task.CAUSAL_LM, 0);
    }

    public Task task() {
        return task;
    }

    public int numLabels() {
        return numLabels;
    }

    public String id() {
        return base.modelId();
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The base model as loaded (no task head added). */
    public Model base() {
        return base;
    }

    /** The core model for this task with the default head (seed 42), created once. */
    public synchronized Model core() {
        if (taskModel == null) {
            taskModel = coreFor(DEFAULT_HEAD_SEED);
        }
        return taskModel;
    }

    /** A core model for a run: a classification head drawn from {@code seed}; decoders as they are. */
    public Model coreFor(long seed) {
        if (task == Task.CLASSIFICATION) {
            return base.forClassification(numLabels, seed);
        }
        if (task == Task.ENCODER) {
            throw new InvalidArgumentException(base.modelId() + " is a bare encoder: call forClassification(numLabels) first"
                    + " (e.g. Models.miniLM().forClassification(2)).");
        }
        return base;
    }

    /** Routes {@link #predict} and {@link #generate} through {@code adapter} (null = base weights). */
    public PeftModel use(Adapter adapter) {
        if (adapter != null && adapter.model() != this && adapter.model().base != base) {
            throw new InvalidArgumentException("That adapter belongs to another base model (" + adapter.model().id() + ").");
        }
        this.active = adapter;
        return this;
    }

    public Adapter active() {
        return active;
    }

    /** Predicted label names (class ids as text for integer labels) for each text. */
    public List<String> predict(List<String> texts) {
        if (active != null) {
            return active.predict(texts);
        }
        Model model = core();
        int[] ids = Inference.predictTexts(model, scope -> WeightView.of(model.parameters()), tokenizer, texts, 512);
        List<String> out = new ArrayList<>();
        for (int id : ids) {
            out.add(Integer.toString(id));
        }
        return out;
    }

    /**
     * Metrics of the model before any training (base weights, default head): the baseline a run
     * should beat. Integer labels are used as class ids.
     */
    public EvalResult evaluate(TextDataset data) {
        if (active != null) {
            return active.evaluate(data);
        }
        Model model = core();
        io.github.peft4j.dsl.data.LabelMap labels = data.labelMap() != null && !data.labelMap().isInteger()
                ? data.labelMap() : io.github.peft4j.dsl.data.LabelMap.integers(numLabels);
        var examples = io.github.peft4j.dsl.data.Encoder.classification(data, labels, tokenizer, 128);
        int[] predicted = Inference.predict(model, scope -> WeightView.of(model.parameters()), examples, tokenizer.padId());
        int[] gold = examples.stream().mapToInt(e -> e.label()).toArray();
        return EvalResult.of(gold, predicted, labels.names());
    }

    /** Greedy continuation of {@code prompt} with the active adapter (or the base weights). */
    public String generate(String prompt, int maxNewTokens) {
        if (active != null) {
            return active.generate(prompt, maxNewTokens);
        }
        Model model = core();
        return Inference.generate(model, scope -> WeightView.of(model.parameters()), tokenizer, prompt, maxNewTokens, 2048);
    }

    /** Frees the base weights (and every task view of them). */
    @Override
    public void close() {
        base.close();
    }

    @Override
    public String toString() {
        long params = base.parameters().totalCount();
        return String.format(Locale.ROOT, "PeftModel %s (%s, %s%s, %.1fM parameters)", base.modelId(), base.architecture(),
                task.name().toLowerCase(Locale.ROOT).replace('_', '-'), task == Task.CLASSIFICATION ? " " + numLabels + " classes" : "",
                params / 1e6);
    }
}
