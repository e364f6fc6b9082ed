package io.github.peft4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.Peft4jException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format ourselves: an 8-byte little-endian header length, a JSON
 * header {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {..}}}, then one
 * contiguous byte buffer. The header is validated completely before any data is touched (size
 * bound, known dtypes, shape products without overflow, offsets inside the file, no overlap, no
 * holes), and F16/BF16/F64 are converted to F32 in Java: DJL aborts the JVM on BF16.
 */
public final class SafeTensors {
    /** Same bound as the reference implementation: a larger header is refused before it is read. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64)
                    .maxStringLength(MAX_HEADER_BYTES > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) MAX_HEADER_BYTES)
                    .build())
            // A name given twice would make the header mean different things to different readers.
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build());

    private SafeTensors() {}

    /** One tensor's place in the file. {@code begin}/{@code end} are relative to the data buffer. */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        public long numel() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** The validated header: tensors in file order, free-form metadata, and where data starts. */
    public record Header(Map<String, Entry> entries, Map<String, String> metadata, long dataStart, long fileSize) {}

    /** Bytes per element of each dtype the format defines that we can read. */
    private static int elementSize(String dtype) {
        switch (dtype) {
            case "F64": case "I64": case "U64": return 8;
            case "F32": case "I32": case "U32": return 4;
            case "F16": case "BF16": case "I16": case "U16": return 2;
            case "I8": case "U8": case "BOOL": case "F8_E4M3": case "F8_E5M2": return 1;
            default: return -1;
        }
    }

    private static boolean readable(String dtype) {
        switch (dtype) {
            case "F64": case "F32": case "F16": case "BF16":
            case "I64": case "I32": case "I16": case "I8": case "U8": case "BOOL":
                return true;
            default:
                return false;
        }
    }

    private static boolean isFloat(String dtype) {
        return dtype.startsWith("F") || dtype.equals("BF16");
    }

    public static Header header(Path file) {
        try (FileChannel ch = open(file)) {
            return header(file, ch);
        } catch (IOException e) {
            throw new FileFormatException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    private static FileChannel open(Path file) throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new FileFormatException(file, "file not found");
        }
    }

