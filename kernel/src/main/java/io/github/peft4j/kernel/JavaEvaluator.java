package io.github.peft4j.kernel;

import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.SourceCodeAnalysis.Completeness;
import jdk.jshell.UnresolvedReferenceException;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Evaluates Java cells with JShell, keeping declarations across cells. A cell may hold many
 * statements and declarations; the value of its last expression is returned for display.
 * Independent of Jupyter so it can be tested directly.
 */
public final class JavaEvaluator implements AutoCloseable {

    /** Imports every cell starts with; peft4j's packages are included when on the class path. */
    static final List<String> DEFAULT_IMPORTS = List.of(
            "java.util.*", "java.util.function.*", "java.util.stream.*", "java.io.*", "java.nio.file.*",
            "java.time.*", "java.math.*");
    /** Package imports added when the class named after them is on the class path. */
    static final Map<String, String> OPTIONAL_IMPORTS = Map.of(
            "io.github.peft4j.*", "io.github.peft4j.Peft",
            "io.github.peft4j.core.*", "io.github.peft4j.core.Peft4jException",
            "tech.tablesaw.api.*", "tech.tablesaw.api.Table",
            "org.knowm.xchart.*", "org.knowm.xchart.XYChart");

    private final InProcessExecutionControl control = new InProcessExecutionControl();
    private final JShell shell;
    private final SourceCodeAnalysis analysis;
    private final Set<String> classPath = new LinkedHashSet<>();
    /** Declarations of the current cell that refer to names not declared yet. */
    private final List<jdk.jshell.DeclarationSnippet> pendingDeclarations = new ArrayList<>();

    /** Outcome of a cell: the last expression's value, if the cell ended in an expression. */
    public record Result(boolean hasValue, Object value, String valueText) {
        static final Result NONE = new Result(false, null, null);
    }

