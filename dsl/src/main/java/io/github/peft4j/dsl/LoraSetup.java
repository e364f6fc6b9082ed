package io.github.peft4j.dsl;

import io.github.peft4j.PeftModel;
import io.github.peft4j.core.methods.lora.Lora;

import java.util.List;
import java.util.Locale;

/** LoRA options: {@code alpha} (default 2·r), {@code dropout} (default 0), {@code targets}. */
public final class LoraSetup extends TrainingSetup<LoraSetup> {
    public static final double DEFAULT_LR = 1e-3;

    private final int rank;
    private Float alpha;
    private float dropout = 0f;
    private List<String> targets;

    public LoraSetup(PeftModel model, int rank) {
        super(model);
        this.rank = rank;
        method();
    }

    public LoraSetup alpha(double alpha) {
        this.alpha = (float) alpha;
        method();
        return this;
    }

    /** Dropout on the LoRA input while training (paper's baseline: 0.1). */
    public LoraSetup dropout(double p) {
        this.dropout = (float) p;
        method();
        return this;
    }

    /** Regexes over parameter names (default: attention value + output projections). */
    public LoraSetup targets(String... patterns) {
        this.targets = List.of(patterns);
        method();
        return this;
    }

    public int rank() {
        return rank;
    }

    @Override
    public Lora method() {
        Lora lora = Lora.of(rank).withSeed(seed).withDropout(dropout);
        if (alpha != null) {
            lora = lora.withAlpha(alpha);
        }
        return targets == null ? lora : lora.withTargets(targets);
    }

    @Override
    protected double defaultLearningRate() {
        return DEFAULT_LR;
    }

    @Override
    public String describe() {
        Lora l = method();
        return String.format(Locale.ROOT, "LoRA r=%d alpha=%s%s%s", rank, l.alpha(), dropout > 0 ? " dropout " + dropout : "",
                targets == null ? " (value+output)" : " targets " + targets);
    }
}
