package io.github.peft4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.peft4j.core.FileFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SafeTensorsTest {
    @TempDir
    Path dir;

    /** Builds a safetensors file by hand, independent of our writer. */
    private Path file(String name, String headerJson, byte[] data) throws Exception {
        byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.write(h);
        out.write(data);
        Path p = dir.resolve(name);
        Files.write(p, out.toByteArray());
        return p;
    }

    private static byte[] shorts(int... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int s : v) {
            b.putShort((short) s);
        }
        return b.array();
    }

    @Test
    void writeThenReadAndLoadRoundTrip() {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("w", HostTensor.f32(new long[] {2, 3}, new float[] {1, -2, 3.5f, 0, Float.MIN_VALUE, 1e30f}));
        t.put("idx", HostTensor.i64(new long[] {3}, new long[] {0, 5, Long.MAX_VALUE}));
        t.put("empty", HostTensor.f32(new long[] {0, 4}, new float[0]));
        Path p = dir.resolve("a.safetensors");
        SafeTensors.write(p, t, Map.of("format", "pt"));

        SafeTensors.Header h = SafeTensors.header(p);
        assertEquals("pt", h.metadata().get("format"));
        assertEquals(0, h.dataStart() % 8, "data must start 8-byte aligned");
        assertEquals("I64", h.entries().get("idx").dtype());

        Map<String, HostTensor> r = SafeTensors.read(p);
        assertArrayEquals(t.get("w").floats(), r.get("w").floats());
        assertArrayEquals(new long[] {2, 3}, r.get("w").shape());
        assertArrayEquals(t.get("idx").longs(), r.get("idx").longs());
        assertEquals(0, r.get("empty").numel());

        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> a = SafeTensors.load(p, m);
            assertEquals(DataType.FLOAT32, a.get("w").getDataType());
            assertArrayEquals(t.get("w").floats(), a.get("w").toFloatArray());
            assertArrayEquals(t.get("idx").longs(), a.get("idx").toLongArray());
            // Writable copy-on-write map: an in-place op must not crash nor change the file.
            a.get("w").addi(1f);
            assertEquals(2f, a.get("w").toFloatArray()[0]);
        }
        assertEquals(1f, SafeTensors.read(p).get("w").floats()[0]);
        try (var files = assertDoesNotThrow(() -> Files.list(dir))) {
            assertEquals(1, files.count(), "no temp file left behind");
        }
    }

    @Test
    void widensHalfAndBfloatAndIntegers() throws Exception {
        // F16: 1, -2, 65504, smallest subnormal, 0.5, -0; BF16: 1, -2.5, 3.140625
        byte[] f16 = shorts(0x3C00, 0xC000, 0x7BFF, 0x0001, 0x3800, 0x8000);
        byte[] bf16 = shorts(0x3F80, 0xC020, 0x4049);
        byte[] i32 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(-7).putInt(123456).array();
        byte[] f64 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.25).array();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.write(f16);
        data.write(bf16);
        data.write(i32);
        data.write(f64);
        String hdr = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,12]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[12,18]},"
                + "\"i\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[18,26]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[26,34]},"
                + "\"__metadata__\":{\"k\":\"v\"}}";
        Path p = file("mixed.safetensors", hdr, data.toByteArray());
        Map<String, HostTensor> r = SafeTensors.read(p);
        assertArrayEquals(new float[] {1f, -2f, 65504f, 5.9604645e-8f, 0.5f, -0f}, r.get("h").floats(), 0f);
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(r.get("h").floats()[5]));
        assertArrayEquals(new float[] {1f, -2.5f, 3.140625f}, r.get("b").floats(), 0f);
        assertArrayEquals(new long[] {-7, 123456}, r.get("i").longs());
        assertArrayEquals(new float[] {0.25f}, r.get("d").floats(), 0f);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> a = SafeTensors.load(p, m);
            assertEquals(DataType.FLOAT32, a.get("b").getDataType(), "BF16 must reach DJL as F32");
            assertArrayEquals(new float[] {1f, -2.5f, 3.140625f}, a.get("b").toFloatArray(), 0f);
            assertArrayEquals(r.get("h").floats(), a.get("h").toFloatArray(), 0f);
            assertEquals(DataType.INT64, a.get("i").getDataType());
        }
    }

    @Test
    void halfPrecisionSpecialValues() {
        assertEquals(Float.POSITIVE_INFINITY, SafeTensors.halfToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, SafeTensors.halfToFloat((short) 0xFC00));
        assertTrue(Float.isNaN(SafeTensors.halfToFloat((short) 0x7E00)));
        assertEquals(6.1035156e-5f, SafeTensors.halfToFloat((short) 0x0400)); // smallest normal
        assertEquals(-0.333251953125f, SafeTensors.halfToFloat((short) 0xB555));
    }

    private void assertRejected(String hdr, byte[] data, String expectedInMessage) throws Exception {
        Path p = file("bad.safetensors", hdr, data);
        FileFormatException e = assertThrows(FileFormatException.class, () -> SafeTensors.read(p));
        assertTrue(e.getMessage().contains(expectedInMessage), e.getMessage());
        assertTrue(e.getMessage().contains("bad.safetensors"), "message names the file: " + e.getMessage());
        try (NDManager m = NDManager.newBaseManager()) {
            assertThrows(FileFormatException.class, () -> SafeTensors.load(p, m));
        }
    }

    @Test
    void rejectsMalformedHeaders() throws Exception {
        byte[] eight = new byte[8];
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", eight, "outside the data buffer");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", eight, "needs 12 bytes");
        assertRejected("{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight, "unknown dtype");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight, "overlaps");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight, "hole");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", eight, "trailing");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4611686018427387904],\"data_offsets\":[0,8]}}",
                eight, "overflows");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", eight, "invalid dimension");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", eight, "data_offsets");
        assertRejected("{\"a\": [1,2", eight, "not valid JSON");
        assertRejected("[1,2,3]", eight, "JSON object");
        assertRejected("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[8],\"data_offsets\":[0,8]}}", eight, "cannot read");
        assertRejected("{\"__metadata__\":{\"k\":1}}", new byte[0], "must be a string");
        assertRejected("[".repeat(1000), eight, "not valid JSON");
    }

    @Test
    void rejectsBadLengthsAndTruncation() throws Exception {
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertTrue(assertThrows(FileFormatException.class, () -> SafeTensors.read(tiny)).getMessage().contains("too short"));

        for (long n : new long[] {-1L, 0L, Long.MAX_VALUE, 200_000_000L, 1000L}) {
            Path p = dir.resolve("len" + Long.toHexString(n) + ".safetensors");
            Files.write(p, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(n).putLong(0).array());
            FileFormatException e = assertThrows(FileFormatException.class, () -> SafeTensors.header(p));
            assertTrue(e.getMessage().contains("out of range") || e.getMessage().contains("truncated"), e.getMessage());
        }
        Path good = dir.resolve("good.safetensors");
        SafeTensors.write(good, Map.of("w", HostTensor.f32(new long[] {64}, new float[64])), Map.of());
        byte[] all = Files.readAllBytes(good);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(all, all.length - 10));
        assertTrue(assertThrows(FileFormatException.class, () -> SafeTensors.read(cut)).getMessage().contains("truncated"));
        assertThrows(FileFormatException.class, () -> SafeTensors.read(dir.resolve("missing.safetensors")));
    }
}
