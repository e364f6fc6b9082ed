package io.github.peft4j.kernel;

import io.github.peft4j.core.train.StepRecord;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One kernel for the class: JShell start-up costs about a second. */
class JavaEvaluatorTest {

    private static Peft4jKernel kernel;
    private static JavaEvaluator evaluator;

    @BeforeAll
    static void start() {
        kernel = new Peft4jKernel();
        evaluator = kernel.evaluator();
    }

    @AfterAll
    static void stop() {
        evaluator.close();
    }

    @Test
    void keepsStateAcrossCellsAndShowsTheLastExpression() {
        assertFalse(evaluator.eval("int answer = 41;").hasValue());
        JavaEvaluator.Result result = evaluator.eval("answer += 1;\nString greeting = \"hi\";\nanswer * 2");
        assertTrue(result.hasValue());
        assertEquals(84, result.value());
        assertEquals(42, evaluator.eval("answer").value());
        // methods and classes declared in one cell are usable in the next
        evaluator.eval("record Point(int x, int y) { int sum() { return x + y; } }\nint twice(int v) { return 2 * v; }");
        assertEquals(14, evaluator.eval("twice(new Point(3, 4).sum())").value());
    }

    @Test
    void aTrailingSemicolonSuppressesTheValue() {
        assertFalse(evaluator.eval("System.out.printf(\"%d%n\", 5);").hasValue());
        assertFalse(evaluator.eval("int v = 2;\nv + 1; // no display").hasValue());
        assertEquals(3, evaluator.eval("int w = 2;\nw + 1 // shown").value());
        assertTrue(JavaEvaluator.endsWithSemicolon("x; /* c */"));
        assertFalse(JavaEvaluator.endsWithSemicolon("s + \"// not a comment;\""));
    }

    @Test
    void aCellEndingInAStatementHasNoValue() {
        assertFalse(evaluator.eval("List<Integer> xs = new ArrayList<>(); xs.add(3);\nxs.clear();").hasValue());
        assertNull(kernel.eval("int unused = 5;"));
    }

    @Test
    void userExceptionIsReportedWithItsClassAndTheKernelGoesOn() {
        CellException error = assertThrows(CellException.class,
                () -> evaluator.eval("int before = 1;\nif (before == 1) throw new IllegalStateException(\"boom \" + before);\nint after = 2;"));
        assertEquals("java.lang.IllegalStateException", error.errorName());
        assertEquals("boom 1", error.getMessage());
        assertTrue(error.reportLines().get(0).contains("IllegalStateException: boom 1"), error.reportLines().toString());
        // statements after the failing one did not run; the kernel still evaluates
        assertThrows(CellException.class, () -> evaluator.eval("after"));
        assertEquals(3, evaluator.eval("before + 2").value());
        List<String> formatted = kernel.formatError(error);
        assertTrue(formatted.get(0).contains("java.lang.IllegalStateException: boom 1"));
    }

    @Test
    void compileErrorPointsAtTheProblem() {
        CellException error = assertThrows(CellException.class, () -> evaluator.eval("int n = \"text\";"));
        assertEquals("CompilationError", error.errorName());
        assertTrue(error.getMessage().contains("incompatible types"), error.getMessage());
        assertTrue(error.reportLines().stream().anyMatch(l -> l.contains("^")), error.reportLines().toString());
        assertThrows(CellException.class, () -> evaluator.eval("undefinedVariable + 1"));
    }

    @Test
    void completesMembersAndNames() {
        evaluator.eval("String completionTarget = \"abc\";");
        String code = "int n = completionTarget.len";
        JavaEvaluator.Completions completions = evaluator.complete(code, code.length());
        assertTrue(completions.candidates().contains("length()"), completions.candidates().toString());
        assertEquals(code.length() - 3, completions.start());
        // the cursor in the second snippet of a cell
        String cell = "int a = 1;\ncompletionTar";
        JavaEvaluator.Completions second = evaluator.complete(cell, cell.length());
        assertEquals(List.of("completionTarget"), second.candidates());
        assertEquals(cell.indexOf("completionTar"), second.start());
    }

    @Test
    void isCompleteTellsUnfinishedCode() {
        assertEquals("complete", evaluator.isComplete("int x = 1;\nx + 1"));
        assertEquals("    ", evaluator.isComplete("for (int i = 0; i < 3; i++) {"));
        assertEquals("    ", evaluator.isComplete("int y = 1;\nString s = \"a\" +"));
        assertEquals("complete", kernel.isComplete("%classpath\nint z = 3;"));
    }

    @Test
    void tableRendersAsHtmlAndLongTablesAreTruncated() {
        evaluator.eval("""
                var table = tech.tablesaw.api.Table.create("runs",
                    tech.tablesaw.api.StringColumn.create("method", "sparta", "lora"),
                    tech.tablesaw.api.DoubleColumn.create("accuracy", 0.91, 0.89));""");
        DisplayData data = kernel.eval("table");
        String html = (String) data.getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_HTML);
        assertTrue(html.startsWith("<table"), html);
        assertTrue(html.contains("<th title=\"DOUBLE\">accuracy</th>"), html);
        assertTrue(html.contains("<td>sparta</td><td>0.91</td>"), html);
        assertTrue(html.contains("<caption>runs</caption>"), html);

