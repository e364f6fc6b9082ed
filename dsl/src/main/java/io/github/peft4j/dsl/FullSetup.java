package io.github.peft4j.dsl;

import io.github.peft4j.PeftModel;
import io.github.peft4j.core.methods.full.FullFineTuning;

/** Full fine-tuning: every weight trainable; the usual small learning rate. */
public final class FullSetup extends TrainingSetup<FullSetup> {
    public static final double DEFAULT_LR = 5e-5;

    public FullSetup(PeftModel model) {
        super(model);
    }

    @Override
    public FullFineTuning method() {
        return new FullFineTuning();
    }

    @Override
    protected double defaultLearningRate() {
        return DEFAULT_LR;
    }

    @Override
    public String describe() {
        return "full fine-tuning";
    }
}
