package io.github.peft4j.kernel;

import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.HelpLink;
import org.dflib.jjava.jupyter.channels.ShellReplyEnvironment;
import org.dflib.jjava.jupyter.messages.Message;
import org.dflib.jjava.jupyter.messages.publish.PublishError;
import org.dflib.jjava.jupyter.messages.publish.PublishExecuteInput;
import org.dflib.jjava.jupyter.messages.publish.PublishExecuteResult;
import org.dflib.jjava.jupyter.messages.reply.ErrorReply;
import org.dflib.jjava.jupyter.messages.reply.ExecuteReply;
import org.dflib.jjava.jupyter.messages.request.ExecuteRequest;
import org.dflib.jjava.jupyter.kernel.LanguageInfo;
import org.dflib.jjava.jupyter.kernel.ReplacementOptions;
import org.dflib.jjava.jupyter.kernel.comm.CommManager;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.util.StringStyler;
import org.dflib.jjava.jupyter.kernel.util.TextColor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The peft4j Jupyter kernel: jjava-jupyter speaks the Jupyter protocol, {@link JavaEvaluator}
 * runs the cells, {@link RichDisplay} renders their values. Supports IJava's line magics
 * {@code %maven}, {@code %jars} and {@code %classpath} so notebooks stay portable.
 */
public final class Peft4jKernel extends BaseKernel {

    public static final String VERSION = "0.1.0";

    private final JavaEvaluator evaluator;
    private final MavenResolver maven = new MavenResolver();

    public Peft4jKernel() {
        this(new JavaEvaluator());
    }

    Peft4jKernel(JavaEvaluator evaluator) {
        super("peft4j", VERSION,
                new LanguageInfo.Builder("java")
                        .version(Runtime.version().toString())
                        .mimetype("text/x-java-source")
                        .fileExtension(".jshell")
                        .pygments("java")
                        .codemirror("java")
                        .build(),
                List.of(new HelpLink("peft4j", "https://github.com/peft4j/peft4j")),
                null,
                new KernelIO(),
                new CommManager(),
                new Renderer(),
                null,
                null,
                false,
                new StringStyler.Builder()
                        .addPrimaryStyle(TextColor.BOLD_RESET_FG)
                        .addSecondaryStyle(TextColor.BOLD_RED_FG)
                        .addHighlightStyle(TextColor.BOLD_RESET_FG)
                        .build());
        this.evaluator = evaluator;
    }

    public JavaEvaluator evaluator() {
        return evaluator;
    }

    @Override
    public void onStartup() {
        super.onStartup();
        Notebook.install(new Notebook.DisplaySink() {
            @Override
            public void display(DisplayData data) {
                io.display.display(data);
            }

            @Override
            public void update(DisplayData data) {
                io.display.updateDisplay(data);
            }
        });
        TrainingProgressHook.installJupyterProgress();
    }

    @Override
    public void onShutdown(boolean isRestarting) {
        evaluator.stop();
        Notebook.install(null);
        TrainingProgressHook.restoreConsoleProgress();
        super.onShutdown(isRestarting);
    }

    /** Runs a cell: magic lines in place, Java in between; returns the last value or null. */
    @Override
    public Object evalRaw(String cell) {
        Object last = null;
        StringBuilder java = new StringBuilder();
        for (String line : cell.split("\\R", -1)) {
            if (isMagicLine(line)) {
                last = runJava(java.toString(), last);
                java.setLength(0);
                last = runMagic(line.strip());
            } else {
                java.append(line).append('\n');
            }
        }
        return runJava(java.toString(), last);
    }

    private Object runJava(String source, Object previous) {
        if (source.isBlank()) {
            return previous;
        }
        JavaEvaluator.Result result = evaluator.eval(source);
        return result.hasValue() ? result.value() : null;
    }

    /**
     * jjava's handler reports any failure as its own exception class with the kernel's stack;
     * this one reports the user's exception class and the readable report from {@link #formatError},
     * in the error output and in the execute reply (which nbconvert prints when a cell fails).
     */
    @Override
    protected synchronized void handleExecuteRequest(ShellReplyEnvironment env, Message<ExecuteRequest> message) {
        commManager.setMessageContext(message);
        ExecuteRequest request = message.getContent();
        int count = executionCount.getAndIncrement();
        env.setBusyDeferIdle();
        env.publish(new PublishExecuteInput(request.getCode(), count));
        replaceOutputStreams(env);
        KernelIO kernelIO = (KernelIO) io;
        kernelIO.attach(env, request.isStdinEnabled());
        env.defer(() -> kernelIO.detach(env));
        try {
            DisplayData out = eval(request.getCode());
            if (out != null) {
                env.publish(new PublishExecuteResult(count, out));
            }
            env.defer().reply(new ExecuteReply(count, java.util.Map.of()));
        } catch (Exception | LinkageError e) {
            String name = e instanceof CellException cell ? cell.errorName() : e.getClass().getName();
            String value = String.valueOf(e.getMessage());
            List<String> report = formatError(e);
            env.publish(new PublishError(name, value, report));
            ErrorReply error = new ErrorReply(name, value, report);
            error.setExecutionCount(count);
            env.defer().replyError(ExecuteReply.MESSAGE_TYPE.error(), error);
        }
    }

