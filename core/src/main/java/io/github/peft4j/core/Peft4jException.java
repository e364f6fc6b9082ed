package io.github.peft4j.core;

/**
 * Base of every error peft4j reports on purpose. The message always says what was wrong
 * (file, field, value) and what the user can do about it. Unchecked so that notebook cells
 * stay short; subclasses let callers react to a kind of problem.
 */
public class Peft4jException extends RuntimeException {
    public Peft4jException(String message) {
        super(message);
    }

    public Peft4jException(String message, Throwable cause) {
        super(message, cause);
    }
}
