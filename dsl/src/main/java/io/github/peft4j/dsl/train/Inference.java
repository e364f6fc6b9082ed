package io.github.peft4j.dsl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.models.Generator;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.ModelOutput;
import io.github.peft4j.core.models.Task;
import io.github.peft4j.core.models.WeightView;
import io.github.peft4j.dsl.data.Encoder;
import io.github.peft4j.dsl.data.Example;
import io.github.peft4j.dsl.data.TextBatches;
import io.github.peft4j.dsl.data.Tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Inference with any weight view (base model, or an adapter's view): class predictions in the
 * caller's row order and greedy generation. One NDManager scope per batch / per token, closed at once.
 */
public final class Inference {
    public static final int BATCH_SIZE = 32;

    private Inference() {}

    /** Argmax class id per example, in the order of {@code examples}. */
    public static int[] predict(Model model, Function<NDManager, WeightView> views, List<Example> examples, long padId) {
        requireTask(model, Task.CLASSIFICATION, "predict classes");
        TextBatches batches = TextBatches.inference(examples, BATCH_SIZE, padId, true);
        int[] out = new int[examples.size()];
        try (NDManager run = NDManager.newBaseManager(model.parameters().manager().getDevice())) {
            for (int b = 0; b < batches.batchesPerEpoch(); b++) {
                try (NDManager scope = run.newSubManager()) {
                    Batch batch = batches.batch(0, b, scope);
                    ModelOutput output = model.forward(batch, views.apply(scope), false, scope);
                    long[] argmax = output.logits().argMax(-1).toType(DataType.INT64, false).toLongArray();
                    int[] rows = batches.rows(0, b);
                    for (int i = 0; i < rows.length; i++) {
                        out[rows[i]] = (int) argmax[i];
                    }
                }
            }
        }
        return out;
    }

    /** Class ids for raw texts. */
    public static int[] predictTexts(Model model, Function<NDManager, WeightView> views, Tokenizer tokenizer,
                                     List<String> texts, int maxLength) {
        if (texts.isEmpty()) {
            return new int[0];
        }
        return predict(model, views, Encoder.unlabelled(texts, tokenizer, maxLength), tokenizer.padId());
    }

    /**
     * Greedy decoding with core's {@code Generator} (KV cache): the most likely next token,
     * {@code maxNewTokens} times; the text stops at the first EOS.
     */
    public static String generate(Model model, Function<NDManager, WeightView> views, Tokenizer tokenizer,
                                  String prompt, int maxNewTokens, int maxLength) {
        requireTask(model, Task.CAUSAL_LM, "generate text");
        if (maxNewTokens < 1) {
            throw new InvalidArgumentException("maxNewTokens must be at least 1, got " + maxNewTokens + ".");
        }
        long[] promptIds = tokenizer.encode(prompt, null, maxLength).ids();
        long[] generated;
        try (NDManager scope = NDManager.newBaseManager(model.parameters().manager().getDevice())) {
            generated = Generator.greedy(model, views.apply(scope), promptIds, maxNewTokens);
        }
        // Generator returns the prompt followed by the new tokens.
        long[] fresh = generated.length > promptIds.length ? Arrays.copyOfRange(generated, promptIds.length, generated.length) : generated;
        long eos = tokenizer.eosId();
        int end = 0;
        while (end < fresh.length && fresh[end] != eos) {
            end++;
        }
        return tokenizer.decode(Arrays.copyOf(fresh, end));
    }

    static void requireTask(Model model, Task task, String what) {
        if (model.task() != task) {
            throw new InvalidArgumentException("Cannot " + what + " with a " + model.task() + " model (" + model.modelId()
                    + "): use " + (task == Task.CLASSIFICATION ? "model.forClassification(numLabels)" : "model.forCausalLM()") + ".");
        }
    }
}
