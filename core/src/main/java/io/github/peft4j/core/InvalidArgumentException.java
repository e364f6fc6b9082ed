package io.github.peft4j.core;

/** A user-supplied option is out of range or inconsistent (density 2, rank 0, unknown target). */
public class InvalidArgumentException extends Peft4jException {
    public InvalidArgumentException(String message) {
        super(message);
    }
}
