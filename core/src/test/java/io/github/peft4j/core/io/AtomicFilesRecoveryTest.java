package io.github.peft4j.core.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The states a kill inside {@link AtomicFiles#writeDirectory} can leave, rebuilt by hand. */
class AtomicFilesRecoveryTest {
    @TempDir
    Path dir;

    @Test
    void killedBetweenTheTwoRenamesThePreviousFolderIsPutBack() throws Exception {
        Path target = dir.resolve("adapter");
        Path aside = dir.resolve(".adapter.old-1234");
        Files.createDirectory(aside);
        Files.writeString(aside.resolve("adapter_config.json"), "{\"v\":1}");
        Path halfWritten = dir.resolve(".adapter.5678.tmp");
        Files.createDirectory(halfWritten);

        assertTrue(AtomicFiles.recoverDirectory(target));
        assertEquals("{\"v\":1}", Files.readString(target.resolve("adapter_config.json")));
        assertFalse(Files.exists(aside));
    }

    @Test
    void staleAsideFoldersAreRemovedWhenTheTargetIsWhole() throws Exception {
        Path target = dir.resolve("adapter");
        Files.createDirectory(target);
        Files.writeString(target.resolve("adapter_config.json"), "{\"v\":2}");
        Path aside = dir.resolve(".adapter.old-1234");
        Files.createDirectory(aside);
        Files.writeString(aside.resolve("adapter_config.json"), "{\"v\":1}");

        assertFalse(AtomicFiles.recoverDirectory(target));
        assertEquals("{\"v\":2}", Files.readString(target.resolve("adapter_config.json")));
        assertFalse(Files.exists(aside));
    }

    @Test
    void nextSaveAfterAKillStartsFromTheRecoveredState() throws Exception {
        Path target = dir.resolve("adapter");
        Path aside = dir.resolve(".adapter.old-1");
        Files.createDirectory(aside);
        Files.writeString(aside.resolve("a.txt"), "old");
        AtomicFiles.writeDirectory(target, tmp -> Files.writeString(tmp.resolve("a.txt"), "new"));
        assertEquals("new", Files.readString(target.resolve("a.txt")));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count(), "only the target remains");
        }
    }
}