    @Override
    public DisplayData eval(String cell) {
        Object value = evalRaw(cell);
        if (value == null) {
            return null;
        }
        try {
            return RichDisplay.render(value);
        } catch (RuntimeException e) {
            // The cell ran; only drawing its value failed (e.g. a chart XChart cannot paint).
            throw new CellException("DisplayError", "the cell ran, but its value could not be displayed: " + e,
                    JavaEvaluator.userStackTrace(e), e);
        }
    }

    static boolean isMagicLine(String line) {
        return line.length() > 1 && line.charAt(0) == '%' && Character.isLetter(line.charAt(1));
    }

    private Object runMagic(String line) {
        String[] words = line.substring(1).trim().split("\\s+");
        String name = words[0];
        List<String> args = List.of(words).subList(1, words.length);
        switch (name) {
            case "maven" -> {
                requireArgs(name, args, "%maven group:artifact:version [more coordinates]");
                List<Path> jars = maven.resolve(args);
                jars.forEach(evaluator::addToClassPath);
                return null;
            }
            case "jars" -> {
                requireArgs(name, args, "%jars path/to/lib.jar or %jars lib/*.jar");
                for (String pattern : args) {
                    List<Path> jars = expandJars(pattern);
                    if (jars.isEmpty()) {
                        throw new CellException("MagicError", "no jar matches " + pattern,
                                List.of("%jars: no .jar file matches '" + pattern + "' (working directory "
                                        + Path.of("").toAbsolutePath() + "); check the path"), null);
                    }
                    jars.forEach(evaluator::addToClassPath);
                }
                return null;
            }
            case "classpath" -> {
                if (args.isEmpty()) {
                    return String.join(System.lineSeparator(), evaluator.classPath());
                }
                for (String arg : args) {
                    for (String entry : arg.split(java.io.File.pathSeparator)) {
                        Path path = Path.of(entry);
                        if (!Files.exists(path)) {
                            throw new CellException("MagicError", "no such path " + entry,
                                    List.of("%classpath: '" + entry + "' does not exist; give jar files or class folders"), null);
                        }
                        evaluator.addToClassPath(path);
                    }
                }
                return null;
            }
            default -> throw new CellException("MagicError", "unknown magic %" + name,
                    List.of("Unknown line magic %" + name + ". This kernel knows %maven, %jars and %classpath."), null);
        }
    }

    private static void requireArgs(String name, List<String> args, String usage) {
        if (args.isEmpty()) {
            throw new CellException("MagicError", "%" + name + " needs arguments", List.of("usage: " + usage), null);
        }
    }

    /** A jar path, or a folder/glob in its last component: {@code lib/*.jar}. */
    static List<Path> expandJars(String pattern) {
        Path path = Path.of(pattern);
        if (Files.isDirectory(path)) {
            return listMatching(path, "*.jar");
        }
        String fileName = path.getFileName() == null ? pattern : path.getFileName().toString();
        if (fileName.contains("*") || fileName.contains("?")) {
            Path parent = path.getParent() == null ? Path.of(".") : path.getParent();
            return listMatching(parent, fileName);
        }
        return Files.isRegularFile(path) ? List.of(path) : List.of();
    }

    private static List<Path> listMatching(Path folder, String glob) {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder, glob)) {
            for (Path entry : entries) {
                if (Files.isRegularFile(entry)) {
                    found.add(entry);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        found.sort(null);
        return found;
    }

    @Override
    public DisplayData inspect(String code, int at, boolean extraDetail) {
        return evaluator.documentation(code, at).map(DisplayData::new).orElse(null);
    }

    @Override
    public ReplacementOptions complete(String code, int at) {
        JavaEvaluator.Completions completions = evaluator.complete(code, at);
        return new ReplacementOptions(completions.candidates(), completions.start(), completions.end());
    }

    @Override
    public String isComplete(String code) {
        StringBuilder java = new StringBuilder();
        for (String line : code.split("\\R", -1)) {
            if (!isMagicLine(line)) {
                java.append(line).append('\n');
            }
        }
        return evaluator.isComplete(java.toString());
    }

    @Override
    public void interrupt() {
        evaluator.stop();
    }

    @Override
    public List<String> formatError(Throwable e) {
        List<String> lines = new ArrayList<>();
        if (e instanceof CellException cell) {
            String header = cell.errorName() + ": " + cell.getMessage();
            lines.add(errorStyler.secondary(header));
            List<String> report = cell.reportLines();
            if (!report.isEmpty() && report.get(0).strip().equals(header)) {
                report = report.subList(1, report.size()); // the stack trace repeats the header
            }
            for (String line : report) {
                lines.add(errorStyler.primary(line));
            }
            return lines;
        }
        lines.add(errorStyler.secondary("kernel error: " + e));
        JavaEvaluator.userStackTrace(e).forEach(l -> lines.add(errorStyler.primary(l)));
        return lines;
    }
}
