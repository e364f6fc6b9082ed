package io.github.peft4j.dsl;

import io.github.peft4j.PeftModel;

/** First step after {@code Peft.on(model)}: choose how to fine-tune. */
public final class MethodChoice {
    private final PeftModel model;

    public MethodChoice(PeftModel model) {
        this.model = model;
    }

    public PeftModel model() {
        return model;
    }

    /** SpaRTA: train a random {@code density} share of the targeted weights (e.g. 0.005). */
    public SparseRandomSetup sparseRandom(double density) {
        return new SparseRandomSetup(model, density);
    }

    /** LoRA with rank {@code rank} (alpha 2·r unless set). */
    public LoraSetup lora(int rank) {
        return new LoraSetup(model, rank);
    }

    /** Every weight trainable. */
    public FullSetup full() {
        return new FullSetup(model);
    }

    /** Only the classification head. */
    public HeadOnlySetup headOnly() {
        return new HeadOnlySetup(model);
    }
}
