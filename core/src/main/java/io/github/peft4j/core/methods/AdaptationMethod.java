package io.github.peft4j.core.methods;

import io.github.peft4j.core.models.Model;

/**
 * A way to fine-tune: decides what is trainable and creates the trainable tensors for one model.
 * Implementations (one package each): sparse (SpaRTA), lora, full, head. A method is a small
 * immutable config; {@link #attach} does the work and never modifies the model's base weights.
 */
public interface AdaptationMethod {

    /** Stable method id, also written to adapter configs: "sparse-random", "lora", "full", "head-only". */
    String name();

    /** Chooses trainable entries on {@code model} and returns a fresh adapter (all deltas zero / LoRA B zero). */
    Adapter attach(Model model);
}
