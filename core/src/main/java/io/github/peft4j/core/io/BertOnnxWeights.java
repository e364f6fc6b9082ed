package io.github.peft4j.core.io;

import io.github.peft4j.core.FileFormatException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the initializers of a BERT encoder exported to ONNX by torch.onnx / HF optimum back into
 * HF {@code BertModel} checkpoint names and layouts.
 *
 * <p>The exporter keeps names for biases, LayerNorm and embedding tensors but stores every
 * {@code nn.Linear} weight pre-transposed ([in, out]) under an anonymous name such as
 * {@code onnx::MatMul_787}. Which Linear such a weight belongs to is read from the graph, not guessed
 * from its position: the weight feeds a {@code MatMul} whose output is consumed by an {@code Add}
 * with a named bias ({@code encoder.layer.0.attention.self.query.bias}), so the weight is that
 * bias's {@code .weight} sibling. It is transposed to HF's [out, in].
 */
public final class BertOnnxWeights {
    private BertOnnxWeights() {}

    /** A converted float tensor in HF layout (row-major). */
    public record Weight(long[] shape, float[] data) {}

    /** Per-layer tensor suffixes of HF BertLayer, used to check that a conversion is complete. */
    static final List<String> LAYER_SUFFIXES = List.of(
            "attention.self.query.weight", "attention.self.query.bias",
            "attention.self.key.weight", "attention.self.key.bias",
            "attention.self.value.weight", "attention.self.value.bias",
            "attention.output.dense.weight", "attention.output.dense.bias",
            "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
            "intermediate.dense.weight", "intermediate.dense.bias",
            "output.dense.weight", "output.dense.bias",
            "output.LayerNorm.weight", "output.LayerNorm.bias");

    static final List<String> EMBEDDING_NAMES = List.of(
            "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
            "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias");

    /**
     * HF-named weights in a stable order (embeddings, then each layer in {@link #LAYER_SUFFIXES}
     * order). Buffers that are not weights ({@code embeddings.position_ids}) are dropped.
     *
     * @throws FileFormatException when a MatMul weight cannot be tied to a named bias, two weights map
     *                             to one name, or a tensor of a complete BertModel is missing
     */
    public static Map<String, Weight> toHuggingFace(OnnxGraph graph, Path source) {
        Map<String, OnnxGraph.Tensor> inits = graph.initializers();
        Map<String, Weight> byName = new HashMap<>();
        for (OnnxGraph.Tensor t : inits.values()) {
            if (t.name().equals("embeddings.position_ids")) {
                continue; // an index buffer (0..511), not a parameter; HF recreates it
            }
            if (t.floats() == null) {
                throw new FileFormatException(source, "initializer '" + t.name() + "' is not a float tensor; not a BERT weight");
            }
            if (!isAnonymous(t.name())) {
                put(byName, t.name(), new Weight(t.dims(), t.floats()), source);
            }
        }
        for (Map.Entry<String, String> e : linearWeightNames(graph, source).entrySet()) {
            OnnxGraph.Tensor w = inits.get(e.getKey());
            int in = (int) w.dims()[0];
            int out = (int) w.dims()[1];
            put(byName, e.getValue(), new Weight(new long[] {out, in}, transpose(w.floats(), in, out)), source);
        }
        return ordered(byName, source);
    }

