package io.github.peft4j.tests.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.core.models.Batch;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/** The parity fixtures written by tests/fixtures/make_fixtures.py (see its docstring for the tensor names). */
final class Fixtures {
    private Fixtures() {}

    static Path folder(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/" + name + "/reference.safetensors").toURI()).getParent();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("fixture " + name + " missing: run tests/fixtures/make_fixtures.py", e);
        }
    }

    /** Copies a fixture folder to {@code dst} with an edited config.json (for bad-input and config-variant tests). */
    static Path copyWithConfig(String name, Path dst, java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> edit)
            throws java.io.IOException {
        java.nio.file.Files.createDirectories(dst);
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(folder(name))) {
            for (Path f : files.toList()) {
                java.nio.file.Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode config =
                (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(dst.resolve("config.json").toFile());
        edit.accept(config);
        json.writeValue(dst.resolve("config.json").toFile(), config);
        return dst;
    }

    static Map<String, NDArray> reference(String name, NDManager m) {
        return SafeTensors.load(folder(name).resolve("reference.safetensors"), m);
    }

    static Batch batch(Map<String, NDArray> ref, String side) {
        return new Batch(ref.get(side + ".input_ids"), ref.get(side + ".attention_mask"), ref.get(side + ".token_type_ids"), null);
    }

    /**
     * Largest |a − b| over the positions the mask marks as real tokens; a and b are [B, T, ...]
     * (mask [B, T]) or, with mask null, compared everywhere.
     */
    static double maxDiff(NDArray a, NDArray b, NDArray mask) {
        if (!a.getShape().equals(b.getShape())) {
            throw new AssertionError("shape " + a.getShape() + " != reference " + b.getShape());
        }
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        long[] m = mask == null ? null : mask.toLongArray();
        int perPosition = m == null ? 1 : x.length / m.length;
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            if (m != null && m[i / perPosition] == 0) {
                continue;
            }
            double d = Math.abs(x[i] - y[i]);
            if (Double.isNaN(d)) {
                return Double.POSITIVE_INFINITY;
            }
            max = Math.max(max, d);
        }
        return max;
    }
}
