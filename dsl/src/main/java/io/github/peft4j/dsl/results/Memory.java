package io.github.peft4j.dsl.results;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Process memory as the OS sees it (native tensors live outside the Java heap). */
public final class Memory {
    private Memory() {}

    /** Peak resident set size (Linux VmHWM) in bytes; the JVM heap in use where /proc is absent. */
    public static long peakRssBytes() {
        return procStatus("VmHWM:");
    }

    /** Current resident set size in bytes. */
    public static long rssBytes() {
        return procStatus("VmRSS:");
    }

    private static long procStatus(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).replace("kB", "").trim()) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: fall through
        }
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }
}
