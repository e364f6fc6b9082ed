package io.github.peft4j.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.models.Task;

/**
 * Training losses, computed through {@code logSoftmax} so large logits cannot overflow. Every
 * result belongs to the logits' manager (the step scope).
 */
public final class Losses {
    /** Label value that causal-LM losses skip (HF convention). */
    public static final long IGNORE_INDEX = -100;

    private Losses() {}

    /** Mean cross-entropy of [B, C] logits against [B] int64 class ids. */
    public static NDArray classification(NDArray logits, NDArray labels) {
        if (logits.getShape().dimension() != 2 || labels.getShape().dimension() != 1
                || labels.getShape().get(0) != logits.getShape().get(0)) {
            throw new InvalidArgumentException("Classification loss needs logits [B, C] and labels [B]; got logits "
                    + logits.getShape() + " and labels " + labels.getShape() + ".");
        }
        NDArray ids = labels.toType(DataType.INT64, false);
        checkRange(ids, logits.getShape().get(1), "class", "the number of labels the model was created with");
        NDArray logProbs = logits.logSoftmax(-1);
        NDArray picked = logProbs.gather(ids.expandDims(1), 1);
        return picked.mean().neg();
    }

    /**
     * Next-token cross-entropy: logits [B, T, V] at position t predict labels[t + 1] ([B, T], aligned
     * with the inputs, HF convention); positions labelled {@link #IGNORE_INDEX} are skipped and the
     * mean is over the remaining tokens (0 when there are none).
     */
    public static NDArray causalLm(NDArray logits, NDArray labels) {
        if (logits.getShape().dimension() != 3 || labels.getShape().dimension() != 2
                || labels.getShape().get(0) != logits.getShape().get(0) || labels.getShape().get(1) != logits.getShape().get(1)) {
            throw new InvalidArgumentException("Causal LM loss needs logits [B, T, V] and labels [B, T]; got logits "
                    + logits.getShape() + " and labels " + labels.getShape() + ".");
        }
        NDArray predicting = logits.get(":, :-1, :");
        NDArray targets = labels.get(":, 1:").toType(DataType.INT64, false);
        NDArray valid = targets.neq(IGNORE_INDEX);
        NDArray safeTargets = targets.mul(valid.toType(DataType.INT64, false));   // -100 -> 0, masked out below
        checkRange(safeTargets, logits.getShape().get(2), "token", "the tokenizer of this model (or -100 to ignore a position)");
        NDArray nll = predicting.logSoftmax(-1).gather(safeTargets.expandDims(-1), -1).squeeze(-1).neg();
        NDArray weights = valid.toType(DataType.FLOAT32, false);
        NDArray count = weights.sum().maximum(1f);
        return nll.mul(weights).sum().div(count);
    }

    /** Out-of-range targets would make the engine fail with an index error; say what is wrong instead. */
    private static void checkRange(NDArray ids, long size, String what, String fix) {
        long min = ids.min().getLong();
        long max = ids.max().getLong();
        if (min < 0 || max >= size) {
            throw new InvalidArgumentException("A " + what + " label is outside [0, " + size + "): found "
                    + (min < 0 ? min : max) + ". Labels must match " + fix + ".");
        }
    }

    /** The loss for a model's task. */
    public static NDArray forTask(Task task, NDArray logits, NDArray labels) {
        if (labels == null) {
            throw new InvalidArgumentException("The batch has no labels; training and loss evaluation need them.");
        }
        switch (task) {
            case CLASSIFICATION:
                return classification(logits, labels);
            case CAUSAL_LM:
                return causalLm(logits, labels);
            default:
                throw new InvalidArgumentException("A model with task " + task + " has no loss: load it with a"
                        + " classification head or as a causal LM.");
        }
    }
}
