package io.github.peft4j.kernel;

import org.dflib.jjava.jupyter.kernel.display.DisplayData;

import java.util.UUID;
import java.util.function.Consumer;

/**
 * Functions every cell can call (statically imported by the kernel): {@code display(x)} shows
 * {@code x} now, {@code updateDisplay(id, x)} replaces an earlier display in place. Same names
 * and shapes as IJava/JJava's, so notebooks run under either kernel.
 */
public final class Notebook {

    /** Where displays go: the Jupyter connection in the kernel, a list in tests. */
    public interface DisplaySink {
        void display(DisplayData data);

        void update(DisplayData data);
    }

    private static volatile DisplaySink sink;

    private Notebook() {}

    /** Installs the sink and returns the one it replaced (null if none). */
    public static DisplaySink install(DisplaySink newSink) {
        DisplaySink previous = sink;
        sink = newSink;
        return previous;
    }

    /** True inside a running kernel that can show displays. */
    public static boolean attached() {
        return sink != null;
    }

    /** Shows {@code value} (table, chart, HTML-capable object, text) and returns its display id. */
    public static String display(Object value) {
        DisplayData data = RichDisplay.render(value);
        String id = data.hasDisplayId() ? data.getDisplayId() : UUID.randomUUID().toString();
        data.setDisplayId(id);
        publish(data, false);
        return id;
    }

    /** Replaces the display {@code id} (returned by {@link #display}) with {@code value}. */
    public static void updateDisplay(String id, Object value) {
        DisplayData data = RichDisplay.render(value);
        data.setDisplayId(id);
        publish(data, true);
    }

    /** Wraps HTML so that a cell ending in {@code html("<b>hi</b>")} renders it. */
    public static DisplayData html(String html) {
        DisplayData data = new DisplayData();
        data.putHTML(html);
        data.putText(html.replaceAll("<[^>]*>", ""));
        return data;
    }

    /** Wraps Markdown text for display. */
    public static DisplayData markdown(String markdown) {
        DisplayData data = new DisplayData(markdown);
        data.putMarkdown(markdown);
        return data;
    }

    static void publish(DisplayData data, boolean update) {
        DisplaySink current = sink;
        if (current == null) {
            // Outside a kernel (plain JShell, tests): fall back to text on stdout.
            Object text = data.getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_PLAIN);
            if (!update && text != null) {
                System.out.println(text);
            }
            return;
        }
        if (update) {
            current.update(data);
        } else {
            current.display(data);
        }
    }

    /** A sink that records what was shown (tests and headless runs). */
    public static DisplaySink recording(Consumer<DisplayData> shown, Consumer<DisplayData> updated) {
        return new DisplaySink() {
            @Override
            public void display(DisplayData data) {
                shown.accept(data);
            }

            @Override
            public void update(DisplayData data) {
                updated.accept(data);
            }
        };
    }
}
