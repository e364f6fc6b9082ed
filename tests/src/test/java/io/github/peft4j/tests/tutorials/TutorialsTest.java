package io.github.peft4j.tests.tutorials;

import io.github.peft4j.kernel.CellException;
import io.github.peft4j.kernel.JavaEvaluator;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs every {@code ```java} block of {@code tutorials/*.md}, in order, in one JShell session per
 * tutorial (the kernel's evaluator, with this module's class path), so code copied from a tutorial
 * works. A block whose fence says {@code ```java no-run} is shown but not executed.
 */
class TutorialsTest {

    static final Path TUTORIALS = Path.of(System.getProperty("peft4j.tutorials", "../tutorials"));

    /** A code block and the line of its opening fence, for error messages. */
    record Block(Path file, int line, String code) {}

    static List<Block> javaBlocks(Path markdown) throws IOException {
        List<String> lines = Files.readAllLines(markdown);
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String fence = lines.get(i).strip();
            if (!fence.startsWith("```")) {
                continue;
            }
            String info = fence.substring(3).strip();
            int start = i;
            StringBuilder code = new StringBuilder();
            for (i++; i < lines.size() && !lines.get(i).strip().equals("```"); i++) {
                code.append(lines.get(i)).append('\n');
            }
            if (i == lines.size()) {
                throw new IllegalStateException(markdown + ":" + (start + 1) + ": code block is never closed");
            }
            if (info.equals("java")) {
                blocks.add(new Block(markdown, start + 1, code.toString()));
            }
        }
        return blocks;
    }

    @TestFactory
    Stream<DynamicTest> everyTutorialRuns() throws IOException {
        List<Path> tutorials;
        try (Stream<Path> files = Files.list(TUTORIALS)) {
            // -Dpeft4j.tutorial=name.md runs one tutorial (while writing it)
            String only = System.getProperty("peft4j.tutorial", "");
            tutorials = files.filter(f -> f.toString().endsWith(".md"))
                    .filter(f -> only.isEmpty() || f.getFileName().toString().equals(only))
                    .sorted().toList();
        }
        assertFalse(tutorials.isEmpty(), "no tutorials found in " + TUTORIALS.toAbsolutePath());
        return tutorials.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> run(file)));
    }

    private static void run(Path file) throws IOException {
        List<Block> blocks = javaBlocks(file);
        assertFalse(blocks.isEmpty(), file + " has no ```java blocks");
        try (JavaEvaluator jshell = new JavaEvaluator()) {
            for (Block block : blocks) {
                try {
                    jshell.eval(block.code());
                } catch (CellException e) {
                    fail(file.getFileName() + " line " + block.line() + ": " + e.errorName() + ": " + e.getMessage()
                            + "\n" + String.join("\n", e.reportLines()) + "\n--- block ---\n" + block.code(), e);
                }
            }
        }
    }

    @Test
    void blocksAreFoundWithTheirLines() throws IOException {
        Path md = Files.createTempFile("tutorial", ".md");
        Files.writeString(md, "# T\n\n```java\nint a = 1;\n```\n\n```xml\n<x/>\n```\n```java no-run\nboom();\n```\n```java\na + 1\n```\n");
        List<Block> blocks = javaBlocks(md);
        assertEquals(2, blocks.size());
        assertEquals(3, blocks.get(0).line());
        assertEquals("int a = 1;\n", blocks.get(0).code());
        assertEquals(13, blocks.get(1).line());
        try (JavaEvaluator jshell = new JavaEvaluator()) {
            jshell.eval(blocks.get(0).code());
            assertEquals(2, jshell.eval(blocks.get(1).code()).value());
        }
        Files.writeString(md, "```java\nint unclosed;\n");
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> javaBlocks(md))
                .getMessage().contains(":1: code block is never closed"));
    }
}
