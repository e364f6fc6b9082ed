package io.github.peft4j.core.io;

import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.InvalidArgumentException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Expected ids come from the Python `tokenizers` library on the same tokenizer.json. */
class TextTokenizerTest {
    static Path dir;
    static Path json;
    static TextTokenizer tok;

    static final long[] FOX = {101, 1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 1012, 102};

    @BeforeAll
    static void extract() throws IOException {
        dir = Files.createTempDirectory("peft4j-tok");
        json = dir.resolve("tokenizer.json");
        try (InputStream in = TextTokenizerTest.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, json);
        }
        tok = TextTokenizer.load(json);
    }

    @AfterAll
    static void cleanup() throws IOException {
        tok.close();
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void encodesLikePythonTokenizers() {
        TextTokenizer.Encoded e = tok.encode("The quick brown fox jumps over the lazy dog.");
        assertArrayEquals(FOX, e.ids());
        assertArrayEquals(ones(12), e.attentionMask());
        assertArrayEquals(new long[12], e.typeIds());
    }

    @Test
    void encodesPairsWithTypeIds() {
        TextTokenizer.Encoded e = tok.encode("Is it raining?", "No, it is sunny.");
        assertArrayEquals(new long[] {101, 2003, 2009, 24057, 1029, 102, 2053, 1010, 2009, 2003, 11559, 1012, 102}, e.ids());
        assertArrayEquals(new long[] {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1}, e.typeIds());
    }

    @Test
    void truncatesToMaxLengthKeepingSpecialTokens() {
        try (TextTokenizer shortTok = TextTokenizer.load(json, 8)) {
            assertArrayEquals(new long[] {101, 1996, 4248, 2829, 4419, 14523, 2058, 102},
                    shortTok.encode("The quick brown fox jumps over the lazy dog.").ids());
            TextTokenizer.Encoded pair = shortTok.encode("one two three four five six", "seven");
            assertEquals(8, pair.length());
        }
    }

    @Test
    void batchIsPaddedToLongestNotToTheFilesFixed128() {
        TextTokenizer.EncodedBatch b = tok.encodeBatch(List.of("The quick brown fox jumps over the lazy dog.", "short"));
        assertEquals(2, b.size());
        assertEquals(12, b.length()); // the file itself says pad to a fixed 128
        assertArrayEquals(FOX, b.ids()[0]);
        assertArrayEquals(new long[] {101, 2460, 102, 0, 0, 0, 0, 0, 0, 0, 0, 0}, b.ids()[1]);
        assertArrayEquals(new long[] {1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, b.attentionMask()[1]);

        TextTokenizer.EncodedBatch left = tok.encodeBatch(List.of("The quick brown fox jumps over the lazy dog.", "short"),
                TextTokenizer.Padding.LEFT);
        assertArrayEquals(FOX, left.ids()[0]);
        assertArrayEquals(new long[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 101, 2460, 102}, left.ids()[1]);
        assertArrayEquals(new long[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1}, left.attentionMask()[1]);

        TextTokenizer.EncodedBatch pairs = tok.encodeBatch(List.of("a", "Is it raining?"), List.of("b", "No, it is sunny."));
        assertEquals(13, pairs.length());
        assertEquals(1, pairs.typeIds()[0][3]); // "b" is the second segment
        assertEquals(0, pairs.typeIds()[0][5]); // padding has type 0
    }

    @Test
    void decodesAndReportsSpecialTokens() {
        long[] ids = tok.encode("Unbelievably, the café's naïve résumé").ids();
        assertEquals("unbelievably, the cafe ' s naive resume", tok.decode(ids));
        assertTrue(tok.decodeWithSpecialTokens(ids).startsWith("[CLS]"));
        assertEquals(0, tok.padId());
        assertTrue(tok.hasPadToken());
        assertEquals("[PAD]", tok.padToken());
        assertEquals(101L, tok.specialTokens().get("[CLS]"));
        assertEquals(102L, tok.specialTokens().get("[SEP]"));
        assertEquals(List.of("un", "##bel", "##ie", "##va", "##bly"), tok.tokens("Unbelievably"));
    }

    @Test
    void concurrentEncodingGivesSameIds() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<long[]>> results = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                results.add(pool.submit(() -> tok.encode("The quick brown fox jumps over the lazy dog.").ids()));
            }
            for (Future<long[]> f : results) {
                assertArrayEquals(FOX, f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void brokenFilesAreFileFormatExceptions(@TempDir Path tmp) throws IOException {
        byte[] good = Files.readAllBytes(json);
        Path truncated = tmp.resolve("truncated.json");
        Files.write(truncated, Arrays.copyOf(good, good.length / 2));
        FileFormatException e1 = assertThrows(FileFormatException.class, () -> TextTokenizer.load(truncated));
        assertTrue(e1.getMessage().contains("truncated.json"), e1.getMessage());

        Path garbage = tmp.resolve("garbage.json");
        byte[] noise = new byte[4096];
        new java.util.Random(7).nextBytes(noise);
        Files.write(garbage, noise);
        assertThrows(FileFormatException.class, () -> TextTokenizer.load(garbage));

        Path wrongSchema = tmp.resolve("wrong.json");
        Files.writeString(wrongSchema, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": 7}}", StandardCharsets.UTF_8);
        FileFormatException e3 = assertThrows(FileFormatException.class, () -> TextTokenizer.load(wrongSchema));
        assertTrue(e3.getMessage().contains("tokenizers library rejected"), e3.getMessage());

        Path notTokenizer = tmp.resolve("config.json");
        Files.writeString(notTokenizer, "{\"hidden_size\": 384}");
        FileFormatException e4 = assertThrows(FileFormatException.class, () -> TextTokenizer.load(notTokenizer));
        assertTrue(e4.getMessage().contains("'model'"), e4.getMessage());

        assertThrows(FileFormatException.class, () -> TextTokenizer.load(tmp.resolve("missing.json")));
        assertFalse(Files.exists(tmp.resolve("missing.json")));
        assertThrows(InvalidArgumentException.class, () -> TextTokenizer.load(json, 1));
    }

    @Test
    void loadsFromAModelFolder() {
        try (TextTokenizer t = TextTokenizer.load(dir)) {
            assertArrayEquals(FOX, t.encode("The quick brown fox jumps over the lazy dog.").ids());
        }
    }

    private static long[] ones(int n) {
        long[] a = new long[n];
        Arrays.fill(a, 1);
        return a;
    }
}
