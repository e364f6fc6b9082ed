package io.github.peft4j.core;

import java.nio.file.Path;

/** A file (safetensors, config.json, tokenizer, ONNX, adapter) is missing, truncated or malformed. */
public class FileFormatException extends Peft4jException {
    private final Path file;

    public FileFormatException(Path file, String problem) {
        super((file == null ? "" : file + ": ") + problem);
        this.file = file;
    }

    public FileFormatException(Path file, String problem, Throwable cause) {
        super((file == null ? "" : file + ": ") + problem, cause);
        this.file = file;
    }

    /** The offending file, or null when the data did not come from a file. */
    public Path file() {
        return file;
    }
}
