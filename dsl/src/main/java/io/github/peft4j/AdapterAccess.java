package io.github.peft4j;

import io.github.peft4j.core.methods.Adapter;
import io.github.peft4j.dsl.data.LabelMap;

/** Lets the DSL's internals create {@link io.github.peft4j.Adapter}s; not for users. */
public final class AdapterAccess {
    private AdapterAccess() {}

    public static io.github.peft4j.Adapter create(PeftModel model, Adapter core, LabelMap labels, int maxLength) {
        io.github.peft4j.Adapter adapter = new io.github.peft4j.Adapter(model, core, labels, maxLength);
        model.use(adapter);
        return adapter;
    }
}
