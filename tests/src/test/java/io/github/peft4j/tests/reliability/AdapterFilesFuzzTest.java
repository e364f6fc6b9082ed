package io.github.peft4j.tests.reliability;

import io.github.peft4j.core.AdapterMismatchException;
import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.core.methods.Adapter;
import io.github.peft4j.core.methods.Adapters;
import io.github.peft4j.core.methods.lora.Lora;
import io.github.peft4j.core.methods.sparse.SparseRandom;
import io.github.peft4j.core.models.Model;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile adapter folders through {@code Adapters.load}: a SpaRTA folder (peft-sparta layout) and a
 * PEFT LoRA folder, saved for the tiny BERT and then broken in their config (JSON mutations), in
 * their tensor file's bytes, and in the tensors' meaning (coordinates out of range, duplicates, wrong
 * dtypes and lengths, NaN). Also: the base-fingerprint check warns, and refuses in strict mode.
 */
class AdapterFilesFuzzTest {
    static final long TIMEOUT_MS = 20_000;
    static final long MAX_ALLOC_MB = 256;

    @TempDir
    static Path dir;
    static Model model;
    static Path sparta;
    static Path lora;

    @BeforeAll
    static void saveAdapters() {
        model = TinyFixtures.bert();
        try (Adapter a = SparseRandom.of(0.05).attach(model)) {
            for (var t : a.trainable()) {
                t.value().addi(0.01f); // non-zero deltas, so a loaded adapter is distinguishable
            }
            sparta = dir.resolve("sparta");
            a.save(sparta);
        }
        try (Adapter a = Lora.of(4).attach(model)) {
            lora = dir.resolve("lora");
            a.save(lora);
        }
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void mutatedAdapterFoldersLoadOrFailCleanly() throws Exception {
        int cases = FuzzHarness.cases(600);
        try (FuzzHarness fuzz = new FuzzHarness("adapters", TIMEOUT_MS, MAX_ALLOC_MB << 20)) {
            for (int i = 0; i < cases; i++) {
                long seed = 0xADA0_0000L + i;
                Random rnd = new Random(seed);
                Path source = i % 2 == 0 ? sparta : lora;
                Path work = dir.resolve("case");
                AtomicCopy.replace(source, work);
                String kind = mutateFolder(work, source == sparta, rnd);
                fuzz.run((source == sparta ? "sparta " : "lora ") + kind + " seed=" + seed, () -> {
                    PrintStream err = System.err;
                    System.setErr(new PrintStream(new ByteArrayOutputStream())); // fingerprint warnings are expected
                    try (Adapter a = Adapters.load(work, model)) {
                        assertTrue(!a.trainable().isEmpty());
                        assertTrue(TrainingRuns.allFinite(TrainingRuns.snapshot(a)), "a loaded adapter must be finite");
                        int before = ((io.github.peft4j.core.methods.BaseAdapter) a).arrayCount();
                        Adapters.load(work, model).close(); // loading again must not add arrays to the first one
                        assertEquals(before, ((io.github.peft4j.core.methods.BaseAdapter) a).arrayCount());
                    } finally {
                        System.setErr(err);
                    }
                });
            }
            fuzz.assertClean();
            assertTrue(fuzz.rejected() > cases / 3, fuzz.report());
        }
    }

    /** Returns a label for the mutation applied to the copied folder {@code work}. */
    private static String mutateFolder(Path work, boolean isSparta, Random rnd) throws Exception {
        Path config = work.resolve("adapter_config.json");
        Path tensors = work.resolve(isSparta ? "sparse_deltas.safetensors" : "adapter_model.safetensors");
        switch (rnd.nextInt(4)) {
            case 0:
                Files.write(config, JsonMutator.mutate(Files.readString(config), rnd).getBytes(StandardCharsets.ISO_8859_1));
                return "config";
            case 1: {
                byte[] b = Files.readAllBytes(tensors);
                if (rnd.nextBoolean()) {
                    b = Arrays.copyOf(b, rnd.nextInt(b.length));
                } else {
                    for (int k = 0; k < 1 + rnd.nextInt(6); k++) {
                        int pos = rnd.nextInt(Math.min(b.length, 8 + 4096)); // mostly the header
                        b[pos] ^= (byte) (1 << rnd.nextInt(8));
                    }
                }
                Files.write(tensors, b);
                return "tensor-bytes";
            }
            case 2: {
                Map<String, HostTensor> t = new LinkedHashMap<>(SafeTensors.read(tensors));
                String name = List.copyOf(t.keySet()).get(rnd.nextInt(t.size()));
                t.put(name, semanticMutation(t.get(name), rnd));
                SafeTensors.write(tensors, t, Map.of("format", "pt"));
                return "tensor-values(" + name + ")";
            }
            default: {
                Map<String, HostTensor> t = new LinkedHashMap<>(SafeTensors.read(tensors));
                String name = List.copyOf(t.keySet()).get(rnd.nextInt(t.size()));
                if (rnd.nextBoolean()) {
                    t.remove(name);
                } else {
                    t.put(name.replace("value", "query").replace("classifier", "pooler") + (rnd.nextBoolean() ? "" : ".x"), t.remove(name));
                }
                SafeTensors.write(tensors, t, Map.of("format", "pt"));
                return "tensor-names(" + name + ")";
            }
        }
    }

    private static HostTensor semanticMutation(HostTensor h, Random rnd) {
        long[] shape = h.shape().clone();
        if ("I64".equals(h.dtype())) {
            long[] v = h.longs().clone();
            if (v.length == 0) {
                return h;
            }
            switch (rnd.nextInt(6)) {
                case 0: v[rnd.nextInt(v.length)] = -1 - rnd.nextInt(10); break;
                case 1: v[rnd.nextInt(v.length)] = 1_000_000L + rnd.nextInt(1000); break;
                case 2: v[rnd.nextInt(v.length)] = Long.MAX_VALUE; break;
                case 3: v[rnd.nextInt(v.length)] = v[0]; v[v.length > 1 ? 1 : 0] = v[0]; break; // duplicates
                case 4: { // indices as floats
                    float[] f = new float[v.length];
                    for (int i = 0; i < v.length; i++) {
                        f[i] = v[i];
                    }
                    return HostTensor.f32(shape, f);
                }
                default: return HostTensor.i64(new long[] {v.length}, v); // wrong rank
            }
            return HostTensor.i64(shape, v);
        }
        float[] f = h.floats().clone();
        switch (rnd.nextInt(4)) {
            case 0:
                if (f.length > 0) {
                    f[rnd.nextInt(f.length)] = rnd.nextBoolean() ? Float.NaN : Float.POSITIVE_INFINITY;
                }
                return HostTensor.f32(shape, f);
            case 1:
                return HostTensor.f32(new long[] {f.length + 1}, Arrays.copyOf(f, f.length + 1));
            case 2: {
                long[] l = new long[f.length];
                return HostTensor.i64(shape, l);
            }
            default:
                return HostTensor.f32(new long[] {f.length / 2}, Arrays.copyOf(f, f.length / 2));
        }
    }

    /** Loading onto a base with other weights warns (default) and refuses (strict); same base loads silently. */
    @Test
    void differentBaseFingerprintWarnsAndStrictModeRefuses() throws Exception {
        Path otherBase = TinyFixtures.copy(TinyFixtures.bertFolder(), dir.resolve("other-base"));
        // Same architecture and shapes, one weight nudged: names/shapes match, fingerprint does not.
        Path weights = otherBase.resolve("model.safetensors");
        Map<String, HostTensor> w = new LinkedHashMap<>(SafeTensors.read(weights));
        String first = w.keySet().iterator().next();
        float[] v = w.get(first).floats().clone();
        v[0] += 1e-3f;
        w.put(first, HostTensor.f32(w.get(first).shape(), v));
        SafeTensors.write(weights, w, Map.of("format", "pt"));

        try (Model other = io.github.peft4j.core.models.Models.load(otherBase)) {
            assertNotEquals(model.parameters().fingerprint(model.headParameters()), other.parameters().fingerprint(other.headParameters()));
            for (Path adapter : List.of(sparta, lora)) {
                String warning = captureStderr(() -> {
                    try (Adapter a = Adapters.load(adapter, other)) {
                        assertTrue(!a.trainable().isEmpty());
                    }
                });
                assertTrue(warning.contains("fingerprint") && warning.contains(model.parameters().fingerprint(model.headParameters())), warning);
                AdapterMismatchException e = assertThrows(AdapterMismatchException.class,
                        () -> Adapters.load(adapter, other, true));
                assertTrue(e.getMessage().contains("fingerprint") && e.getMessage().contains(adapter.toString()), e.getMessage());
                assertEquals("", captureStderr(() -> Adapters.load(adapter, model, true).close()),
                        "the right base must load without a warning");
            }
        }
    }

    private static String captureStderr(Runnable r) {
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(err);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    /** Folder copy helper: replaces {@code target} with a copy of {@code source}. */
    static final class AtomicCopy {
        static void replace(Path source, Path target) throws Exception {
            if (Files.exists(target)) {
                try (Stream<Path> s = Files.walk(target)) {
                    for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
                        Files.delete(p);
                    }
                }
            }
            TinyFixtures.copy(source, target);
        }
    }

}
