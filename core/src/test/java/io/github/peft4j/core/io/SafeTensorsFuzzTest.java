package io.github.peft4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.FileFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Mutated safetensors files (truncations, flipped bytes, forged header lengths, hostile headers)
 * must either load or fail with a {@link FileFormatException}: never another exception, never a
 * JVM abort in the native engine (BF16/F16 included), never a leaked array.
 */
class SafeTensorsFuzzTest {
    @TempDir
    Path tmp;

    /** A file with F32, I64, BF16 and F16 tensors, BF16/F16 written by hand. */
    static byte[] mixedFile() {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"ids\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[24,48]},"
                + "\"h\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[48,56]},"
                + "\"f\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[56,64]}}";
        byte[] hdr = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + hdr.length + 64).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(hdr.length).put(hdr);
        for (float v : new float[] {1, -2, 3.5f, 0, 1e-3f, -7}) {
            b.putFloat(v);
        }
        for (long v : new long[] {101, 0, -5}) {
            b.putLong(v);
        }
        for (float v : new float[] {1f, -2f, 0.5f, 3f}) { // BF16 = upper 16 bits of the F32
            b.putShort((short) (Float.floatToIntBits(v) >>> 16));
        }
        for (short h : new short[] {0x3C00, (short) 0xC000, 0x3800, 0x0000}) { // F16: 1, -2, 0.5, 0
            b.putShort(h);
        }
        return b.array();
    }

    @Test
    void theUnmutatedFileReadsAsWritten() throws IOException {
        Path f = tmp.resolve("ok.safetensors");
        Files.write(f, mixedFile());
        Map<String, HostTensor> t = SafeTensors.read(f);
        assertArrayEquals(new float[] {1, -2, 3.5f, 0, 1e-3f, -7}, t.get("a").floats());
        assertArrayEquals(new long[] {101, 0, -5}, t.get("ids").longs());
        assertArrayEquals(new float[] {1f, -2f, 0.5f, 3f}, t.get("h").floats());
        assertArrayEquals(new float[] {1f, -2f, 0.5f, 0f}, t.get("f").floats());
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> arrays = SafeTensors.load(f, m);
            assertEquals(ai.djl.ndarray.types.DataType.FLOAT32, arrays.get("h").getDataType());
            assertArrayEquals(new float[] {1f, -2f, 0.5f, 3f}, arrays.get("h").toFloatArray());
        }
    }

    @Test
    void randomMutationsLoadOrFailCleanly() throws IOException {
        byte[] good = mixedFile();
        int headerEnd = 8 + (int) ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Random rnd = new Random(20260101);
        Path f = tmp.resolve("fuzz.safetensors");
        int loaded = 0;
        int rejected = 0;
        try (NDManager m = NDManager.newBaseManager()) {
            for (int round = 0; round < 600; round++) {
                byte[] bad = mutate(good, headerEnd, rnd, round);
                Files.write(f, bad);
                try (NDManager scope = m.newSubManager()) {
                    try {
                        SafeTensors.read(f);
                        SafeTensors.load(f, scope);
                        loaded++;
                    } catch (FileFormatException expected) {
                        assertTrue(expected.getMessage().contains("fuzz.safetensors"), expected.getMessage());
                        rejected++;
                    } catch (RuntimeException e) {
                        fail("round " + round + ": " + e + " instead of FileFormatException for " + describe(bad), e);
                    }
                }
            }
            assertEquals(0, m.getManagedArrays().size(), "arrays leaked into the parent manager");
        }
        System.out.printf("safetensors fuzz: %d mutated files loaded, %d rejected%n", loaded, rejected);
        assertTrue(rejected > 300, "most mutations must be caught: " + rejected);
        assertTrue(loaded > 20, "data-only mutations still load: " + loaded);
    }

    @Test
    void hostileHeadersAreRejected() throws IOException {
        List<String> headers = List.of(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,16]}}",   // numel overflow
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,16]}}",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,0]}}",
                "{\"a\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,16]}}",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,99999999999999999999999]}}",
                "{\"a\":[" + "[".repeat(5000) + "]".repeat(5000) + "]}",
                "{\"__metadata__\":{\"x\":{\"nested\":1}}}",
                "[]",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}");
        Path f = tmp.resolve("hostile.safetensors");
        for (String h : headers) {
            byte[] hdr = h.getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(8 + hdr.length + 16).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(hdr.length).put(hdr);
            Files.write(f, b.array());
            try {
                SafeTensors.read(f);
                fail("accepted hostile header " + h.substring(0, Math.min(h.length(), 120)));
            } catch (FileFormatException expected) {
                // the message names the file
                assertTrue(expected.getMessage().contains("hostile.safetensors"));
            }
        }
    }

    private static byte[] mutate(byte[] good, int headerEnd, Random rnd, int round) {
        byte[] b = good.clone();
        switch (round % 6) {
            case 0 -> { return Arrays.copyOf(b, rnd.nextInt(b.length)); }                  // truncation
            case 1 -> b[8 + rnd.nextInt(headerEnd - 8)] ^= (byte) (1 + rnd.nextInt(255));   // header byte
            case 2 -> b[headerEnd + rnd.nextInt(b.length - headerEnd)] ^= (byte) (1 + rnd.nextInt(255)); // data byte
            case 3 -> ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0,
                    round % 12 == 3 ? rnd.nextLong() : rnd.nextInt(headerEnd + 64));     // forged header length
            case 4 -> { // several random bytes anywhere
                for (int i = 0; i < 4; i++) {
                    b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
                }
            }
            default -> { // a digit of the header replaced by another digit: shapes and offsets lie
                String s = new String(b, 8, headerEnd - 8, StandardCharsets.ISO_8859_1);
                int[] digits = s.chars().map(c -> Character.isDigit(c) ? 1 : 0).toArray();
                int pos;
                do {
                    pos = rnd.nextInt(digits.length);
                } while (digits[pos] == 0);
                b[8 + pos] = (byte) ('0' + rnd.nextInt(10));
            }
        }
        return b;
    }

    private static String describe(byte[] b) {
        return b.length + " bytes: " + new String(b, 8, Math.min(b.length - 8, 200), StandardCharsets.ISO_8859_1);
    }
}
