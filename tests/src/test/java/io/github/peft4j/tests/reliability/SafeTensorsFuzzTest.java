package io.github.peft4j.tests.reliability;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.tests.reliability.SafeTensorsBytes.Built;
import io.github.peft4j.tests.reliability.SafeTensorsBytes.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile safetensors files: every generated case must either load (and then {@code read} and
 * {@code load} must agree value for value with the header) or fail with a Peft4jException, within
 * {@value #TIMEOUT_MS} ms and {@value #MAX_ALLOC_MB} MB of heap allocation per case. Seeds are fixed;
 * {@code -Dpeft4j.fuzz.cases=N} runs more.
 */
class SafeTensorsFuzzTest {
    static final long TIMEOUT_MS = 10_000;
    static final long MAX_ALLOC_MB = 256;

    @TempDir
    static Path dir;
    static NDManager manager;

    @BeforeAll
    static void engine() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void closeEngine() {
        manager.close();
    }

    enum Mutation {
        TRUNCATE_AT_BOUNDARY, TRUNCATE_ANYWHERE, FLIP_HEADER_BITS, FLIP_DATA_BITS, LENGTH_FIELD,
        OFFSETS, SHAPE, DTYPE, ENTRY_STRUCTURE, METADATA, JSON_SYNTAX, TRAILING_BYTES, DUPLICATE_NAME
    }

    @Test
    void generatedMutationsLoadOrFailCleanly() throws Exception {
        int cases = FuzzHarness.cases(3000);
        int[] perKind = new int[Mutation.values().length];
        try (FuzzHarness fuzz = new FuzzHarness("safetensors", TIMEOUT_MS, MAX_ALLOC_MB << 20)) {
            for (int i = 0; i < cases; i++) {
                long seed = 0x5AFE_0000L + i;
                Random rnd = new Random(seed);
                List<Tensor> tensors = SafeTensorsBytes.randomTensors(rnd);
                Map<String, String> metadata = rnd.nextBoolean() ? SafeTensorsBytes.someMetadata(rnd) : null;
                Built valid = SafeTensorsBytes.build(tensors, metadata);
                Mutation kind = Mutation.values()[i % Mutation.values().length];
                byte[] bytes = mutate(kind, valid, tensors, metadata, rnd);
                Path file = dir.resolve("case.safetensors");
                Files.write(file, bytes);
                String name = kind + " seed=" + seed;
                FuzzHarness.Outcome outcome = fuzz.run(name, () -> readAndCrossCheck(file));
                perKind[kind.ordinal()]++;
                boolean shortened = bytes.length < valid.bytes().length;
                boolean lastTensorHasBytes = valid.tensorRanges().stream().anyMatch(r -> r[1] > r[0]);
                if ((kind == Mutation.TRUNCATE_AT_BOUNDARY || kind == Mutation.TRUNCATE_ANYWHERE) && shortened
                        && lastTensorHasBytes) {
                    assertEquals(FuzzHarness.Outcome.REJECTED, outcome, name + ": a truncated file must never load");
                }
                if (kind == Mutation.FLIP_DATA_BITS || kind == Mutation.TRAILING_BYTES && bytes.length == valid.bytes().length) {
                    assertEquals(FuzzHarness.Outcome.LOADED, outcome, name + ": data bits are free, the file is valid");
                }
                if (kind == Mutation.TRAILING_BYTES && bytes.length > valid.bytes().length) {
                    assertEquals(FuzzHarness.Outcome.REJECTED, outcome, name + ": bytes no tensor covers must be refused");
                }
            }
            System.out.println("safetensors fuzz, cases per mutation " + Arrays.toString(perKind));
            fuzz.assertClean();
            assertTrue(fuzz.loaded() > cases / 20, "fuzzer should produce some loadable files too: " + fuzz.report());
            assertTrue(fuzz.rejected() > cases / 2, fuzz.report());
        }
    }

    /** Directed hostile inputs the random mutator is unlikely to produce: sizes, depth, encodings. */
    @Test
    void directedHostileHeaders() throws Exception {
        List<Tensor> one = List.of(new Tensor("w", "F32", new long[] {2}, new byte[8]));
        Built ok = SafeTensorsBytes.build(one, null);
        List<byte[]> inputs = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (long n : new long[] {0, -1, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 40, 100_000_001L, 0xFFFF_FFFFL,
                ok.headerLength() + 9L, ok.bytes().length}) {
            byte[] b = ok.bytes().clone();
            System.arraycopy(SafeTensorsBytes.lengthField(n), 0, b, 0, 8);
            inputs.add(b);
            names.add("header length " + Long.toUnsignedString(n));
        }
        add(inputs, names, "nested arrays 100k deep", "[".repeat(100_000));
        add(inputs, names, "nested objects 100k deep", "{\"a\":".repeat(100_000));
        add(inputs, names, "8 MB string", "{\"w\":\"" + "x".repeat(8 << 20) + "\"}");
        add(inputs, names, "1M-digit number", "{\"w\":{\"dtype\":\"F32\",\"shape\":[" + "9".repeat(1_000_000)
                + "],\"data_offsets\":[0,8]}}");
        StringBuilder many = new StringBuilder("{");
        for (int i = 0; i < 50_000; i++) {
            many.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}");
        }
        add(inputs, names, "50k empty tensors", many.append('}').toString());
        add(inputs, names, "product of shape overflows", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,0]}}");
        add(inputs, names, "product times element size overflows", "{\"w\":{\"dtype\":\"F64\",\"shape\":[1152921504606846976,2],\"data_offsets\":[0,0]}}");
        add(inputs, names, "17 dimensions", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}");
        add(inputs, names, "negative offsets", "{\"w\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[-8,0]}}");
        add(inputs, names, "offsets beyond long", "{\"w\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,18446744073709551616]}}");
        add(inputs, names, "fractional dimension", "{\"w\":{\"dtype\":\"U8\",\"shape\":[8.0],\"data_offsets\":[0,8]}}");
        add(inputs, names, "NUL bytes", "{\"w\u0000\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}");
        add(inputs, names, "trailing garbage after the header object", "{\"w\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}xyz");
        add(inputs, names, "top-level array", "[1,2,3]");
        add(inputs, names, "empty", "");
        byte[] badUtf8 = "{\"w\u00ff\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}".getBytes(StandardCharsets.ISO_8859_1);
        inputs.add(withData(badUtf8, 8));
        names.add("invalid UTF-8 in a name");
        try (FuzzHarness fuzz = new FuzzHarness("safetensors-directed", TIMEOUT_MS, MAX_ALLOC_MB << 20)) {
            for (int i = 0; i < inputs.size(); i++) {
                Path file = dir.resolve("directed.safetensors");
                Files.write(file, inputs.get(i));
                fuzz.run(names.get(i), () -> readAndCrossCheck(file));
            }
            fuzz.assertClean();
        }
    }

    /** The format pads headers with spaces only; anything else after the JSON object is corruption. */
    @Test
    void trailingGarbageInHeaderIsRejectedButSpacePaddingLoads() throws Exception {
        Path garbage = dir.resolve("garbage.safetensors");
        Files.write(garbage, withData("{\"w\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}xyz".getBytes(StandardCharsets.UTF_8), 8));
        FileFormatException e = assertThrows(FileFormatException.class, () -> SafeTensors.read(garbage));
        assertTrue(e.getMessage().contains("garbage.safetensors"), e.getMessage());
        Path padded = dir.resolve("padded.safetensors");
        Files.write(padded, withData("{\"w\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}     ".getBytes(StandardCharsets.UTF_8), 8));
        assertEquals(8, SafeTensors.read(padded).get("w").numel());
    }

    /**
     * A 1.2 GB F16 tensor in a sparse file (no disk used): {@code load} widens it to F32, whose
     * 2.4 GB exceed one buffer. This used to escape as ArithmeticException.
     */
    @Test
    void hugeHalfPrecisionTensorIsRefusedNotOverflowed() throws Exception {
        long elements = 600_000_000L;
        Path file = sparseFile("big-f16.safetensors", "F16", elements, 2);
        FileFormatException e = assertThrows(FileFormatException.class, () -> SafeTensors.load(file, manager));
        assertTrue(e.getMessage().contains("'big'"), e.getMessage());
    }

    /** A 2 GB F16 tensor would need 4 GB of floats on the heap: a clear error, not OutOfMemoryError. */
    @Test
    void tensorLargerThanTheHeapIsRefusedBeforeAllocating() throws Exception {
        long elements = 1_000_000_000L;
        Path file = sparseFile("heap-f16.safetensors", "F16", elements, 2);
        io.github.peft4j.core.Peft4jException e =
                assertThrows(io.github.peft4j.core.Peft4jException.class, () -> SafeTensors.read(file));
        assertTrue(e.getMessage().contains("-Xmx") || e.getMessage().contains("load"), e.getMessage());
    }

    private static Path sparseFile(String name, String dtype, long elements, int elementSize) throws Exception {
        String header = "{\"big\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + elements + "],\"data_offsets\":[0,"
                + elements * elementSize + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(SafeTensorsBytes.lengthField(h.length));
            raf.write(h);
            raf.setLength(8L + h.length + elements * elementSize);
        }
        return file;
    }

    private static void add(List<byte[]> inputs, List<String> names, String name, String header) {
        inputs.add(withData(header.getBytes(StandardCharsets.UTF_8), 8));
        names.add(name);
    }

    private static byte[] withData(byte[] header, int dataBytes) {
        byte[] out = new byte[8 + header.length + dataBytes];
        System.arraycopy(SafeTensorsBytes.lengthField(header.length), 0, out, 0, 8);
        System.arraycopy(header, 0, out, 8, header.length);
        return out;
    }

    /**
     * Loads through both public paths. When the file is accepted, the heap copy, the native copy and
     * the header must agree on every name, shape and value (floats compared bit for bit).
     */
    static void readAndCrossCheck(Path file) {
        Map<String, HostTensor> heap = SafeTensors.read(file);
        SafeTensors.Header header = SafeTensors.header(file);
        assertEquals(header.entries().keySet(), heap.keySet());
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> arrays = SafeTensors.load(file, m);
            assertEquals(heap.keySet(), arrays.keySet());
            for (Map.Entry<String, HostTensor> e : heap.entrySet()) {
                HostTensor h = e.getValue();
                NDArray a = arrays.get(e.getKey());
                assertArrayEquals(header.entries().get(e.getKey()).shape(), h.shape());
                assertArrayEquals(h.shape(), a.getShape().getShape());
                if (h.dtype().equals("F32")) {
                    assertEquals(DataType.FLOAT32, a.getDataType());
                    float[] fa = a.toFloatArray();
                    for (int i = 0; i < fa.length; i++) {
                        if (Float.floatToRawIntBits(fa[i]) != Float.floatToRawIntBits(h.floats()[i])
                                && !(Float.isNaN(fa[i]) && Float.isNaN(h.floats()[i]))) {
                            throw new AssertionError(e.getKey() + "[" + i + "]: load " + fa[i] + " vs read " + h.floats()[i]);
                        }
                    }
                } else {
                    assertEquals(DataType.INT64, a.getDataType());
                    assertArrayEquals(h.longs(), a.toLongArray(), e.getKey());
                }
            }
        }
    }

    // ---- mutations ---------------------------------------------------------------------------

    static byte[] mutate(Mutation kind, Built valid, List<Tensor> tensors, Map<String, String> metadata, Random rnd) {
        byte[] b = valid.bytes().clone();
        switch (kind) {
            case TRUNCATE_AT_BOUNDARY: {
                List<Long> cuts = new ArrayList<>(List.of(0L, 1L, 4L, 7L, 8L, 9L, (long) valid.dataStart() - 1,
                        (long) valid.dataStart(), (long) valid.dataStart() + 1, 8L + valid.headerLength() / 2));
                for (long[] r : valid.tensorRanges()) {
                    cuts.addAll(List.of(r[0] - 1, r[0], r[0] + 1, r[1] - 1, r[1]));
                }
                long cut = cuts.get(rnd.nextInt(cuts.size()));
                cut = Math.max(0, Math.min(cut, b.length - 1L));
                return Arrays.copyOf(b, (int) cut);
            }
            case TRUNCATE_ANYWHERE:
                return Arrays.copyOf(b, rnd.nextInt(b.length));
            case FLIP_HEADER_BITS: {
                int flips = 1 + rnd.nextInt(4);
                for (int f = 0; f < flips; f++) {
                    int pos = rnd.nextInt(valid.dataStart());
                    b[pos] ^= (byte) (1 << rnd.nextInt(8));
                }
                return b;
            }
            case FLIP_DATA_BITS: {
                if (b.length == valid.dataStart()) {
                    return b;
                }
                for (int f = 0; f < 1 + rnd.nextInt(8); f++) {
                    int pos = valid.dataStart() + rnd.nextInt(b.length - valid.dataStart());
                    b[pos] ^= (byte) (1 << rnd.nextInt(8));
                }
                return b;
            }
            case LENGTH_FIELD: {
                long[] choices = {0, -1, valid.headerLength() - 1L, valid.headerLength() + 1L, valid.headerLength() + 8L,
                        b.length, b.length - 8L, rnd.nextLong(), 1L << (32 + rnd.nextInt(31)), rnd.nextInt(64)};
                System.arraycopy(SafeTensorsBytes.lengthField(choices[rnd.nextInt(choices.length)]), 0, b, 0, 8);
                return b;
            }
            case TRAILING_BYTES:
                // Half the cases keep the file as is (control), half append bytes no tensor covers.
                return rnd.nextBoolean() ? b : Arrays.copyOf(b, b.length + 1 + rnd.nextInt(64));
            case JSON_SYNTAX: {
                byte[] h = Arrays.copyOfRange(b, 8, valid.dataStart());
                String specials = "{}[]\":,-.e0123456789 \\ntf";
                int edits = 1 + rnd.nextInt(3);
                StringBuilder s = new StringBuilder(new String(h, StandardCharsets.UTF_8));
                for (int k = 0; k < edits && s.length() > 0; k++) {
                    int pos = rnd.nextInt(s.length());
                    switch (rnd.nextInt(3)) {
                        case 0: s.setCharAt(pos, specials.charAt(rnd.nextInt(specials.length()))); break;
                        case 1: s.deleteCharAt(pos); break;
                        default: s.insert(pos, specials.charAt(rnd.nextInt(specials.length())));
                    }
                }
                return SafeTensorsBytes.build(s.toString().getBytes(StandardCharsets.UTF_8), tensors).bytes();
            }
            default:
                return structural(kind, valid, tensors, metadata, rnd);
        }
    }

    private static byte[] structural(Mutation kind, Built valid, List<Tensor> tensors, Map<String, String> metadata, Random rnd) {
        ObjectNode h = SafeTensorsBytes.header(tensors, metadata);
        Tensor victim = tensors.get(rnd.nextInt(tensors.size()));
        ObjectNode e = (ObjectNode) h.get(victim.name());
        JsonNodeFactory f = JsonNodeFactory.instance;
        long dataLen = valid.bytes().length - valid.dataStart();
        switch (kind) {
            case OFFSETS: {
                ArrayNode o = (ArrayNode) e.get("data_offsets");
                long begin = o.get(0).asLong();
                long end = o.get(1).asLong();
                switch (rnd.nextInt(9)) {
                    case 0: o.set(1, f.numberNode(dataLen + 1 + rnd.nextInt(1000))); break;
                    case 1: o.set(0, f.numberNode(-1 - rnd.nextInt(1000))); break;
                    case 2: o.set(0, f.numberNode(end)); o.set(1, f.numberNode(begin)); break;
                    case 3: o.set(0, f.numberNode(Math.max(0, begin - 1 - rnd.nextInt(4)))); break; // overlap
                    case 4: o.set(1, f.numberNode(Long.MAX_VALUE)); break;
                    case 5: o.add(end); break;
                    case 6: o.set(0, f.textNode(Long.toString(begin))); break;
                    case 7: o.set(1, f.numberNode(new BigInteger("36893488147419103232"))); break;
                    default: o.set(0, f.numberNode(begin + 0.5)); break;
                }
                break;
            }
            case SHAPE: {
                ArrayNode s = e.putArray("shape");
                switch (rnd.nextInt(8)) {
                    case 0: s.add(-1 - rnd.nextInt(5)); break;
                    case 1: s.add(4294967296L).add(4294967296L).add(1 + rnd.nextInt(8)); break;
                    case 2: s.add(Long.MAX_VALUE); break;
                    case 3: for (int k = 0; k < 17 + rnd.nextInt(100); k++) { s.add(1); } break;
                    case 4: e.put("shape", "[2,3]"); break;
                    case 5: s.addArray().add(1); break;
                    case 6: for (long d : victim.shape()) { s.add(d); } s.add(1 + rnd.nextInt(3)); break;
                    default: s.add(rnd.nextInt(1 << 20)); break;
                }
                break;
            }
            case DTYPE: {
                String[] bad = {"f32", "F8_E4M3", "F8_E5M2", "U64", "U32", "U16", "C64", "", "F32 ", "BF16", "F16", "I8", "F64"};
                if (rnd.nextInt(5) == 0) {
                    e.put("dtype", rnd.nextInt(100));
                } else {
                    e.put("dtype", bad[rnd.nextInt(bad.length)]);
                }
                break;
            }
            case ENTRY_STRUCTURE: {
                switch (rnd.nextInt(6)) {
                    case 0: e.remove(List.of("dtype", "shape", "data_offsets").get(rnd.nextInt(3))); break;
                    case 1: h.put(victim.name(), rnd.nextInt(10)); break;
                    case 2: h.putArray(victim.name()).add(1); break;
                    case 3: e.put("extra", "field"); break;
                    case 4: h.putNull(victim.name()); break;
                    default: h.set("", e.deepCopy()); break;
                }
                break;
            }
            case METADATA: {
                switch (rnd.nextInt(4)) {
                    case 0: h.put("__metadata__", 5); break;
                    case 1: h.putObject("__metadata__").put("n", 3); break;
                    case 2: h.putObject("__metadata__").putObject("nested").put("a", "b"); break;
                    default: h.putObject("__metadata__").put("k", "v".repeat(rnd.nextInt(10_000))); break;
                }
                break;
            }
            case DUPLICATE_NAME: {
                // Textual duplicate: Jackson trees cannot hold one, so splice the JSON text.
                String text = h.toString();
                String dup = ",\"" + victim.name() + "\":" + e.toString() + "}";
                return SafeTensorsBytes.build((text.substring(0, text.length() - 1) + dup).getBytes(StandardCharsets.UTF_8),
                        tensors).bytes();
            }
            default:
                throw new IllegalStateException(kind.toString());
        }
        return SafeTensorsBytes.build(h.toString().getBytes(StandardCharsets.UTF_8), tensors).bytes();
    }

}
