package io.github.peft4j.dsl.results;

import io.github.peft4j.Plots;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.train.StepRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ResultsDisplayTest {
    @TempDir
    Path dir;

    @Test
    void historyTableAndLossPlotPng() throws Exception {
        History history = new History();
        for (int s = 1; s <= 50; s++) {
            history.onStep(new StepRecord(s, s / 20, 1.0 / s, 1e-3, 0.5, s * 0.1, 50));
        }
        Table t = history.table();
        assertEquals(List.of("step", "epoch", "loss", "lr", "grad_norm", "seconds"), t.columnNames());
        assertEquals(50, t.rowCount());
        assertEquals(0.02, t.doubleColumn("loss").getDouble(49), 1e-12);
        Plots.LineChart chart = Plots.lossCurve(t, "loss");
        assertEquals("optimizer step", chart.getXAxisTitle());
        assertEquals(2, chart.getSeriesCollection().size());
        Path png = chart.save(dir.resolve("sub/loss.png"));
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(800, image.getWidth());
        assertEquals(500, image.getHeight());
        assertThrows(InvalidArgumentException.class, () -> Plots.lossCurve(new History().table(), "x"));
    }

    @Test
    void emaIsBiasCorrected() {
        Table t = Table.create("r",
                tech.tablesaw.api.DoubleColumn.create("density", 0.001, 0.01, 0.001, 0.01),
                tech.tablesaw.api.DoubleColumn.create("accuracy", 0.8, 0.9, 0.6, 0.7),
                tech.tablesaw.api.StringColumn.create("method", "sparta", "sparta", "sparta", "sparta"));
        Plots.LineChart sweep = Plots.densitySweep(t, "accuracy");
        var series = sweep.getSeries("sparta");
        assertArrayEquals(new double[] {0.7, 0.8}, series.getYData(), 1e-12); // mean over repeats
        assertTrue(sweep.getStyler().isXAxisLogarithmic());
    }

    @Test
    void progressPrintsPeriodicLinesWhenNotATerminal() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConsoleProgress p = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        p.onStart(100, "sparse-random: trainable 10 of 100");
        for (int s = 1; s <= 100; s++) {
            p.onStep(new StepRecord(s, 0, 0.5, 1e-3, 1, s * 0.01, 100));
        }
        p.onEnd(100, 1.0);
        String out = bytes.toString(StandardCharsets.UTF_8);
        String[] lines = out.split("\n");
        assertEquals("sparse-random: trainable 10 of 100", lines[0]);
        // first step and last step only (the loop is faster than the 5 s interval), then the summary
        assertEquals(4, lines.length, out);
        assertTrue(lines[1].contains("step 1/100"), lines[1]);
        assertTrue(lines[2].contains("step 100/100") && lines[2].contains("loss 0.5000"), lines[2]);
        assertFalse(out.contains("\r"));
    }
}
