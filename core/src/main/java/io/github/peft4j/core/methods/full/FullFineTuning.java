package io.github.peft4j.core.methods.full;

import io.github.peft4j.core.methods.AdaptationMethod;
import io.github.peft4j.core.models.Model;

/**
 * Full fine-tuning: every parameter trainable. The adapter trains copies, so the base model stays
 * untouched and several runs can share it; memory is twice the model plus AdamW's two moments.
 */
public record FullFineTuning() implements AdaptationMethod {
    public static final String NAME = "full";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public FullAdapter attach(Model model) {
        return new FullAdapter(model);
    }
}
