package io.github.peft4j.dsl;

import io.github.peft4j.PeftModel;
import io.github.peft4j.core.methods.head.HeadOnly;

/** Linear probing: only the classification head learns. */
public final class HeadOnlySetup extends TrainingSetup<HeadOnlySetup> {
    public static final double DEFAULT_LR = 2e-3;

    public HeadOnlySetup(PeftModel model) {
        super(model);
    }

    @Override
    public HeadOnly method() {
        return new HeadOnly();
    }

    @Override
    protected double defaultLearningRate() {
        return DEFAULT_LR;
    }

    @Override
    public String describe() {
        return "head only";
    }
}