    private static Header header(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new FileFormatException(file, "not a safetensors file: " + size + " bytes, too short for the 8-byte header length");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long n = lenBuf.flip().getLong();
        if (n <= 0 || n > MAX_HEADER_BYTES) {
            throw new FileFormatException(file, "header length " + Long.toUnsignedString(n)
                    + " is out of range (1.." + MAX_HEADER_BYTES + "); the file is corrupt or not safetensors");
        }
        if (8 + n > size) {
            throw new FileFormatException(file, "header claims " + n + " bytes but the file has only " + (size - 8)
                    + " after the length field: the file is truncated");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) n);
        readFully(ch, hb, 8);
        JsonNode root;
        try {
            // Only space padding may follow the header object (the format pads with 0x20).
            root = JSON.readerFor(JsonNode.class).with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .readValue(new String(hb.array(), StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new FileFormatException(file, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new FileFormatException(file, "header must be a JSON object");
        }
        long dataStart = 8 + n;
        long dataLen = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> list = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode v = f.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) {
                    throw new FileFormatException(file, "__metadata__ must be an object of strings");
                }
                for (Iterator<Map.Entry<String, JsonNode>> m = v.fields(); m.hasNext(); ) {
                    Map.Entry<String, JsonNode> kv = m.next();
                    if (!kv.getValue().isTextual()) {
                        throw new FileFormatException(file, "__metadata__." + kv.getKey() + " must be a string");
                    }
                    metadata.put(kv.getKey(), kv.getValue().asText());
                }
                continue;
            }
            list.add(parseEntry(file, name, v, dataLen));
        }
        // The format requires the buffer to be fully indexed: sorted by offset, no overlap, no hole.
        List<Entry> byOffset = new ArrayList<>(list);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        for (Entry e : byOffset) {
            if (e.begin() < expected) {
                throw new FileFormatException(file, "tensor '" + e.name() + "' overlaps the previous tensor (offset "
                        + e.begin() + " < " + expected + ")");
            }
            if (e.begin() > expected) {
                throw new FileFormatException(file, "hole in the data buffer before tensor '" + e.name() + "' (offset "
                        + e.begin() + ", expected " + expected + ")");
            }
            expected = e.end();
        }
        if (expected != dataLen) {
            throw new FileFormatException(file, "data buffer has " + dataLen + " bytes but the tensors cover " + expected
                    + (expected > dataLen ? ": the file is truncated" : ": trailing bytes"));
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Entry e : list) {
            entries.put(e.name(), e);
        }
        return new Header(Collections.unmodifiableMap(entries), Collections.unmodifiableMap(metadata), dataStart, size);
    }

    private static Entry parseEntry(Path file, String name, JsonNode v, long dataLen) {
        String where = "tensor '" + name + "': ";
        if (!v.isObject()) {
            throw new FileFormatException(file, where + "entry must be an object with dtype, shape, data_offsets");
        }
        JsonNode dt = v.get("dtype");
        JsonNode sh = v.get("shape");
        JsonNode off = v.get("data_offsets");
        if (dt == null || !dt.isTextual()) {
            throw new FileFormatException(file, where + "missing or non-string dtype");
        }
        String dtype = dt.asText();
        int es = elementSize(dtype);
        if (es < 0) {
            throw new FileFormatException(file, where + "unknown dtype '" + dtype + "'");
        }
        if (sh == null || !sh.isArray() || sh.size() > 16) {
            throw new FileFormatException(file, where + "shape must be an array of at most 16 dimensions");
        }
        long[] shape = new long[sh.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw new FileFormatException(file, where + "shape " + sh + " has an invalid dimension");
            }
            shape[i] = d.asLong();
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException e) {
                throw new FileFormatException(file, where + "shape " + sh + " overflows");
            }
        }
        if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber()
                || !off.get(1).isIntegralNumber() || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
            throw new FileFormatException(file, where + "data_offsets must be [begin, end]");
        }
        long begin = off.get(0).asLong();
        long end = off.get(1).asLong();
        if (begin < 0 || end < begin || end > dataLen) {
            throw new FileFormatException(file, where + "data_offsets [" + begin + ", " + end
                    + "] lie outside the data buffer of " + dataLen + " bytes: the file is truncated or its header is wrong");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(numel, es);
        } catch (ArithmeticException e) {
            throw new FileFormatException(file, where + "size overflows");
        }
        if (end - begin != bytes) {
            throw new FileFormatException(file, where + "shape " + sh + " of " + dtype + " needs " + bytes
                    + " bytes but data_offsets span " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** Reads every tensor to the heap as F32 or I64. */
    public static Map<String, HostTensor> read(Path file) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        try (FileChannel ch = open(file)) {
            Header h = header(file, ch);
            for (Entry e : h.entries().values()) {
                checkReadable(file, e);
                if (e.numel() > Integer.MAX_VALUE - 8) {
                    throw new FileFormatException(file, "tensor '" + e.name() + "' has " + e.numel()
                            + " elements, more than one Java array holds; use SafeTensors.load");
                }
                checkHeapRoom(file, e);
                ByteBuffer raw = map(ch, h.dataStart() + e.begin(), e.end() - e.begin(), file, e.name());
                int n = (int) e.numel();
                if (isFloat(e.dtype())) {
                    float[] f = new float[n];
                    decodeFloats(e.dtype(), raw, f);
                    out.put(e.name(), HostTensor.f32(e.shape(), f));
                } else {
                    long[] l = new long[n];
                    decodeInts(e.dtype(), raw, l);
                    out.put(e.name(), HostTensor.i64(e.shape(), l));
                }
            }
        } catch (IOException e) {
            throw new FileFormatException(file, "cannot read: " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * Loads every tensor as an NDArray in {@code manager}: F32 and I64 are copied from a read-only
     * memory map into native memory (never the Java heap); other dtypes are converted in Java first.
     * The arrays own their memory, so in-place ops on them are safe and never touch the file.
     */
    public static Map<String, NDArray> load(Path file, NDManager manager) {
        return load(file, manager, name -> true);
    }

    /**
     * As {@link #load(Path, NDManager)}, but only the tensors {@code wanted} accepts are read (e.g.
     * a model skipping Pythia's 2048×2048 causal-mask buffers, which would widen to 32 MB each).
     */
    public static Map<String, NDArray> load(Path file, NDManager manager, java.util.function.Predicate<String> wanted) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (FileChannel ch = open(file)) {
            Header h = header(file, ch);
            for (Entry e : h.entries().values()) {
                if (!wanted.test(e.name())) {
                    continue;
                }
                checkReadable(file, e);
                out.put(e.name(), toArray(file, ch, h, e, manager));
            }
        } catch (IOException e) {
            out.values().forEach(NDArray::close);
            throw new FileFormatException(file, "cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            out.values().forEach(NDArray::close);
            throw e;
        }
        return out;
    }

    private static NDArray toArray(Path file, FileChannel ch, Header h, Entry e, NDManager manager) throws IOException {
        long bytes = e.end() - e.begin();
        Shape shape = new Shape(e.shape());
        ByteBuffer raw = map(ch, h.dataStart() + e.begin(), bytes, file, e.name());
        if (e.numel() > Integer.MAX_VALUE) {
            throw new FileFormatException(file, "tensor '" + e.name() + "' has more than 2^31 elements; not supported");
        }
        int n = (int) e.numel();
        NDArray a;
        if (e.dtype().equals("F32") || e.dtype().equals("I64")) {
            DataType t = e.dtype().equals("F32") ? DataType.FLOAT32 : DataType.INT64;
            if (n == 0) {
                a = manager.create(shape, t);
            } else {
                // Copy off the read-only map: torch may write into arrays it owns (in-place ops).
                ByteBuffer owned = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
                owned.put(raw.order(ByteOrder.LITTLE_ENDIAN)).flip();
                a = manager.create(owned, shape, t);
            }
        } else if (isFloat(e.dtype())) {
            if (n > (Integer.MAX_VALUE >> 2)) {
                // Widened to F32 it would not fit one buffer (2 GiB); Math.multiplyExact used to throw here.
                throw new FileFormatException(file, "tensor '" + e.name() + "' (" + e.dtype() + ", " + n
                        + " elements) is larger than 2 GiB once widened to F32; not supported");
            }
            ByteBuffer f = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
            float[] tmp = new float[Math.min(n, 1 << 16)];
            ByteBuffer src = raw.order(ByteOrder.LITTLE_ENDIAN);
            int es = elementSize(e.dtype());
            for (int done = 0; done < n; done += tmp.length) {
                int m = Math.min(tmp.length, n - done);
                ByteBuffer chunk = src.slice(done * es, m * es).order(ByteOrder.LITTLE_ENDIAN);
                decodeFloats(e.dtype(), chunk, tmp, m);
                f.asFloatBuffer().put(done, tmp, 0, m);
            }
            a = n == 0 ? manager.create(shape, DataType.FLOAT32) : manager.create(f, shape, DataType.FLOAT32);
        } else {
            long[] l = new long[n];
            decodeInts(e.dtype(), raw, l);
            a = manager.create(l, shape);
        }
        a.setName(e.name());
        return a;
    }

    /**
     * A heap copy needs 4 (F32) or 8 (I64) bytes per element whatever the file's dtype; refuse
     * before allocating when that cannot fit the heap, instead of dying with OutOfMemoryError.
     */
    private static void checkHeapRoom(Path file, Entry e) {
        long bytes = e.numel() * (isFloat(e.dtype()) ? 4L : 8L);
        long max = Runtime.getRuntime().maxMemory();
        if (max != Long.MAX_VALUE && bytes > max / 2) {
            throw new Peft4jException(file + ": tensor '" + e.name() + "' needs " + (bytes >> 20) + " MB on the Java heap"
                    + " (max heap " + (max >> 20) + " MB); use SafeTensors.load (native memory) or raise -Xmx");
        }
    }

    private static void checkReadable(Path file, Entry e) {
        if (!readable(e.dtype())) {
            throw new FileFormatException(file, "tensor '" + e.name() + "' has dtype " + e.dtype()
                    + ", which peft4j cannot read (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
        }
    }

    private static ByteBuffer map(FileChannel ch, long pos, long len, Path file, String name) throws IOException {
        if (len > Integer.MAX_VALUE) {
            throw new FileFormatException(file, "tensor '" + name + "' is larger than 2 GiB; not supported");
        }
        if (len == 0) {
            return ByteBuffer.allocate(0);
        }
        MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, pos, len);
        return m.order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void decodeFloats(String dtype, ByteBuffer raw, float[] out) {
        decodeFloats(dtype, raw.order(ByteOrder.LITTLE_ENDIAN), out, out.length);
    }

    private static void decodeFloats(String dtype, ByteBuffer b, float[] out, int n) {
        switch (dtype) {
            case "F32":
                b.asFloatBuffer().get(out, 0, n);
                break;
            case "F64":
                for (int i = 0; i < n; i++) {
                    out[i] = (float) b.getDouble(i * 8);
                }
                break;
            case "BF16":
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((b.getShort(i * 2) & 0xffff) << 16);
                }
                break;
            case "F16":
                for (int i = 0; i < n; i++) {
                    out[i] = halfToFloat(b.getShort(i * 2));
                }
                break;
            default:
                throw new IllegalStateException(dtype);
        }
    }

    private static void decodeInts(String dtype, ByteBuffer raw, long[] out) {
        ByteBuffer b = raw.order(ByteOrder.LITTLE_ENDIAN);
        int n = out.length;
        switch (dtype) {
            case "I64":
                b.asLongBuffer().get(out);
                break;
            case "I32":
                for (int i = 0; i < n; i++) {
                    out[i] = b.getInt(i * 4);
                }
                break;
            case "I16":
                for (int i = 0; i < n; i++) {
                    out[i] = b.getShort(i * 2);
                }
                break;
            case "I8":
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i);
                }
                break;
            case "U8":
            case "BOOL":
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i) & 0xff;
                }
                break;
            default:
                throw new IllegalStateException(dtype);
        }
    }

    /** IEEE 754 half → float (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            float v = mant * 0x1p-24f; // subnormal: mant * 2^-24
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Writes heap tensors (F32/I64) atomically; names keep the map's order. */
    public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata) {
        List<String> names = new ArrayList<>(tensors.keySet());
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (String name : names) {
            checkName(name);
            HostTensor t = tensors.get(name);
            long bytes = t.numel() * 8L / ("F32".equals(t.dtype()) ? 2 : 1);
            ObjectNode e = header.putObject(name);
            e.put("dtype", t.dtype());
            var sh = e.putArray("shape");
            for (long d : t.shape()) {
                sh.add(d);
            }
            var off = e.putArray("data_offsets");
            off.add(offset);
            off.add(offset + bytes);
            offset += bytes;
        }
        byte[] hdr = paddedHeader(header);
        AtomicFiles.write(file, tmp -> {
            try (OutputStream os = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                os.write(headerLength(hdr.length));
                os.write(hdr);
                ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
                for (String name : names) {
                    HostTensor t = tensors.get(name);
                    if ("F32".equals(t.dtype())) {
                        float[] f = t.floats();
                        for (int i = 0; i < f.length; ) {   // bulk copies through a float view
                            int m = Math.min(buf.remaining() / 4, f.length - i);
                            buf.asFloatBuffer().put(f, i, m);
                            buf.position(buf.position() + m * 4);
                            i += m;
                            flush(buf, os);
                        }
                    } else {
                        long[] l = t.longs();
                        for (int i = 0; i < l.length; ) {
                            int m = Math.min(buf.remaining() / 8, l.length - i);
                            buf.asLongBuffer().put(l, i, m);
                            buf.position(buf.position() + m * 8);
                            i += m;
                            flush(buf, os);
                        }
                    }
                }
                flush(buf, os);
            }
        });
    }

    /** Writes NDArrays (float32 or int64; other integer types widened) atomically without a heap copy per element. */
    public static void writeArrays(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) {
        Map<String, HostTensor> host = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            host.put(e.getKey(), HostTensor.of(e.getValue()));
        }
        write(file, host, metadata);
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || name.equals("__metadata__")) {
            throw new InvalidArgumentException("invalid tensor name '" + name + "' for safetensors");
        }
    }

    private static byte[] paddedHeader(ObjectNode header) {
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(header);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        // Pad with spaces so the data buffer starts 8-byte aligned (allowed by the format).
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            out[i] = ' ';
        }
        return out;
    }

    private static byte[] headerLength(long n) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array();
    }

    private static void flush(ByteBuffer buf, OutputStream os) throws IOException {
        os.write(buf.array(), 0, buf.position());
        buf.clear();
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
        while (dst.hasRemaining()) {
            int r = ch.read(dst, pos);
            if (r < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += r;
        }
    }
}
