package io.github.peft4j.core.methods.sparse;

import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.methods.AdaptationMethod;
import io.github.peft4j.core.methods.Targets;
import io.github.peft4j.core.models.Model;

import java.util.List;
import java.util.Locale;

/**
 * SpaRTA (Rios et al., arXiv 2502.15975): freeze the model, train a random subset of the entries
 * of the targeted weight matrices. The support is fixed at {@link #attach} from {@link #seed} and
 * never changes; only a zero-initialised delta per support entry (and the dense head) is trained.
 *
 * @param density  fraction in (0, 1]; see {@link BudgetMode} for what it is relative to
 * @param targets  regexes over parameter names; default {@link Targets#VALUE_AND_OUTPUT}
 * @param mode     PER_TENSOR (default) or GLOBAL
 * @param seed     fully determines the support on any machine
 * @param dropout  dropout on the delta while training ({@code W + dropout(1) ⊙ delta}); paper default 0.1
 */
public record SparseRandom(double density, List<String> targets, BudgetMode mode, long seed, float dropout)
        implements AdaptationMethod {
    public static final String NAME = "sparse-random";

    public SparseRandom {
        if (Double.isNaN(density) || density <= 0 || density > 1) {
            throw new InvalidArgumentException("SpaRTA density must be in (0, 1], got " + density
                    + ". Use e.g. 0.005 for 0.5% trainable entries (the paper's 99.5% sparsity).");
        }
        if (Float.isNaN(dropout) || dropout < 0 || dropout >= 1) {
            throw new InvalidArgumentException("SpaRTA dropout must be in [0, 1), got " + dropout + ". Use 0 to disable it.");
        }
        targets = targets == null ? Targets.VALUE_AND_OUTPUT : List.copyOf(targets);
        mode = mode == null ? BudgetMode.PER_TENSOR : mode;
    }

    /** Paper defaults: value + output projections, per-tensor exact budget, seed 42, no delta dropout. */
    public static SparseRandom of(double density) {
        return new SparseRandom(density, null, BudgetMode.PER_TENSOR, 42, 0f);
    }

    public SparseRandom withTargets(List<String> patterns) {
        return new SparseRandom(density, patterns, mode, seed, dropout);
    }

    public SparseRandom withMode(BudgetMode m) {
        return new SparseRandom(density, targets, m, seed, dropout);
    }

    public SparseRandom withSeed(long s) {
        return new SparseRandom(density, targets, mode, s, dropout);
    }

    public SparseRandom withDropout(float p) {
        return new SparseRandom(density, targets, mode, seed, p);
    }

    /** True when the targets are the built-in cross-architecture defaults (only their union must match). */
    boolean defaultTargets() {
        return targets.equals(Targets.VALUE_AND_OUTPUT);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public SparseAdapter attach(Model model) {
        List<String> names = Targets.resolve(model, targets, !defaultTargets());
        return SparseAdapter.create(this, model, names);
    }

    /** Keep-probability on targeted entries for the GLOBAL budget; error when the budget cannot fit. */
    static double globalKeepProbability(double density, long bodyTotal, long targetedTotal) {
        double p = density * bodyTotal / targetedTotal;
        if (p > 1) {
            throw new InvalidArgumentException(String.format(Locale.ROOT,
                    "GLOBAL density %.6g of %,d base parameters asks for %,.0f trainable entries, but the targets hold only"
                            + " %,d. Lower the density to at most %.6g, target more weights, or use BudgetMode.PER_TENSOR.",
                    density, bodyTotal, density * bodyTotal, targetedTotal, (double) targetedTotal / bodyTotal));
        }
        return p;
    }
}
