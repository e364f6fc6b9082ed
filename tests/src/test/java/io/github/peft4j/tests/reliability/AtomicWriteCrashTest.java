package io.github.peft4j.tests.reliability;

import io.github.peft4j.core.io.AtomicFiles;
import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kills (SIGKILL) a child JVM at random moments while it saves over an existing good file or folder,
 * then checks that what sits under the real name is a whole version (old or new, never a mix or a
 * torn file) and at least as new as the last save the child reported finished.
 */
class AtomicWriteCrashTest {
    private static final int KILLS = Integer.getInteger("peft4j.crash.kills", 8);
    private static final int MEGABYTES = 24;

    @TempDir
    Path dir;

    @Test
    void killedWhileSavingASafetensorsFileLeavesAWholeVersion() throws Exception {
        Path target = dir.resolve("model.safetensors");
        SafeTensors.write(target, CrashWriterMain.version(0, 1024), Map.of("version", "0"));
        Random rnd = new Random(11);
        List<Integer> seen = new ArrayList<>();
        for (int k = 0; k < KILLS; k++) {
            int acknowledged = runAndKill("file", target, k % 3, rnd.nextInt(400));
            int version = checkFile(target);
            assertTrue(version >= acknowledged, "save " + acknowledged + " had returned but the file holds " + version);
            seen.add(version);
            assertOnlyTempLeftovers(target);
        }
        System.out.println("file versions found after each kill: " + seen + ", torn temp files left aside: " + leftovers(target));
        assertTrue(seen.stream().distinct().count() >= 2, "kills should land both before and after saves: " + seen);
        assertTrue(leftovers(target) > 0, "no kill landed in the middle of a save; the test proved nothing");
    }

    @Test
    void killedWhileSavingAnAdapterFolderLeavesAWholeVersion() throws Exception {
        Path target = dir.resolve("adapter");
        AtomicFiles.writeDirectory(target, tmp -> {
            SafeTensors.write(tmp.resolve("adapter_model.safetensors"), CrashWriterMain.version(0, 1024), Map.of("version", "0"));
            Files.writeString(tmp.resolve("adapter_config.json"), "{\"version\": 0}");
        });
        Random rnd = new Random(12);
        List<Integer> seen = new ArrayList<>();
        for (int k = 0; k < KILLS; k++) {
            int acknowledged = runAndKill("dir", target, k % 3, rnd.nextInt(400));
            // A kill between the two renames leaves the previous folder aside; recovery puts it back.
            AtomicFiles.recoverDirectory(target);
            int tensors = checkFile(target.resolve("adapter_model.safetensors"));
            String config = Files.readString(target.resolve("adapter_config.json"));
            assertEquals("{\"version\": " + tensors + "}", config, "config and tensors come from different saves");
            assertTrue(tensors >= acknowledged, "save " + acknowledged + " had returned but the folder holds " + tensors);
            seen.add(tensors);
            assertOnlyTempLeftovers(target);
        }
        System.out.println("folder versions found after each kill: " + seen + ", torn temp folders left aside: " + leftovers(target));
        assertTrue(seen.stream().distinct().count() >= 2, "kills should land both before and after saves: " + seen);
        assertTrue(leftovers(target) > 0, "no kill landed in the middle of a save; the test proved nothing");
    }

    /**
     * Starts the writer, waits until it reports {@code afterSaves} finished saves (0: started), lets
     * it run {@code delayMs} more and kills it; returns its last finished save.
     */
    private int runAndKill(String mode, Path target, int afterSaves, int delayMs) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                CrashWriterMain.class.getName(), mode, target.toString(), Integer.toString(MEGABYTES));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        AtomicInteger lastSaved = new AtomicInteger(-1);
        StringBuilder output = new StringBuilder();
        Object ready = new Object();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("saved ") || line.equals("ready")) {
                        lastSaved.set(line.equals("ready") ? 0 : Integer.parseInt(line.substring(6)));
                        synchronized (ready) {
                            ready.notifyAll();
                        }
                    } else {
                        output.append(line).append('\n');
                    }
                }
            } catch (java.io.IOException ignored) {
                // the stream closes when the child is killed
            }
        });
        long deadline = System.currentTimeMillis() + 60_000;
        synchronized (ready) {
            reader.start();
            while (lastSaved.get() < afterSaves && p.isAlive() && System.currentTimeMillis() < deadline) {
                ready.wait(1_000);
            }
        }
        Thread.sleep(delayMs);
        p.destroyForcibly();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child did not die");
        reader.join(5_000);
        assertTrue(output.length() == 0, "child wrote unexpected output:\n" + output);
        assertEquals(137, p.exitValue(), "the child must have been killed, not have ended by itself");
        return lastSaved.get();
    }

    /** The file must load completely and be one version throughout; returns that version. */
    private static int checkFile(Path file) {
        Map<String, HostTensor> t = SafeTensors.read(file);
        int version = Integer.parseInt(SafeTensors.header(file).metadata().get("version"));
        assertEquals(version, t.get("version").longs()[0], "metadata and data disagree");
        float[] values = t.get("values").floats();
        for (int i = 0; i < values.length; i++) {
            if (values[i] != version) {
                throw new AssertionError(file + ": value " + i + " is " + values[i] + " in version " + version);
            }
        }
        return version;
    }

    private static long leftovers(Path target) throws Exception {
        try (Stream<Path> files = Files.list(target.getParent())) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tmp")).count();
        }
    }

    /** Besides the target, only hidden temp leftovers of interrupted saves may exist. */
    private static void assertOnlyTempLeftovers(Path target) throws Exception {
        String name = target.getFileName().toString();
        try (Stream<Path> files = Files.list(target.getParent())) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String n = p.getFileName().toString();
                assertTrue(n.equals(name) || n.startsWith("." + name + "."), "unexpected file " + n);
            }
        }
    }
}
