package io.github.peft4j.tests.reliability;

import io.github.peft4j.core.io.AtomicFiles;
import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.io.SafeTensors;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Child process for {@link AtomicWriteCrashTest}: saves version 1, 2, 3, ... of a large file (or of
 * an adapter-like folder) over the same target until it is killed, printing "saved N" after each
 * save returns. Every version is self-describing so the parent can tell a torn file from a whole one.
 *
 * <p>Usage: {@code CrashWriterMain file|dir TARGET MEGABYTES}
 */
public final class CrashWriterMain {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path target = Path.of(args[1]);
        int floats = Integer.parseInt(args[2]) * (1 << 20) / Float.BYTES;
        System.out.println("ready");
        System.out.flush();
        for (int version = 1; ; version++) {
            if (mode.equals("file")) {
                SafeTensors.write(target, version(version, floats), Map.of("version", Integer.toString(version)));
            } else {
                final int v = version;
                AtomicFiles.writeDirectory(target, tmp -> {
                    SafeTensors.write(tmp.resolve("adapter_model.safetensors"), version(v, floats),
                            Map.of("version", Integer.toString(v)));
                    Files.writeString(tmp.resolve("adapter_config.json"), "{\"version\": " + v + "}");
                });
            }
            System.out.println("saved " + version);
            System.out.flush();
        }
    }

    /** Version N: every float equals N, plus an int64 copy of N at the end of the data. */
    static Map<String, HostTensor> version(int version, int floats) {
        float[] values = new float[floats];
        java.util.Arrays.fill(values, version);
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("values", HostTensor.f32(new long[] {floats}, values));
        t.put("version", HostTensor.i64(new long[] {1}, new long[] {version}));
        return t;
    }

    private CrashWriterMain() {}
}
