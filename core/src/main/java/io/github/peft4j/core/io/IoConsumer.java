package io.github.peft4j.core.io;

import java.io.IOException;

/** A step that may throw {@link IOException}, e.g. filling a temp file before it is renamed. */
@FunctionalInterface
public interface IoConsumer<T> {
    void accept(T value) throws IOException;
}
