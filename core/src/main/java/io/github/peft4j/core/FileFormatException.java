package io.github.peft4j.core;

import java.nio.file.Path;

/** A file (safetensors, config.json, tokenizer, ONNX, adapter) is missing, truncated or malformed. */
public class FileFormatException extends Peft4jException {
    private final Path file;

    public FileFormatException(Path file, String problem) {
        super((file == null ? "" : file + ": ") + oneLine(problem));
        this.file = file;
    }

    public FileFormatException(Path file, String problem, Throwable cause) {
        super((file == null ? "" : file + ": ") + oneLine(problem), cause);
        this.file = file;
    }

    /**
     * Parser messages (Jackson's) carry their location on a second line; a CLI prints one line per
     * error, so line breaks become spaces.
     */
    private static String oneLine(String problem) {
        return problem == null ? "" : problem.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /** The offending file, or null when the data did not come from a file. */
    public Path file() {
        return file;
    }
}