    public JavaEvaluator() {
        this.shell = JShell.builder()
                .executionEngine(new InProcessExecutionControl.Provider(control), Map.of())
                .compilerOptions("-proc:none", "-parameters")
                .build();
        this.analysis = shell.sourceCodeAnalysis();
        // Snippets compile against the kernel's own class path: peft4j, DJL, Tablesaw, XChart.
        for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                addToClassPath(Path.of(entry));
            }
        }
        for (String pkg : DEFAULT_IMPORTS) {
            evalQuietly("import " + pkg + ";");
        }
        OPTIONAL_IMPORTS.forEach((pkg, probe) -> {
            if (onClassPath(probe)) {
                evalQuietly("import " + pkg + ";");
            }
        });
        evalQuietly("import static io.github.peft4j.kernel.Notebook.*;");
    }

    private static boolean onClassPath(String className) {
        try {
            Class.forName(className, false, JavaEvaluator.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private void evalQuietly(String source) {
        for (SnippetEvent event : shell.eval(source)) {
            if (event.status() == Snippet.Status.REJECTED) {
                throw new IllegalStateException("kernel start-up snippet failed: " + source + " "
                        + diagnostics(event.snippet()));
            }
        }
    }

    /** Adds a jar or class folder to both the compiler's and the runtime's class path. */
    public synchronized boolean addToClassPath(Path entry) {
        String path = entry.toAbsolutePath().normalize().toString();
        if (!classPath.add(path)) {
            return false;
        }
        shell.addToClasspath(path);
        return true;
    }

    public synchronized List<String> classPath() {
        return List.copyOf(classPath);
    }

    /**
     * Runs every snippet of {@code cell} in order, stopping at the first that fails.
     *
     * @throws CellException when a snippet does not compile, throws, or is interrupted
     */
    public Result eval(String cell) {
        pendingDeclarations.clear();
        try {
            return evalSnippets(cell);
        } finally {
            warnAboutUnresolved();
        }
    }

    /** A declaration still waiting for a name at the end of the cell is legal, but worth a note. */
    private void warnAboutUnresolved() {
        for (jdk.jshell.DeclarationSnippet snippet : pendingDeclarations) {
            if (shell.status(snippet) == Snippet.Status.RECOVERABLE_DEFINED
                    || shell.status(snippet) == Snippet.Status.RECOVERABLE_NOT_DEFINED) {
                String missing = shell.unresolvedDependencies(snippet).collect(Collectors.joining(", "));
                System.err.println("note: " + snippet.name() + " refers to " + missing
                        + ", not declared yet; it can be used once " + missing + " is declared");
            }
        }
        pendingDeclarations.clear();
    }

    private Result evalSnippets(String cell) {
        Result last = Result.NONE;
        String remaining = cell;
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            if (info.completeness() == Completeness.EMPTY) {
                break;
            }
            String source;
            String written; // the snippet as the user typed it (JShell may have added a ';')
            if (info.completeness().isComplete()) {
                source = info.source();
                written = remaining.substring(0, remaining.length() - info.remaining().length());
                remaining = info.remaining();
            } else {
                // Let the compiler say what is wrong with an unfinished snippet.
                source = remaining;
                written = remaining;
                remaining = "";
            }
            last = evalSnippet(source);
            if (endsWithSemicolon(written)) {
                last = Result.NONE; // as in IPython, a trailing ';' means "do not display"
            }
        }
        return last;
    }

    private Result evalSnippet(String source) {
        List<SnippetEvent> events = shell.eval(source);
        if (control.takeStopped()) {
            throw new CellException("Interrupted", "the cell was interrupted",
                    List.of("Interrupted: the cell was stopped before it finished; later statements did not run."
                            + " Variables keep the values they had when it stopped."), null);
        }
        Result result = Result.NONE;
        for (SnippetEvent event : events) {
            if (event.causeSnippet() != null) {
                continue; // a dependent snippet was updated; not this cell's outcome
            }
            Snippet snippet = event.snippet();
            if (event.status() == Snippet.Status.REJECTED) {
                throw compileError(snippet);
            }
            JShellException thrown = event.exception();
            if (thrown != null) {
                throw runtimeError(thrown);
            }
            if (event.status() == Snippet.Status.RECOVERABLE_DEFINED
                    || event.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED) {
                // Refers to something declared later (in this cell or a later one): legal in JShell.
                pendingDeclarations.add((jdk.jshell.DeclarationSnippet) snippet);
            }
            Object value = control.takeLastValue();
            if (isDisplayedValue(snippet)) {
                result = value == null ? Result.NONE : new Result(true, value, event.value());
            } else {
                result = Result.NONE;
            }
        }
        return result;
    }

    /** True when the code's last character outside comments and whitespace is ';'. */
    static boolean endsWithSemicolon(String code) {
        String text = code.strip();
        while (true) {
            if (text.endsWith("*/") && text.contains("/*")) {
                text = text.substring(0, text.lastIndexOf("/*")).strip();
                continue;
            }
            int lineStart = text.lastIndexOf('\n') + 1;
            int comment = text.indexOf("//", lineStart);
            if (comment >= 0 && !text.substring(lineStart, comment).contains("\"")) {
                text = text.substring(0, comment).strip();
                continue;
            }
            return text.endsWith(";");
        }
    }

    private static boolean isDisplayedValue(Snippet snippet) {
        return switch (snippet.subKind()) {
            case TEMP_VAR_EXPRESSION_SUBKIND, VAR_VALUE_SUBKIND, OTHER_EXPRESSION_SUBKIND -> true;
            default -> false;
        };
    }

    private CellException compileError(Snippet snippet) {
        List<String> lines = new ArrayList<>();
        String source = snippet.source();
        List<Diag> diags = shell.diagnostics(snippet).filter(Diag::isError).toList();
        for (Diag diag : diags) {
            lines.add("error: " + diag.getMessage(Locale.ROOT));
            lines.addAll(pointAt(source, (int) diag.getStartPosition(), (int) diag.getEndPosition()));
        }
        if (diags.isEmpty()) {
            lines.add("this snippet could not be compiled: " + source.strip());
        }
        String message = diags.isEmpty() ? "does not compile" : diags.get(0).getMessage(Locale.ROOT);
        return new CellException("CompilationError", message, lines, null);
    }

    private String diagnostics(Snippet snippet) {
        return shell.diagnostics(snippet).map(d -> d.getMessage(Locale.ROOT)).collect(Collectors.joining("; "));
    }

    /** The offending source line with a caret row under the error's span. */
    private static List<String> pointAt(String source, int start, int end) {
        if (start < 0 || start > source.length()) {
            return List.of();
        }
        int lineStart = source.lastIndexOf('\n', Math.max(0, start - 1)) + 1;
        if (start == 0) {
            lineStart = 0;
        }
        int lineEnd = source.indexOf('\n', start);
        if (lineEnd < 0) {
            lineEnd = source.length();
        }
        String line = source.substring(lineStart, lineEnd);
        int caretEnd = Math.max(start + 1, Math.min(end, lineEnd));
        String carets = " ".repeat(start - lineStart) + "^".repeat(Math.max(1, caretEnd - start));
        return List.of("    " + line, "    " + carets);
    }

    private CellException runtimeError(JShellException thrown) {
        if (thrown instanceof UnresolvedReferenceException unresolved) {
            String missing = shell.unresolvedDependencies(unresolved.getSnippet()).collect(Collectors.joining(", "));
            return new CellException("UnresolvedReference", "needs " + missing,
                    List.of(unresolved.getSnippet().source().strip() + " uses " + missing
                            + ", which is not declared: declare it and run again"), thrown);
        }
        Throwable real = control.takeLastThrowable();
        if (real != null) {
            return new CellException(real.getClass().getName(), String.valueOf(real.getMessage()),
                    userStackTrace(real), real);
        }
        String name = thrown instanceof EvalException eval ? eval.getExceptionClassName() : thrown.getClass().getName();
        return new CellException(name, String.valueOf(thrown.getMessage()), userStackTrace(thrown), thrown);
    }

    /** The stack trace without the reflection and JShell frames that sit under every cell. */
    static List<String> userStackTrace(Throwable thrown) {
        StringWriter text = new StringWriter();
        thrown.printStackTrace(new PrintWriter(text));
        List<String> lines = new ArrayList<>();
        for (String line : text.toString().split("\\R")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("at jdk.internal.reflect.") || trimmed.startsWith("at java.base/jdk.internal.reflect.")
                    || trimmed.startsWith("at java.base/java.lang.reflect.Method.invoke")
                    || trimmed.contains("io.github.peft4j.kernel.InProcessExecutionControl")
                    || trimmed.startsWith("at java.base/java.util.concurrent.")
                    || trimmed.startsWith("at java.base/java.lang.Thread.run")) {
                continue;
            }
            lines.add(line.replace("REPL.$JShell$", "cell$"));
        }
        return lines;
    }

    /** Completion candidates at {@code cursor}, and the range of {@code code} they replace. */
    public record Completions(List<String> candidates, int start, int end) {}

    public Completions complete(String code, int cursor) {
        // JShell completes within one snippet: find the snippet that holds the cursor.
        int offset = 0;
        String remaining = code;
        while (true) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            if (!info.completeness().isComplete() || info.remaining().isEmpty()) {
                break;
            }
            int consumed = remaining.length() - info.remaining().length();
            if (offset + consumed >= cursor) {
                break;
            }
            offset += consumed;
            remaining = info.remaining();
        }
        String snippet = remaining;
        int local = Math.max(0, Math.min(cursor - offset, snippet.length()));
        int[] anchor = new int[1];
        List<SourceCodeAnalysis.Suggestion> suggestions = analysis.completionSuggestions(snippet, local, anchor);
        boolean anyMatching = suggestions.stream().anyMatch(SourceCodeAnalysis.Suggestion::matchesType);
        List<String> candidates = suggestions.stream()
                .filter(s -> !anyMatching || s.matchesType())
                .map(SourceCodeAnalysis.Suggestion::continuation)
                .distinct()
                .toList();
        return new Completions(candidates, offset + anchor[0], cursor);
    }

    /** Jupyter's is-complete answer: "complete", "invalid", "unknown" or the indent to continue with. */
    public String isComplete(String code) {
        String remaining = code;
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            switch (info.completeness()) {
                case EMPTY:
                    return "complete";
                case COMPLETE:
                case COMPLETE_WITH_SEMI:
                    remaining = info.remaining();
                    break;
                case DEFINITELY_INCOMPLETE:
                case CONSIDERED_INCOMPLETE:
                    return "    ";
                case UNKNOWN:
                default:
                    return "invalid";
            }
        }
        return "complete";
    }

    /** The type and documentation of the expression at {@code cursor}, for Shift-Tab. */
    public Optional<String> documentation(String code, int cursor) {
        List<SourceCodeAnalysis.Documentation> docs = analysis.documentation(code, Math.min(cursor, code.length()), false);
        if (docs.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(docs.stream().map(SourceCodeAnalysis.Documentation::signature)
                .collect(Collectors.joining("\n")));
    }

    /** Stops the running cell (Jupyter's interrupt). Safe to call from any thread. */
    public void stop() {
        if (control.isRunning()) {
            shell.stop();
        }
    }

    public boolean isRunning() {
        return control.isRunning();
    }

    @Override
    public void close() {
        shell.close();
    }
}
