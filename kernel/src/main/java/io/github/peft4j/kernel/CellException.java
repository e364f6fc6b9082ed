package io.github.peft4j.kernel;

import java.util.List;

/**
 * A cell that did not run to the end: it did not compile, threw, or was interrupted.
 * {@link #errorName()} is what Jupyter shows as the error's name (the user's exception class
 * when the cell threw), {@link #reportLines()} the readable report under it.
 */
public class CellException extends RuntimeException {
    private final String errorName;
    private final List<String> reportLines;

    public CellException(String errorName, String message, List<String> reportLines, Throwable cause) {
        super(message, cause);
        this.errorName = errorName;
        this.reportLines = List.copyOf(reportLines);
    }

    public String errorName() {
        return errorName;
    }

    public List<String> reportLines() {
        return reportLines;
    }
}
