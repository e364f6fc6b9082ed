package io.github.peft4j.core;

/** An adapter does not fit the model it is applied to (names, shapes, or base fingerprint). */
public class AdapterMismatchException extends Peft4jException {
    public AdapterMismatchException(String message) {
        super(message);
    }
}
