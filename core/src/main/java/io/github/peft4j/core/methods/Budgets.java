package io.github.peft4j.core.methods;

import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.tensor.ParameterStore;

import java.util.List;
import java.util.Locale;

/**
 * Converts between LoRA rank and SpaRTA density at an equal number of trainable parameters, so the
 * two can be compared at the same budget. A LoRA factor pair on a weight [out, in] has
 * {@code r·(in + out)} parameters; SpaRTA trains {@code density × reference} entries, where the
 * reference is the base model without its head (GLOBAL budget, the paper's convention) or the
 * targeted tensors only (PER_TENSOR budget). Head parameters are trained by both and not counted.
 */
public final class Budgets {
    private final long bodyTotal;
    private final long targetedTotal;
    private final long inPlusOut;
    private final List<String> targets;

    private Budgets(long bodyTotal, long targetedTotal, long inPlusOut, List<String> targets) {
        this.bodyTotal = bodyTotal;
        this.targetedTotal = targetedTotal;
        this.inPlusOut = inPlusOut;
        this.targets = targets;
    }

    /** Budgets for {@code model} and target regexes (null = {@link Targets#VALUE_AND_OUTPUT}). */
    public static Budgets of(Model model, List<String> targetPatterns) {
        List<String> patterns = targetPatterns == null ? Targets.VALUE_AND_OUTPUT : targetPatterns;
        List<String> names = Targets.resolve(model, patterns, !patterns.equals(Targets.VALUE_AND_OUTPUT));
        ParameterStore store = model.parameters();
        long targeted = 0;
        long sum = 0;
        for (String n : names) {
            Shape s = store.shape(n);
            targeted += s.size();
            sum += s.get(0) + s.get(1);
        }
        return new Budgets(Targets.bodyCount(model), targeted, sum, names);
    }

    public List<String> targets() {
        return targets;
    }

    /** Base-model parameters outside the head. */
    public long bodyTotal() {
        return bodyTotal;
    }

    /** Entries in the targeted tensors. */
    public long targetedTotal() {
        return targetedTotal;
    }

    /** LoRA parameters at rank r: Σ r·(in + out) over the targets. */
    public long loraParameters(int rank) {
        if (rank < 1) {
            throw new InvalidArgumentException("LoRA rank must be at least 1, got " + rank + ".");
        }
        return rank * inPlusOut;
    }

    /** SpaRTA density (relative to the whole body, GLOBAL mode) with as many trainable entries as LoRA at rank r. */
    public double globalDensityForRank(int rank) {
        return (double) loraParameters(rank) / bodyTotal;
    }

    /** SpaRTA density relative to the targeted tensors (PER_TENSOR mode) matching LoRA at rank r; error when above 1. */
    public double perTensorDensityForRank(int rank) {
        double d = (double) loraParameters(rank) / targetedTotal;
        if (d > 1) {
            throw new InvalidArgumentException(String.format(Locale.ROOT, "LoRA rank %d has %,d parameters, more than the %,d"
                    + " entries of the targets, so no SpaRTA density matches it. Use a smaller rank.", rank,
                    loraParameters(rank), targetedTotal));
        }
        return d;
    }

    /** The LoRA rank (rounded, at least 1) whose parameter count is closest to a GLOBAL density. */
    public int rankForGlobalDensity(double density) {
        checkDensity(density);
        return (int) Math.max(1, Math.round(density * bodyTotal / inPlusOut));
    }

    /** The LoRA rank (rounded, at least 1) closest to a PER_TENSOR density. */
    public int rankForPerTensorDensity(double density) {
        checkDensity(density);
        return (int) Math.max(1, Math.round(density * targetedTotal / inPlusOut));
    }

    private static void checkDensity(double d) {
        if (Double.isNaN(d) || d <= 0 || d > 1) {
            throw new InvalidArgumentException("Density must be in (0, 1], got " + d + ".");
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d targets, %,d targeted of %,d body parameters; LoRA r=1 ~ %,d parameters"
                + " ~ density %.5f (global) / %.5f (per tensor)", targets.size(), targetedTotal, bodyTotal, inPlusOut,
                (double) inPlusOut / bodyTotal, (double) inPlusOut / targetedTotal);
    }
}
