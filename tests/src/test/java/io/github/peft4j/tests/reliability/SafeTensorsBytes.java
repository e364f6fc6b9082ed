package io.github.peft4j.tests.reliability;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Builds safetensors files byte by byte, independently of peft4j's writer, so the fuzzer can
 * start from valid files of every dtype the format defines and then break them on purpose.
 */
final class SafeTensorsBytes {
    static final ObjectMapper JSON = new ObjectMapper();

    /** One tensor before serialisation. */
    record Tensor(String name, String dtype, long[] shape, byte[] data) {}

    /** A serialised file and where its parts sit (for truncations at boundaries). */
    record Built(byte[] bytes, int headerLength, List<long[]> tensorRanges) {
        int dataStart() {
            return 8 + headerLength;
        }
    }

    private static final String[] DTYPES = {"F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"};

    static int elementSize(String dtype) {
        switch (dtype) {
            case "F64": case "I64": return 8;
            case "F32": case "I32": return 4;
            case "F16": case "BF16": case "I16": return 2;
            default: return 1;
        }
    }

    /** A random valid file: 1..6 tensors of random readable dtypes and shapes (incl. scalars and empties). */
    static List<Tensor> randomTensors(Random rnd) {
        int count = 1 + rnd.nextInt(6);
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String dtype = DTYPES[rnd.nextInt(DTYPES.length)];
            int rank = rnd.nextInt(4);
            long[] shape = new long[rank];
            long n = 1;
            for (int d = 0; d < rank; d++) {
                shape[d] = rnd.nextInt(10) == 0 ? 0 : 1 + rnd.nextInt(7);
                n *= shape[d];
            }
            byte[] data = new byte[(int) n * elementSize(dtype)];
            rnd.nextBytes(data);
            if (dtype.equals("BOOL")) {
                for (int b = 0; b < data.length; b++) {
                    data[b] &= 1;
                }
            }
            out.add(new Tensor("layer." + i + ".w" + (rnd.nextBoolean() ? ".weight" : ""), dtype, shape, data));
        }
        return out;
    }

    static ObjectNode header(List<Tensor> tensors, Map<String, String> metadata) {
        ObjectNode h = JSON.createObjectNode();
        if (metadata != null) {
            ObjectNode m = h.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Tensor t : tensors) {
            ObjectNode e = h.putObject(t.name());
            e.put("dtype", t.dtype());
            ArrayNode s = e.putArray("shape");
            for (long d : t.shape()) {
                s.add(d);
            }
            ArrayNode o = e.putArray("data_offsets");
            o.add(offset);
            o.add(offset + t.data().length);
            offset += t.data().length;
        }
        return h;
    }

    static Built build(List<Tensor> tensors, Map<String, String> metadata) {
        return build(header(tensors, metadata).toString().getBytes(StandardCharsets.UTF_8), tensors);
    }

    /** Any header bytes (valid or not) followed by the tensors' data in order. */
    static Built build(byte[] headerJson, List<Tensor> tensors) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(lengthField(headerJson.length));
        out.writeBytes(headerJson);
        List<long[]> ranges = new ArrayList<>();
        long pos = 8 + headerJson.length;
        for (Tensor t : tensors) {
            ranges.add(new long[] {pos, pos + t.data().length});
            out.writeBytes(t.data());
            pos += t.data().length;
        }
        return new Built(out.toByteArray(), headerJson.length, ranges);
    }

    static byte[] lengthField(long n) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array();
    }

    static Map<String, String> someMetadata(Random rnd) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        if (rnd.nextBoolean()) {
            m.put("base_model", "org/model-" + rnd.nextInt(100));
        }
        return m;
    }

    private SafeTensorsBytes() {}
}