    /**
     * ONNX initializer name of each MatMul weight to the HF name of the Linear it belongs to, found
     * by following the MatMul's output to the Add that adds a named bias.
     */
    static Map<String, String> linearWeightNames(OnnxGraph graph, Path source) {
        Map<String, OnnxGraph.Tensor> inits = graph.initializers();
        Map<String, List<OnnxGraph.Node>> consumers = new HashMap<>();
        for (OnnxGraph.Node node : graph.nodes()) {
            for (String input : node.inputs()) {
                consumers.computeIfAbsent(input, k -> new ArrayList<>()).add(node);
            }
        }
        Map<String, String> names = new LinkedHashMap<>();
        for (OnnxGraph.Node node : graph.nodes()) {
            if (!node.opType().equals("MatMul") || node.inputs().size() != 2) {
                continue;
            }
            OnnxGraph.Tensor w = inits.get(node.inputs().get(1));
            if (w == null) {
                continue; // activation x activation (attention scores), no weight
            }
            if (w.dims().length != 2 || w.floats() == null) {
                throw new FileFormatException(source, "MatMul weight '" + w.name() + "' is not a 2-D float matrix");
            }
            String bias = biasAddedTo(node.outputs().get(0), consumers, inits);
            if (bias == null || !bias.endsWith(".bias")) {
                throw new FileFormatException(source, "MatMul node '" + node.name() + "' (weight '" + w.name()
                        + "') is not followed by an Add with a named bias, so its HF name is unknown;"
                        + " this ONNX export is not a plain BERT encoder");
            }
            if (inits.get(bias).numel() != w.dims()[1]) {
                throw new FileFormatException(source, "weight '" + w.name() + "' " + Arrays.toString(w.dims())
                        + " does not match bias '" + bias + "' of " + inits.get(bias).numel() + " values");
            }
            String hfName = bias.substring(0, bias.length() - ".bias".length()) + ".weight";
            if (names.put(w.name(), hfName) != null) {
                throw new FileFormatException(source, "weight '" + w.name() + "' is used by two MatMul nodes; not a plain BERT encoder");
            }
        }
        return names;
    }

    /** The named bias initializer of the first Add that consumes {@code value}, or null. */
    private static String biasAddedTo(String value, Map<String, List<OnnxGraph.Node>> consumers,
                                      Map<String, OnnxGraph.Tensor> inits) {
        for (OnnxGraph.Node n : consumers.getOrDefault(value, List.of())) {
            if (n.opType().equals("Add")) {
                for (String other : n.inputs()) {
                    if (!other.equals(value) && inits.containsKey(other) && !isAnonymous(other)) {
                        return other;
                    }
                }
            }
        }
        return null;
    }

    private static boolean isAnonymous(String name) {
        return name.startsWith("onnx::") || name.startsWith("/");
    }

    private static void put(Map<String, Weight> byName, String name, Weight w, Path source) {
        if (byName.put(name, w) != null) {
            throw new FileFormatException(source, "two ONNX tensors map to the HF name '" + name + "'");
        }
    }

    /** [rows, cols] row-major to [cols, rows] row-major. */
    static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[base + c];
            }
        }
        return t;
    }

    /** Embeddings then layers in HF order; fails when the set is not exactly a full BertModel. */
    private static Map<String, Weight> ordered(Map<String, Weight> byName, Path source) {
        Map<String, Weight> out = new LinkedHashMap<>();
        for (String n : EMBEDDING_NAMES) {
            out.put(n, require(byName, n, source));
        }
        int layers = 0;
        while (byName.containsKey("encoder.layer." + layers + ".attention.self.query.weight")) {
            layers++;
        }
        if (layers == 0) {
            throw new FileFormatException(source, "no encoder.layer.0 weights found; not a BERT encoder");
        }
        for (int i = 0; i < layers; i++) {
            for (String suffix : LAYER_SUFFIXES) {
                String n = "encoder.layer." + i + "." + suffix;
                out.put(n, require(byName, n, source));
            }
        }
        for (String n : byName.keySet()) {
            if (!out.containsKey(n) && !n.startsWith("pooler.")) {
                throw new FileFormatException(source, "unexpected tensor '" + n + "' for a " + layers + "-layer BertModel");
            }
            out.putIfAbsent(n, byName.get(n));
        }
        return out;
    }

    private static Weight require(Map<String, Weight> byName, String name, Path source) {
        Weight w = byName.get(name);
        if (w == null) {
            throw new FileFormatException(source, "BERT tensor '" + name + "' is missing from the ONNX model");
        }
        return w;
    }
}
