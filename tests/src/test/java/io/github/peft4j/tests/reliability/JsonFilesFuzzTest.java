package io.github.peft4j.tests.reliability;

import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.io.TextTokenizer;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile config.json (through {@code Models.load}) and tokenizer.json (through
 * {@code TextTokenizer.load}, then an encode, since the native library may only trip when used):
 * each case loads or throws a Peft4jException, within the harness's time and allocation bounds.
 */
class JsonFilesFuzzTest {
    static final long TIMEOUT_MS = 20_000;
    static final long MAX_ALLOC_MB = 256;

    @TempDir
    Path dir;

    @Test
    void mutatedConfigJsonLoadsOrFailsCleanly() throws Exception {
        Path model = TinyFixtures.copy(TinyFixtures.bertFolder(), dir.resolve("model"));
        String valid = Files.readString(model.resolve("config.json"));
        int cases = FuzzHarness.cases(400);
        try (FuzzHarness fuzz = new FuzzHarness("config", TIMEOUT_MS, MAX_ALLOC_MB << 20)) {
            for (int i = 0; i < cases; i++) {
                long seed = 0xC0F1_0000L + i;
                String mutated = JsonMutator.mutate(valid, new Random(seed));
                Files.write(model.resolve("config.json"), mutated.getBytes(StandardCharsets.ISO_8859_1));
                fuzz.run("config.json seed=" + seed, () -> {
                    try (Model m = Models.load(model)) {
                        // Loaded: the weights must be the real ones, whatever fields were changed.
                        assertTrue(m.parameters().totalCount() > 0);
                    }
                });
            }
            fuzz.assertClean();
            assertTrue(fuzz.rejected() > 0 && fuzz.loaded() > 0, fuzz.report());
        }
    }

    /** A sharded index may only name files inside the model folder. */
    @Test
    void shardIndexCannotEscapeTheModelFolder() throws Exception {
        Path model = TinyFixtures.copy(TinyFixtures.bertFolder(), dir.resolve("escape/model"));
        Files.move(model.resolve("model.safetensors"), dir.resolve("escape/outside.safetensors"));
        for (String shard : List.of("../outside.safetensors", dir.resolve("escape/outside.safetensors").toString(),
                "sub/../../outside.safetensors")) {
            Files.writeString(model.resolve("model.safetensors.index.json"),
                    "{\"weight_map\":{\"classifier.weight\":" + JsonMutator.write(java.util.Map.of("x", shard)).substring(5) + "}");
            FileFormatException e = assertThrows(FileFormatException.class, () -> Models.load(model), shard);
            assertTrue(e.getMessage().contains("not a file in"), e.getMessage());
        }
    }

    @Test
    void mutatedTokenizerJsonLoadsOrFailsCleanly() throws Exception {
        Path file = dir.resolve("tokenizer.json");
        String valid = TinyFixtures.tokenizerJson();
        Files.writeString(file, valid);
        long[] expected;
        try (TextTokenizer t = TextTokenizer.load(file)) {
            expected = t.encode("the cat sat on the mat").ids();
        }
        assertArrayEquals(new long[] {2, 5, 6, 7, 8, 5, 9, 3}, expected, "the seed tokenizer itself must work");
        int cases = FuzzHarness.cases(400);
        try (FuzzHarness fuzz = new FuzzHarness("tokenizer", TIMEOUT_MS, MAX_ALLOC_MB << 20)) {
            for (int i = 0; i < cases; i++) {
                long seed = 0x70CE_0000L + i;
                String mutated = JsonMutator.mutate(valid, new Random(seed));
                Files.write(file, mutated.getBytes(StandardCharsets.ISO_8859_1));
                fuzz.run("tokenizer.json seed=" + seed, () -> {
                    try (TextTokenizer t = TextTokenizer.load(file, 16)) {
                        TextTokenizer.Encoded e = t.encode("the cats sat on a mat, running!");
                        assertEquals(e.ids().length, e.attentionMask().length);
                        assertTrue(e.ids().length <= 16);
                        t.decode(e.ids());
                    }
                });
            }
            fuzz.assertClean();
            assertTrue(fuzz.rejected() > 0 && fuzz.loaded() > 0, fuzz.report());
        }
    }
}
