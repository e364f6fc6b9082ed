package io.github.peft4j.core.methods.head;

import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.methods.AdaptationMethod;
import io.github.peft4j.core.models.Model;

/** Linear probing: only the task head is trained; the body is frozen. The weakest, cheapest baseline. */
public record HeadOnly() implements AdaptationMethod {
    public static final String NAME = "head-only";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public HeadOnlyAdapter attach(Model model) {
        if (model.headParameters().isEmpty()) {
            throw new InvalidArgumentException(model.modelId() + " has no task head (task " + model.task()
                    + "), so head-only training has nothing to train. Load it with a classification head or use"
                    + " SpaRTA / LoRA.");
        }
        return new HeadOnlyAdapter(model);
    }
}
