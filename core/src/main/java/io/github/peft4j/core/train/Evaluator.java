package io.github.peft4j.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.methods.Adapter;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.ModelOutput;
import io.github.peft4j.core.models.Task;
import io.github.peft4j.core.models.WeightView;

/**
 * Inference over a whole {@link BatchSource} (epoch 0) with an adapter's view, dropout off.
 * Classification: predictions, labels, accuracy and mean loss. Causal LM: mean next-token loss
 * (predictions empty; perplexity = exp(meanLoss)).
 */
public final class Evaluator {
    private Evaluator() {}

    /**
     * @param predictions argmax class per example (classification), in source order
     * @param labels      the labels of the same examples
     * @param meanLoss    mean of the per-batch losses
     */
    public record Evaluation(long[] predictions, long[] labels, double meanLoss) {
        /** exp(meanLoss): the perplexity of a causal LM. */
        public double perplexity() {
            return Math.exp(meanLoss);
        }

        public double accuracy() {
            if (labels.length == 0) {
                return Double.NaN;
            }
            int correct = 0;
            for (int i = 0; i < labels.length; i++) {
                if (predictions[i] == labels[i]) {
                    correct++;
                }
            }
            return (double) correct / labels.length;
        }
    }

    /** Evaluates the adapted model. */
    public static Evaluation evaluate(Adapter adapter, BatchSource data) {
        return evaluate(adapter.model(), scope -> adapter.view(scope, false), data);
    }

    /** Evaluates the base model, without any adapter. */
    public static Evaluation evaluateBase(Model model, BatchSource data) {
        return evaluate(model, scope -> WeightView.of(model.parameters()), data);
    }

    private static Evaluation evaluate(Model model, java.util.function.Function<NDManager, WeightView> views, BatchSource data) {
        if (model.task() == Task.ENCODER) {
            throw new InvalidArgumentException(model.modelId() + " is a bare encoder (no head), so there is nothing to"
                    + " evaluate: load it with a classification head or as a causal LM.");
        }
        boolean classification = model.task() == Task.CLASSIFICATION;
        java.util.List<long[]> preds = new java.util.ArrayList<>();
        java.util.List<long[]> labels = new java.util.ArrayList<>();
        double lossSum = 0;
        int batches = data.batchesPerEpoch();
        try (NDManager run = NDManager.newBaseManager(model.parameters().manager().getDevice())) {
            for (int i = 0; i < batches; i++) {
                try (NDManager scope = run.newSubManager()) {
                    Batch batch = data.batch(0, i, scope);
                    ModelOutput out = model.forward(batch, views.apply(scope), false, scope);
                    if (classification) {
                        NDArray argmax = out.logits().argMax(-1);
                        preds.add(argmax.toType(DataType.INT64, false).toLongArray());
                        if (batch.labels() != null) {
                            labels.add(batch.labels().toType(DataType.INT64, false).toLongArray());
                        }
                    }
                    if (batch.labels() != null) {
                        lossSum += Losses.forTask(model.task(), out.logits(), batch.labels()).getFloat();
                    }
                }
            }
        }
        return new Evaluation(concat(preds), concat(labels), batches == 0 ? Double.NaN : lossSum / batches);
    }

    private static long[] concat(java.util.List<long[]> parts) {
        int n = 0;
        for (long[] p : parts) {
            n += p.length;
        }
        long[] out = new long[n];
        int at = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
