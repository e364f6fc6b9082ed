package io.github.peft4j.dsl;

import io.github.peft4j.PeftModel;
import io.github.peft4j.core.methods.sparse.BudgetMode;
import io.github.peft4j.core.methods.sparse.SparseRandom;

import java.util.List;
import java.util.Locale;

/**
 * SpaRTA options. Default learning rate {@value #DEFAULT_LR}: the deltas start at zero and a few
 * hundred steps on CPU need a much larger step than the paper's 5e-5 (which assumes thousands of
 * steps on billion-parameter models).
 */
public final class SparseRandomSetup extends TrainingSetup<SparseRandomSetup> {
    public static final double DEFAULT_LR = 2e-3;

    private final double density;
    private List<String> targets;
    private BudgetMode mode = BudgetMode.PER_TENSOR;
    private float deltaDropout = 0f;

    public SparseRandomSetup(PeftModel model, double density) {
        super(model);
        this.density = density;
        method(); // validates the density now, not at train()
    }

    /** Regexes over parameter names (default: attention value + output projections). */
    public SparseRandomSetup targets(String... patterns) {
        this.targets = List.of(patterns);
        method();
        return this;
    }

    /** Exactly round(density × numel) entries in every targeted tensor (default; reproducible). */
    public SparseRandomSetup perTensor() {
        this.mode = BudgetMode.PER_TENSOR;
        return this;
    }

    /** The paper's budget: density of ALL base parameters, one keep-probability over the targets. */
    public SparseRandomSetup globalBudget() {
        this.mode = BudgetMode.GLOBAL;
        return this;
    }

    /** Dropout on the delta while training (paper CLI: 0.1; default 0). */
    public SparseRandomSetup deltaDropout(double p) {
        this.deltaDropout = (float) p;
        method();
        return this;
    }

    public double density() {
        return density;
    }

    @Override
    public SparseRandom method() {
        return new SparseRandom(density, targets, mode, seed, deltaDropout);
    }

    @Override
    protected double defaultLearningRate() {
        return DEFAULT_LR;
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "SpaRTA density %s (%s%s%s)", density, mode == BudgetMode.PER_TENSOR ? "per-tensor" : "global",
                targets == null ? ", value+output" : ", targets " + targets, deltaDropout > 0 ? ", delta dropout " + deltaDropout : "");
    }
}
