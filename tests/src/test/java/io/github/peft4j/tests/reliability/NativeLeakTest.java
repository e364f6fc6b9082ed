package io.github.peft4j.tests.reliability;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 2,000 training steps keep native memory flat. Runs in a child JVM with MALLOC_ARENA_MAX=1, a
 * fixed pre-touched heap (heap growth cannot pass for a native leak) and the C1 JIT only (C2 keeps
 * compiling for thousands of steps and its code cache and arenas grew RSS by ~13 MB between steps
 * 200 and 1,000, then stayed flat): resident memory at step 2,000 must be within
 * {@value #RSS_MARGIN_MB} MB of step 200, and the live native array counts (all managers, the
 * model's, the adapter's) must be the same at every probe.
 */
@EnabledOnOs(OS.LINUX)
class NativeLeakTest {
    static final long RSS_MARGIN_MB = 8;
    static final int STEPS = Integer.getInteger("peft4j.leak.steps", 2000);

    @Test
    void spartaTrainingKeepsNativeMemoryFlat() throws Exception {
        check("sparta");
    }

    @Test
    void loraTrainingKeepsNativeMemoryFlat() throws Exception {
        check("lora");
    }

    private void check(String method) throws Exception {
        List<long[]> probes = run(method, STEPS / 10, STEPS / 2, STEPS);
        long[] first = probes.get(0);
        long[] last = probes.get(probes.size() - 1);
        for (long[] p : probes) {
            System.out.printf("%s step %d: RSS %.1f MB, arrays all %d / model %d / adapter %d%n", method, p[0], p[1] / 1024.0,
                    p[2], p[3], p[4]);
        }
        for (long[] p : probes) {
            assertEquals(first[2], p[2], method + ": live native arrays changed between step " + first[0] + " and " + p[0]);
            assertEquals(first[3], p[3], method + ": model arrays changed at step " + p[0]);
            assertEquals(first[4], p[4], method + ": adapter arrays changed at step " + p[0]);
        }
        long growthKb = last[1] - first[1];
        assertTrue(growthKb <= RSS_MARGIN_MB * 1024, method + ": RSS grew " + growthKb / 1024.0 + " MB from step "
                + first[0] + " to " + last[0] + " (margin " + RSS_MARGIN_MB + " MB)");
    }

    private static List<long[]> run(String method, long... probeSteps) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch",
                "-XX:TieredStopAtLevel=1", "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), LeakProbeMain.class.getName(),
                method, Long.toString(probeSteps[probeSteps.length - 1])));
        for (long s : probeSteps) {
            cmd.add(Long.toString(s));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("MALLOC_ARENA_MAX", "1");
        Process p = pb.start();
        List<long[]> probes = new ArrayList<>();
        StringBuilder other = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("probe ")) {
                    String[] f = line.split(" ");
                    probes.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
                        Long.parseLong(f[4]), Long.parseLong(f[5])});
                } else {
                    other.append(line).append('\n');
                }
            }
        }
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "leak probe did not finish");
        assertEquals(0, p.exitValue(), "leak probe failed:\n" + other);
        assertEquals(probeSteps.length, probes.size(), "missing probes:\n" + other);
        return probes;
    }
}
