package io.github.peft4j.core.io;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.github.peft4j.core.FileFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX model that weight conversion needs: the graph's initializers (dense F32 and
 * I64 tensors) and its nodes (op type, inputs, outputs). Read straight from the protobuf wire format
 * with {@link CodedInputStream}, so no generated ONNX classes are needed.
 *
 * <p>Field numbers are those of onnx.proto (ModelProto.graph = 7; GraphProto.node = 1,
 * initializer = 5; NodeProto input = 1, output = 2, name = 3, op_type = 4; TensorProto dims = 1,
 * data_type = 2, float_data = 4, int64_data = 7, name = 8, raw_data = 9, data_location = 14).
 */
public final class OnnxGraph {

    /** ONNX TensorProto.DataType values this reader converts. */
    static final int FLOAT = 1;
    static final int INT32 = 6;
    static final int INT64 = 7;

    /** A dense initializer; exactly one of {@code floats}/{@code longs} is set. */
    public record Tensor(String name, long[] dims, float[] floats, long[] longs) {
        public long numel() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }
    }

    /** One operator of the graph. */
    public record Node(String name, String opType, List<String> inputs, List<String> outputs) {}

    private final Map<String, Tensor> initializers;
    private final List<Node> nodes;

    private OnnxGraph(Map<String, Tensor> initializers, List<Node> nodes) {
        this.initializers = Collections.unmodifiableMap(initializers);
        this.nodes = Collections.unmodifiableList(nodes);
    }

    /** Initializers by name, in file order. */
    public Map<String, Tensor> initializers() {
        return initializers;
    }

    /** Nodes in graph (topological) order. */
    public List<Node> nodes() {
        return nodes;
    }

    /**
     * Parses a serialized ModelProto. {@code source} only names the data in error messages.
     *
     * @throws FileFormatException when the bytes are not a well-formed ONNX model or an initializer
     *                             uses a data type or storage this reader does not support
     */
    public static OnnxGraph parse(byte[] modelBytes, Path source) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(modelBytes);
            in.enableAliasing(true); // raw_data slices view the input instead of being copied twice
            in.setRecursionLimit(64);
            OnnxGraph graph = null;
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    break;
                }
                if (WireFormat.getTagFieldNumber(tag) == 7 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    int limit = in.pushLimit(in.readRawVarint32());
                    graph = parseGraph(in, source);
                    in.popLimit(limit);
                } else {
                    in.skipField(tag);
                }
            }
            if (graph == null) {
                throw new FileFormatException(source, "ONNX model has no graph (ModelProto field 7); is this an ONNX file?");
            }
            return graph;
        } catch (IOException | RuntimeException e) {
            if (e instanceof FileFormatException ffe) {
                throw ffe;
            }
            throw new FileFormatException(source, "not a readable ONNX model (" + e.getMessage()
                    + "); the file is truncated or not ONNX. Re-download it or check the path.", e);
        }
    }

    private static OnnxGraph parseGraph(CodedInputStream in, Path source) throws IOException {
        Map<String, Tensor> inits = new LinkedHashMap<>();
        List<Node> nodes = new ArrayList<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            if ((field == 1 || field == 5) && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                int limit = in.pushLimit(in.readRawVarint32());
                if (field == 1) {
                    nodes.add(parseNode(in));
                } else {
                    Tensor t = parseTensor(in, source);
                    if (inits.put(t.name(), t) != null) {
                        throw new FileFormatException(source, "ONNX graph has two initializers named '" + t.name() + "'");
                    }
                }
                in.popLimit(limit);
            } else {
                in.skipField(tag);
            }
        }
        return new OnnxGraph(inits, nodes);
    }

    private static Node parseNode(CodedInputStream in) throws IOException {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String name = "";
        String opType = "";
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> inputs.add(in.readStringRequireUtf8());
                case 2 -> outputs.add(in.readStringRequireUtf8());
                case 3 -> name = in.readStringRequireUtf8();
                case 4 -> opType = in.readStringRequireUtf8();
                default -> in.skipField(tag);
            }
        }
        return new Node(name, opType, List.copyOf(inputs), List.copyOf(outputs));
    }

    private static Tensor parseTensor(CodedInputStream in, Path source) throws IOException {
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        ByteBuffer raw = null;
        FloatList floatData = new FloatList();
        LongList intData = new LongList();
        boolean external = false;
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            int wire = WireFormat.getTagWireType(tag);
            switch (field) {
                case 1 -> {
                    if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) { // packed
                        int limit = in.pushLimit(in.readRawVarint32());
                        while (!in.isAtEnd()) {
                            dims.add(in.readInt64());
                        }
                        in.popLimit(limit);
                    } else {
                        dims.add(in.readInt64());
                    }
                }
                case 2 -> dataType = in.readInt32();
                case 4 -> {
                    if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int limit = in.pushLimit(in.readRawVarint32());
                        while (!in.isAtEnd()) {
                            floatData.add(in.readFloat());
                        }
                        in.popLimit(limit);
                    } else {
                        floatData.add(in.readFloat());
                    }
                }
                case 5, 7 -> { // int32_data (varint) and int64_data: both widen to long
                    if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int limit = in.pushLimit(in.readRawVarint32());
                        while (!in.isAtEnd()) {
                            intData.add(in.readInt64());
                        }
                        in.popLimit(limit);
                    } else {
                        intData.add(in.readInt64());
                    }
                }
                case 8 -> name = in.readStringRequireUtf8();
                case 9 -> raw = in.readByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                case 14 -> external = in.readEnum() == 1;
                default -> in.skipField(tag);
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        for (long d : shape) {
            if (d < 0) {
                throw new FileFormatException(source, "initializer '" + name + "' has negative dimension in " + Arrays.toString(shape));
            }
        }
        if (external) {
            throw new FileFormatException(source, "initializer '" + name + "' keeps its data in an external file;"
                    + " only self-contained ONNX models are supported");
        }
        long numel = 1;
        for (long d : shape) {
            numel = Math.multiplyExact(numel, d);
        }
        if (numel > Integer.MAX_VALUE) {
            throw new FileFormatException(source, "initializer '" + name + "' is too large (" + numel + " elements)");
        }
        int n = (int) numel;
        switch (dataType) {
            case FLOAT -> {
                float[] values;
                if (raw != null) {
                    checkRawSize(source, name, raw.remaining(), (long) n * 4);
                    values = new float[n];
                    raw.asFloatBuffer().get(values);
                } else {
                    values = floatData.toArray();
                    checkCount(source, name, values.length, n);
                }
                return new Tensor(name, shape, values, null);
            }
            case INT64, INT32 -> {
                long[] values;
                if (raw != null) {
                    int width = dataType == INT64 ? 8 : 4;
                    checkRawSize(source, name, raw.remaining(), (long) n * width);
                    values = new long[n];
                    if (width == 8) {
                        raw.asLongBuffer().get(values);
                    } else {
                        java.nio.IntBuffer ints = raw.asIntBuffer();
                        for (int i = 0; i < n; i++) {
                            values[i] = ints.get(i);
                        }
                    }
                } else {
                    values = intData.toArray();
                    checkCount(source, name, values.length, n);
                }
                return new Tensor(name, shape, null, values);
            }
            default -> throw new FileFormatException(source, "initializer '" + name + "' has ONNX data type " + dataType
                    + "; only FLOAT (1), INT32 (6) and INT64 (7) initializers are supported");
        }
    }

    private static void checkRawSize(Path source, String name, long actual, long expected) {
        if (actual != expected) {
            throw new FileFormatException(source, "initializer '" + name + "' has " + actual + " bytes of raw_data, expected "
                    + expected + " for its shape; the file is corrupt");
        }
    }

    private static void checkCount(Path source, String name, int actual, int expected) {
        if (actual != expected) {
            throw new FileFormatException(source, "initializer '" + name + "' holds " + actual + " values, expected "
                    + expected + " for its shape; the file is corrupt");
        }
    }

    /** Growable primitive buffers: boxing 10^7 floats into a List would cost ~20x the memory. */
    private static final class FloatList {
        private float[] data = new float[16];
        private int size;

        void add(float v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        float[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }

    private static final class LongList {
        private long[] data = new long[16];
        private int size;

        void add(long v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        long[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }
}
