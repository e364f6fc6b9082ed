package io.github.peft4j.core.methods.sparse;

/** How SpaRTA turns a density into a number of trainable entries. */
public enum BudgetMode {
    /**
     * Default, reproducible: every targeted tensor gets exactly {@code round(density × numel)}
     * distinct positions, sampled uniformly without replacement (as PEFT's SHiRA does). Density is
     * relative to the targeted tensors.
     */
    PER_TENSOR,
    /**
     * The paper's budget: density is relative to ALL base-model parameters outside the task head
     * ("sparsity 99.5%" = 0.5% of the model trainable). Every targeted entry is kept independently
     * with one probability {@code p = density × bodyTotal / targetedTotal}, so the expected count is
     * {@code density × bodyTotal} and the realised count varies (binomial). Requires {@code p ≤ 1}.
     * The dense head is trained in addition and not counted; the authors' code instead subtracts
     * the head from the budget ({@code keep = (1 − sparsity)·total − head}), which differs by the
     * head's size (a few thousand entries on billion-parameter models).
     */
    GLOBAL
}
