package io.github.peft4j.core.io;

import io.github.peft4j.core.Peft4jException;

/**
 * Downloading from the Hugging Face hub failed: repository, revision or file not found, access
 * denied, offline with nothing cached, or the network broke. The message says which and what to do.
 */
public class HubException extends Peft4jException {
    private final int status;

    public HubException(String message) {
        this(-1, message, null);
    }

    public HubException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The HTTP status that caused this, or -1 when no response was involved. */
    public int status() {
        return status;
    }
}
