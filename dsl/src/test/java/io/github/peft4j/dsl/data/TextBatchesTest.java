package io.github.peft4j.dsl.data;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.Datasets;
import io.github.peft4j.TextDataset;
import io.github.peft4j.core.models.Batch;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class TextBatchesTest {

    private static List<Example> examples(int n) {
        WordTokenizer tok = new WordTokenizer();
        List<String> texts = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            texts.add("w ".repeat(1 + i % 7) + "end" + i);
            labels.add(i % 2);
        }
        TextDataset data = Datasets.fromLists(texts, labels);
        return Encoder.classification(data, data.labelMap(), tok, 6);
    }

    @Test
    void padsRightAndRespectsMaxLength() {
        List<Example> ex = examples(10);
        assertTrue(ex.stream().allMatch(e -> e.length() <= 6));
        assertEquals(2L, ex.get(6).ids()[5], "truncation keeps the final [SEP]");
        TextBatches batches = TextBatches.inference(ex, 4, 0, true);
        assertEquals(3, batches.batchesPerEpoch());
        try (NDManager m = NDManager.newBaseManager()) {
            for (int b = 0; b < 3; b++) {
                Batch batch = batches.batch(0, b, m);
                int[] rows = batches.rows(0, b);
                long width = batch.length();
                assertEquals(Arrays.stream(rows).map(r -> ex.get(r).length()).max().getAsInt(), width);
                long[] ids = batch.inputIds().toLongArray();
                long[] mask = batch.attentionMask().toLongArray();
                long[] labels = batch.labels().toLongArray();
                for (int i = 0; i < rows.length; i++) {
                    Example e = ex.get(rows[i]);
                    assertEquals(e.label(), labels[i]);
                    for (int t = 0; t < width; t++) {
                        long expectedId = t < e.length() ? e.ids()[t] : 0;
                        assertEquals(expectedId, ids[(int) (i * width + t)]);
                        assertEquals(t < e.length() ? 1 : 0, mask[(int) (i * width + t)]);
                    }
                }
            }
        }
    }

    @Test
    void inferenceOrderIsSortedByLengthAndCoversEveryRowOnce() {
        List<Example> ex = examples(23);
        TextBatches batches = TextBatches.inference(ex, 5, 0, false);
        List<Integer> seen = new ArrayList<>();
        int previousLength = 0;
        for (int b = 0; b < batches.batchesPerEpoch(); b++) {
            for (int r : batches.rows(0, b)) {
                assertTrue(ex.get(r).length() >= previousLength);
                previousLength = ex.get(r).length();
                seen.add(r);
            }
        }
        assertEquals(23, new HashSet<>(seen).size());
        assertEquals(23, seen.size());
    }

    @Test
    void shufflingIsDeterministicBySeedAndChangesPerEpoch() {
        List<Example> ex = examples(500);
        TextBatches a = TextBatches.training(ex, 8, 7, 0, false);
        TextBatches b = TextBatches.training(ex, 8, 7, 0, false);
        TextBatches c = TextBatches.training(ex, 8, 8, 0, false);
        assertArrayEquals(a.rows(0, 0), b.rows(0, 0));
        assertArrayEquals(a.rows(1, 5), b.rows(1, 5));
        assertFalse(Arrays.equals(a.rows(0, 0), c.rows(0, 0)));
        assertFalse(Arrays.equals(a.rows(0, 0), a.rows(1, 0)));
        Set<Integer> all = new HashSet<>();
        int padding = 0;
        for (int i = 0; i < a.batchesPerEpoch(); i++) {
            int[] rows = a.rows(2, i);
            int max = Arrays.stream(rows).map(r -> ex.get(r).length()).max().getAsInt();
            for (int r : rows) {
                all.add(r);
                padding += max - ex.get(r).length();
            }
        }
        assertEquals(500, all.size());
        // bucketing by length: far less padding than a random order (lengths 3..6 here)
        assertTrue(padding < 100, "padding tokens " + padding);
    }

    @Test
    void promptCompletionMasksPromptAndPadding() {
        WordTokenizer tok = new WordTokenizer();
        TextDataset data = Datasets.promptCompletion(List.of("say hi", "count to three please"), List.of(" hi", " one two three"));
        List<Example> ex = Encoder.causalLM(data, tok, 16);
        // "[CLS] say hi [SEP]" alone vs joined "[CLS] say hi hi [SEP]" + eos: the shared prefix (3) is masked
        Example first = ex.get(0);
        assertEquals(6, first.length());
        assertArrayEquals(new long[] {-100, -100, -100, first.ids()[3], 2, 3}, first.tokenLabels());
        TextBatches batches = TextBatches.inference(ex, 2, 0, false);
        try (NDManager m = NDManager.newBaseManager()) {
            Batch batch = batches.batch(0, 0, m);
            long[] labels = batch.labels().toLongArray();
            assertEquals(2 * batch.length(), labels.length);
            int[] rows = batches.rows(0, 0);
            int shortRow = ex.get(rows[0]).length() < ex.get(rows[1]).length() ? 0 : 1;
            long width = batch.length();
            for (int t = ex.get(rows[shortRow]).length(); t < width; t++) {
                assertEquals(-100, labels[(int) (shortRow * width + t)]);
            }
            long targets = Arrays.stream(labels).filter(l -> l != -100).count();
            assertEquals(3 + 5, targets); // hi [SEP] eos | one two three [SEP] eos
        }
    }
}
