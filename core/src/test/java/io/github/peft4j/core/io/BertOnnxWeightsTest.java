package io.github.peft4j.core.io;

import com.google.protobuf.CodedOutputStream;
import io.github.peft4j.core.FileFormatException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BertOnnxWeightsTest {

    @Test
    void embeddedMiniLmMapsEveryMatMulThroughTheGraph() throws IOException {
        byte[] bytes;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
            bytes = in.readAllBytes();
        }
        OnnxGraph graph = OnnxGraph.parse(bytes, Path.of("all-minilm-l6-v2.onnx"));
        assertEquals(102, graph.initializers().size());
        assertEquals(48, graph.nodes().stream().filter(n -> n.opType().equals("MatMul")).count());

        Map<String, BertOnnxWeights.Weight> w = BertOnnxWeights.toHuggingFace(graph, Path.of("x.onnx"));
        assertEquals(5 + 6 * 16, w.size());
        assertFalse(w.containsKey("embeddings.position_ids"));
        assertArrayEquals(new long[] {30522, 384}, w.get("embeddings.word_embeddings.weight").shape());
        assertArrayEquals(new long[] {1536, 384}, w.get("encoder.layer.3.intermediate.dense.weight").shape());
        assertArrayEquals(new long[] {384, 1536}, w.get("encoder.layer.5.output.dense.weight").shape());

        // The MatMul node named /encoder/layer.0/attention/self/value/MatMul reads onnx::MatMul_791
        // [in=384, out=384]; HF value.weight[o][i] must equal it at [i][o].
        OnnxGraph.Tensor v0 = graph.initializers().get("onnx::MatMul_791");
        float[] hf = w.get("encoder.layer.0.attention.self.value.weight").data();
        for (int[] oi : new int[][] {{0, 1}, {5, 300}, {383, 7}, {200, 200}}) {
            assertEquals(v0.floats()[oi[1] * 384 + oi[0]], hf[oi[0] * 384 + oi[1]], 0f);
        }
        // 799 is layer 0's ffn-out [1536, 384] -> HF [384, 1536].
        float[] out0 = w.get("encoder.layer.0.output.dense.weight").data();
        assertEquals(graph.initializers().get("onnx::MatMul_799").floats()[1000 * 384 + 17], out0[17 * 1536 + 1000], 0f);
        // LayerNorm gammas of a trained model are not all ones: a sanity check that data was read.
        float[] gamma = w.get("encoder.layer.2.output.LayerNorm.weight").data();
        assertTrue(Arrays.stream(box(gamma)).anyMatch(g -> Math.abs(g - 1f) > 0.01f));
    }

    @Test
    void mappingFollowsGraphNotInitializerOrder() {
        // Two Linears whose anonymous weights are listed in the opposite order of their use.
        float[] wKey = {1, 2, 3, 4, 5, 6};   // [in=2, out=3]
        float[] wQuery = {7, 8, 9, 10, 11, 12};
        byte[] model = model(
                List.of(tensor("onnx::MatMul_2", new long[] {2, 3}, wKey, true),
                        tensor("onnx::MatMul_1", new long[] {2, 3}, wQuery, false),
                        tensor("q.bias", new long[] {3}, new float[] {0, 0, 0}, true),
                        tensor("k.bias", new long[] {3}, new float[] {0, 0, 0}, false)),
                List.of(node("MatMul", List.of("x", "onnx::MatMul_1"), "mq"),
                        node("Add", List.of("q.bias", "mq"), "aq"),
                        node("MatMul", List.of("x", "onnx::MatMul_2"), "mk"),
                        node("Add", List.of("mk", "k.bias"), "ak")));
        OnnxGraph g = OnnxGraph.parse(model, Path.of("tiny.onnx"));
        assertArrayEquals(new long[] {2, 3}, g.initializers().get("onnx::MatMul_2").dims());
        assertArrayEquals(wKey, g.initializers().get("onnx::MatMul_2").floats());   // raw_data path
        assertArrayEquals(wQuery, g.initializers().get("onnx::MatMul_1").floats()); // float_data path

        assertEquals(Map.of("onnx::MatMul_1", "q.weight", "onnx::MatMul_2", "k.weight"),
                BertOnnxWeights.linearWeightNames(g, Path.of("tiny.onnx")));
        // Not a full BertModel: the conversion refuses it and names what is missing.
        FileFormatException e = assertThrows(FileFormatException.class, () -> BertOnnxWeights.toHuggingFace(g, Path.of("tiny.onnx")));
        assertTrue(e.getMessage().contains("embeddings.word_embeddings.weight"), e.getMessage());
    }

    @Test
    void transposeIsRowMajor() {
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, BertOnnxWeights.transpose(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
    }

    @Test
    void matMulWithoutNamedBiasIsRejected() {
        byte[] model = model(List.of(tensor("onnx::MatMul_1", new long[] {2, 3}, new float[6], true)),
                List.of(node("MatMul", List.of("x", "onnx::MatMul_1"), "y")));
        FileFormatException e = assertThrows(FileFormatException.class,
                () -> BertOnnxWeights.toHuggingFace(OnnxGraph.parse(model, Path.of("m.onnx")), Path.of("m.onnx")));
        assertTrue(e.getMessage().contains("not followed by an Add with a named bias"), e.getMessage());
    }

    @Test
    void corruptBytesGiveFileFormatException() {
        byte[] good = model(List.of(tensor("a", new long[] {4}, new float[] {1, 2, 3, 4}, true)), List.of());
        Path p = Path.of("bad.onnx");
        assertThrows(FileFormatException.class, () -> OnnxGraph.parse(Arrays.copyOf(good, good.length - 5), p));
        assertThrows(FileFormatException.class, () -> OnnxGraph.parse(new byte[] {(byte) 0xff, (byte) 0xff, 1, 2, 3}, p));
        FileFormatException noGraph = assertThrows(FileFormatException.class, () -> OnnxGraph.parse(new byte[0], p));
        assertTrue(noGraph.getMessage().contains("no graph"));
        // raw_data shorter than the shape says
        byte[] lying = model(List.of(tensor("a", new long[] {5}, new float[] {1, 2, 3, 4}, true)), List.of());
        FileFormatException e = assertThrows(FileFormatException.class, () -> OnnxGraph.parse(lying, p));
        assertTrue(e.getMessage().contains("16 bytes of raw_data, expected 20"), e.getMessage());
    }

    @Test
    void mutatedModelsParseOrFailCleanly() {
        byte[] good = model(
                List.of(tensor("onnx::MatMul_1", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}, true),
                        tensor("q.bias", new long[] {3}, new float[] {0.5f, 0, -1}, false)),
                List.of(node("MatMul", List.of("x", "onnx::MatMul_1"), "mq"), node("Add", List.of("q.bias", "mq"), "aq")));
        java.util.Random rnd = new java.util.Random(42);
        int parsed = 0;
        int rejected = 0;
        for (int round = 0; round < 500; round++) {
            byte[] bad = good.clone();
            if (round % 3 == 0) {
                bad = Arrays.copyOf(bad, rnd.nextInt(bad.length));
            } else {
                for (int i = 0; i <= round % 4; i++) {
                    bad[rnd.nextInt(bad.length)] = (byte) rnd.nextInt(256);
                }
            }
            try {
                OnnxGraph g = OnnxGraph.parse(bad, Path.of("fuzz.onnx"));
                for (OnnxGraph.Tensor t : g.initializers().values()) {
                    assertEquals(t.numel(), t.floats() != null ? t.floats().length : t.longs().length);
                }
                parsed++;
            } catch (FileFormatException e) {
                assertTrue(e.getMessage().contains("fuzz.onnx"), e.getMessage());
                rejected++;
            }
        }
        assertTrue(rejected > 100 && parsed > 10, parsed + " parsed, " + rejected + " rejected");
    }

    // ---- a minimal ONNX writer for the tests (field numbers from onnx.proto) ----

    private static byte[] tensor(String name, long[] dims, float[] values, boolean raw) {
        return serialize(out -> {
            for (long d : dims) {
                out.writeInt64(1, d);
            }
            out.writeInt32(2, OnnxGraph.FLOAT);
            out.writeString(8, name);
            if (raw) {
                ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(values);
                out.writeByteArray(9, b.array());
            } else {
                ByteArrayOutputStream packed = new ByteArrayOutputStream();
                CodedOutputStream p = CodedOutputStream.newInstance(packed);
                for (float v : values) {
                    p.writeFloatNoTag(v);
                }
                p.flush();
                out.writeByteArray(4, packed.toByteArray());
            }
        });
    }

    private static byte[] node(String op, List<String> inputs, String output) {
        return serialize(out -> {
            for (String i : inputs) {
                out.writeString(1, i);
            }
            out.writeString(2, output);
            out.writeString(3, "/" + output);
            out.writeString(4, op);
        });
    }

    private static byte[] model(List<byte[]> initializers, List<byte[]> nodes) {
        byte[] graph = serialize(out -> {
            for (byte[] n : nodes) {
                out.writeByteArray(1, n);
            }
            out.writeString(2, "g");
            for (byte[] t : initializers) {
                out.writeByteArray(5, t);
            }
        });
        return serialize(out -> {
            out.writeInt64(1, 6);
            out.writeByteArray(7, graph);
        });
    }

    interface Writer {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] serialize(Writer w) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            w.write(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Float[] box(float[] a) {
        Float[] b = new Float[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
        return b;
    }
}
