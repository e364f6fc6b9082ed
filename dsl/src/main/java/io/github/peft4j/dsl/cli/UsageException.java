package io.github.peft4j.dsl.cli;

/** Wrong command line (unknown flag, missing argument): exit code 2 with the command's usage. */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
