package io.github.peft4j.kernel;

import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;
import tech.tablesaw.api.Table;

import javax.imageio.ImageIO;
import java.awt.image.RenderedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Base64;

/**
 * Turns a cell's value into Jupyter display data: a Tablesaw table becomes an HTML table, an
 * XChart chart or an image an inline PNG, any object with a public {@code String toHtml()}
 * (training runs, evaluation results) its HTML, anything else its {@code toString()}.
 */
public final class RichDisplay {

    /** Tables longer than this show their head and tail around an ellipsis row. */
    public static final int MAX_TABLE_ROWS = 20;
    static final int HEAD_ROWS = 15;
    static final int TAIL_ROWS = 5;

    private RichDisplay() {}

    public static DisplayData render(Object value) {
        if (value instanceof DisplayData data) {
            return data;
        }
        DisplayData data = new DisplayData();
        if (value instanceof Table table) {
            data.putHTML(tableHtml(table));
            data.putText(table.print(MAX_TABLE_ROWS));
        } else if (value instanceof Chart<?, ?> chart) {
            data.putData("image/png", base64(pngOf(chart)));
            String title = chart.getTitle();
            data.putText("chart" + (title == null || title.isBlank() ? "" : ": " + title)
                    + " (" + chart.getWidth() + "x" + chart.getHeight() + ")");
        } else if (value instanceof RenderedImage image) {
            data.putData("image/png", base64(pngOf(image)));
            data.putText("image " + image.getWidth() + "x" + image.getHeight());
        } else {
            String html = htmlOf(value);
            if (html != null) {
                data.putHTML(html);
            }
            data.putText(String.valueOf(value));
        }
        return data;
    }

    /** An HTML table with the column types in the header; long tables show head and tail. */
    public static String tableHtml(Table table) {
        StringBuilder html = new StringBuilder("<table class=\"peft4j-table\">");
        if (table.name() != null && !table.name().isBlank()) {
            html.append("<caption>").append(escape(table.name())).append("</caption>");
        }
        html.append("<thead><tr>");
        for (var column : table.columns()) {
            html.append("<th title=\"").append(escape(column.type().name())).append("\">")
                    .append(escape(column.name())).append("</th>");
        }
        html.append("</tr></thead><tbody>");
        int rows = table.rowCount();
        boolean truncated = rows > MAX_TABLE_ROWS;
        for (int row = 0; row < rows; row++) {
            if (truncated && row == HEAD_ROWS) {
                html.append("<tr><td colspan=\"").append(table.columnCount()).append("\">… ")
                        .append(rows - HEAD_ROWS - TAIL_ROWS).append(" more rows …</td></tr>");
                row = rows - TAIL_ROWS;
            }
            html.append("<tr>");
            for (int col = 0; col < table.columnCount(); col++) {
                html.append("<td>").append(escape(table.getString(row, col))).append("</td>");
            }
            html.append("</tr>");
        }
        html.append("</tbody></table>");
        if (truncated) {
            html.append("<p>").append(rows).append(" rows × ").append(table.columnCount()).append(" columns</p>");
        }
        return html.toString();
    }

    static byte[] pngOf(Chart<?, ?> chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("could not encode the chart as PNG", e);
        }
    }

    static byte[] pngOf(RenderedImage image) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ImageIO.write(image, "png", bytes);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("could not encode the image as PNG", e);
        }
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** The result of a public no-argument {@code String toHtml()}, or null if there is none. */
    static String htmlOf(Object value) {
        if (value == null) {
            return null;
        }
        try {
            Method toHtml = value.getClass().getMethod("toHtml");
            if (toHtml.getReturnType() != String.class || Modifier.isStatic(toHtml.getModifiers())) {
                return null;
            }
            toHtml.setAccessible(true); // public method of a possibly non-public class (a cell's record)
            return (String) toHtml.invoke(value);
        } catch (NoSuchMethodException e) {
            return null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // a broken toHtml must not hide the value: text is still shown
        }
    }

    public static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