        DisplayData longTable = kernel.eval("tech.tablesaw.api.Table.create(\"long\", tech.tablesaw.api.IntColumn.create(\"i\", java.util.stream.IntStream.range(0, 100).toArray()))");
        String longHtml = (String) longTable.getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_HTML);
        assertEquals(RichDisplay.MAX_TABLE_ROWS, count(longHtml, "<tr><td>"), "head + tail rows");
        assertTrue(longHtml.contains("80 more rows"), longHtml);
        assertTrue(longHtml.contains("<td>99</td>") && !longHtml.contains("<td>50</td>"));
    }

    @Test
    void chartRendersAsPng() {
        DisplayData data = kernel.eval("""
                var chart = new org.knowm.xchart.XYChartBuilder().width(300).height(200)
                    .title("loss").xAxisTitle("step").yAxisTitle("loss").build();
                chart.addSeries("train", new double[] {1, 2, 3}, new double[] {0.9, 0.5, 0.3});
                chart""");
        String base64 = (String) data.getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.IMAGE_PNG);
        byte[] png = Base64.getDecoder().decode(base64);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
        assertTrue(png.length > 1000, "a real 300x200 image, got " + png.length + " bytes");
        assertEquals("chart: loss (300x200)", data.getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_PLAIN));
    }

    @Test
    void objectWithToHtmlRendersItsHtml() {
        evaluator.eval("public record Report(double acc) { public String toHtml() { return \"<b>\" + acc + \"</b>\"; } }");
        DisplayData data = kernel.eval("new Report(0.5)");
        assertEquals("<b>0.5</b>", data.getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_HTML));
        assertEquals("Report[acc=0.5]", data.getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_PLAIN));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void interruptStopsAnEndlessLoop() throws Exception {
        CompletableFuture<CellException> running = CompletableFuture.supplyAsync(() -> {
            try {
                evaluator.eval("long spins = 0;\nwhile (true) { spins++; }");
                return null;
            } catch (CellException e) {
                return e;
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!evaluator.isRunning() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(evaluator.isRunning(), "the loop should be running");
        kernel.interrupt();
        CellException stopped = running.get(10, TimeUnit.SECONDS);
        assertEquals("Interrupted", stopped.errorName());
        assertTrue((long) evaluator.eval("spins").value() > 0, "the loop ran and its state survives");
        assertEquals(2, evaluator.eval("1 + 1").value());
    }

    @Test
    void magics() {
        Object classPath = kernel.evalRaw("%classpath");
        assertTrue(String.valueOf(classPath).contains("tablesaw-core"), String.valueOf(classPath));
        CellException noJar = assertThrows(CellException.class, () -> kernel.evalRaw("%jars /nonexistent/*.jar"));
        assertTrue(noJar.reportLines().get(0).contains("no .jar file matches"));
        CellException unknown = assertThrows(CellException.class, () -> kernel.evalRaw("%nosuchmagic x"));
        assertTrue(unknown.reportLines().get(0).contains("%maven, %jars and %classpath"));
        // Java before and after a magic line runs in order
        assertEquals(7, kernel.evalRaw("int m1 = 3;\n%classpath\nm1 + 4"));
    }

    @Test
    void displayPublishesAndUpdatesInPlace() {
        List<DisplayData> shown = new ArrayList<>();
        List<DisplayData> updated = new ArrayList<>();
        Notebook.DisplaySink previous = Notebook.install(Notebook.recording(shown::add, updated::add));
        try {
            evaluator.eval("String id = display(\"first\");\nupdateDisplay(id, \"second\");");
            assertEquals(1, shown.size());
            assertEquals(1, updated.size());
            assertEquals(shown.get(0).getDisplayId(), updated.get(0).getDisplayId());
            assertEquals("second", updated.get(0).getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_PLAIN));
        } finally {
            Notebook.install(previous);
        }
    }

    @Test
    void progressIsOneDisplayUpdatedAtMostTwicePerSecond() {
        List<DisplayData> shown = new ArrayList<>();
        List<DisplayData> updated = new ArrayList<>();
        Notebook.DisplaySink previous = Notebook.install(Notebook.recording(shown::add, updated::add));
        try {
            AtomicLong now = new AtomicLong(1_000_000_000L);
            JupyterProgress progress = new JupyterProgress(JupyterProgress.DEFAULT_INTERVAL_NANOS, now::get);
            progress.onStart(100, "SpaRTA");
            for (int step = 1; step <= 100; step++) {
                now.addAndGet(50_000_000L); // 50 ms per step: 5 s in all
                progress.onStep(new StepRecord(step, 0, 1.0 / step, 1e-4, 1.0, 0.05, 100));
            }
            progress.onEnd(100, 5.0);
            assertEquals(1, shown.size(), "one display");
            // step 1, then every 10th step after it (11, 21 ... 91: 0.5 s apart), the last step, the end
            assertEquals(12, updated.size());
            assertTrue(updated.stream().allMatch(d -> progress.displayId().equals(d.getDisplayId())));
            String last = (String) updated.get(updated.size() - 1).getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_PLAIN);
            assertTrue(last.contains("100/100") && last.contains("loss 0.0100") && last.contains("done in 5s"), last);
            String middle = (String) updated.get(5).getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_PLAIN);
            assertTrue(middle.contains("51/100") && middle.contains("ETA 2s"), middle);
        } finally {
            Notebook.install(previous);
        }
    }

    @Test
    void kernelStartupRoutesDslProgressToTheNotebook() {
        try {
            TrainingProgressHook.installJupyterProgress();
            assertTrue(io.github.peft4j.Progress.create() instanceof JupyterProgress);
            assertTrue(io.github.peft4j.Progress.create() != io.github.peft4j.Progress.create(), "one display per run");
        } finally {
            TrainingProgressHook.restoreConsoleProgress();
        }
        assertFalse(io.github.peft4j.Progress.create() instanceof JupyterProgress);
        // the dsl's entry points are imported in every cell
        assertEquals("io.github.peft4j.Peft", evaluator.eval("Peft.class.getName()").value());
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
