package io.github.peft4j.dsl.data;

import io.github.peft4j.Datasets;
import io.github.peft4j.TextDataset;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.Peft4jException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class DatasetsTest {
    @TempDir
    Path dir;

    @Test
    void csvWithQuotedCommasNewlinesAndStringLabels() throws Exception {
        Path csv = dir.resolve("reviews.csv");
        Files.writeString(csv, "body,sentiment\n\"good, really\nvery good\",pos\nbad,neg\nfine,pos\n");
        TextDataset data = Datasets.fromCsv(csv, Columns.classification("body", "sentiment"));
        assertEquals(3, data.size());
        assertEquals("good, really\nvery good", data.texts().get(0));
        // sorted order: neg=0, pos=1
        assertEquals(List.of("neg", "pos"), data.labelMap().names());
        assertArrayEquals(new int[] {1, 0, 1}, data.labelIds());
        assertTrue(data.toString().contains("neg=0, pos=1"), data.toString());
    }

    @Test
    void jsonlTypesAndIntegerLabels() throws Exception {
        Path jsonl = dir.resolve("d.jsonl");
        Files.writeString(jsonl, "{\"text\":\"a\",\"label\":2}\n\n{\"text\":\"b\",\"label\":0,\"extra\":[1]}\n");
        TextDataset data = Datasets.fromJsonl(jsonl);
        assertEquals(2, data.size());
        assertEquals(3, data.numLabels()); // ids 0..2
        assertArrayEquals(new int[] {2, 0}, data.labelIds());
        assertTrue(data.table().column("extra").isMissing(0));
        assertEquals("[1]", data.table().column("extra").getString(1));
    }

    @Test
    void badJsonlNamesFileAndLine() throws Exception {
        Path jsonl = dir.resolve("bad.jsonl");
        Files.writeString(jsonl, "{\"text\":\"a\",\"label\":1}\n{oops\n");
        FileFormatException e = assertThrows(FileFormatException.class, () -> Datasets.fromJsonl(jsonl));
        assertTrue(e.getMessage().contains("bad.jsonl") && e.getMessage().contains("line 2"), e.getMessage());
        assertThrows(FileFormatException.class, () -> Datasets.fromCsv(dir.resolve("missing.csv")));
    }

    @Test
    void missingColumnListsAvailableOnes() {
        Table t = Table.create("t", StringColumn.create("body", "x", "y"), IntColumn.create("y", 0, 1));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> Datasets.fromTable(t));
        assertTrue(e.getMessage().contains("'text'") && e.getMessage().contains("[body, y]"), e.getMessage());
        TextDataset ok = Datasets.fromTable(t, Columns.classification("body", "y"));
        assertEquals(2, ok.numLabels());
        assertEquals(ok.size(), ok.text("body").size());
    }

    @Test
    void emptyTableAndBadLabelsAreRejected() {
        Table empty = Table.create("empty", StringColumn.create("text"), IntColumn.create("label"));
        assertTrue(assertThrows(Peft4jException.class, () -> Datasets.fromTable(empty)).getMessage().contains("no rows"));
        Table fractional = Table.create("f", StringColumn.create("text", "a", "b"), DoubleColumn.create("label", 0.0, 0.5));
        assertTrue(assertThrows(Peft4jException.class, () -> Datasets.fromTable(fractional)).getMessage().contains("0.5"));
        Table negative = Table.create("n", StringColumn.create("text", "a"), IntColumn.create("label", new int[] {-1}));
        assertThrows(Peft4jException.class, () -> Datasets.fromTable(negative));
        Table missing = Table.create("m", StringColumn.create("text", "a", "b"), StringColumn.create("label", "x", null));
        assertTrue(assertThrows(Peft4jException.class, () -> Datasets.fromTable(missing)).getMessage().contains("row 1"));
        assertThrows(Peft4jException.class, () -> Datasets.fromLists(List.of("a"), List.of(1.5)));
        assertThrows(Peft4jException.class, () -> Datasets.fromLists(List.of("a", "b"), List.of(1)));
        assertThrows(Peft4jException.class, () -> Datasets.fromLists(List.of(), List.of()));
    }

    @Test
    void listsWithIntegerAndStringLabelsAndPairs() {
        TextDataset ints = Datasets.fromLists(List.of("a", "b", "c"), List.of(1, 0, 1));
        assertArrayEquals(new int[] {1, 0, 1}, ints.labelIds());
        assertTrue(ints.labelMap().isInteger());
        TextDataset strings = Datasets.fromLists(List.of("a", "b", "c"), List.of("spam", "ham", "eggs"));
        assertEquals(List.of("eggs", "ham", "spam"), strings.labelMap().names());
        assertArrayEquals(new int[] {2, 1, 0}, strings.labelIds());
        TextDataset pairs = Datasets.fromLists(List.of("a", "b"), List.of("x", "y"), List.of(0, 1));
        assertEquals(List.of("x", "y"), pairs.textPairs());
    }

    @Test
    void unknownLabelAgainstATrainedMappingIsClear() {
        TextDataset train = Datasets.fromLists(List.of("a", "b"), List.of("ham", "spam"));
        TextDataset other = Datasets.fromLists(List.of("c"), List.of("eggs"));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> other.labelIds(train.labelMap()));
        assertTrue(e.getMessage().contains("eggs") && e.getMessage().contains("[ham, spam]"), e.getMessage());
    }

    @Test
    void stratifiedSplitIsDeterministicAndKeepsClassShares() {
        List<String> texts = new java.util.ArrayList<>();
        List<Integer> labels = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            texts.add("t" + i);
            labels.add(i < 30 ? 1 : 0); // 30 positives, 70 negatives
        }
        TextDataset data = Datasets.fromLists(texts, labels);
        TextDataset.Split a = data.split(0.8, 7);
        TextDataset.Split b = data.split(0.8, 7);
        TextDataset.Split c = data.split(0.8, 8);
        assertEquals(80, a.train().size());
        assertEquals(20, a.test().size());
        assertArrayEquals(new long[] {56, 24}, a.train().labelCounts());
        assertArrayEquals(new long[] {14, 6}, a.test().labelCounts());
        assertEquals(a.train().texts(), b.train().texts());
        assertNotEquals(a.train().texts(), c.train().texts());
        // disjoint and complete
        java.util.Set<String> all = new java.util.HashSet<>(a.train().texts());
        all.addAll(a.test().texts());
        assertEquals(100, all.size());
        assertEquals(0.7, data.majorityRate(), 1e-12);
        assertThrows(InvalidArgumentException.class, () -> data.split(1.0, 7));
        TextDataset sample = data.sample(10, 3);
        assertArrayEquals(new long[] {7, 3}, sample.labelCounts());
    }

    @Test
    void builtInDatasetsLoad() {
        TextDataset spam = Datasets.spamAssassin();
        assertEquals(6045, spam.size());
        assertArrayEquals(new long[] {4150, 1895}, spam.labelCounts());
        assertTrue(spam.texts().stream().allMatch(t -> !t.isEmpty() && t.length() <= 1000));
        TextDataset brown = Datasets.brownGenres();
        assertEquals(4000, brown.size());
        assertEquals(List.of("fiction", "general", "learned", "press"), brown.labelMap().names());
        assertEquals("[1008, 1408, 880, 704]", Arrays.toString(brown.labelCounts()));
        assertThrows(InvalidArgumentException.class, () -> Datasets.builtIn("imdb"));
    }
}
