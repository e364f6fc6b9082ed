package io.github.peft4j.core.methods;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.AdapterMismatchException;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.io.AtomicFiles;
import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.models.Model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * {@code adapter_config.json} reading/writing and the checks every loader shares: the base
 * fingerprint (warn, or fail when strict) and parameter names/shapes (always fail).
 */
public final class AdapterConfigs {
    public static final String CONFIG_FILE = "adapter_config.json";
    /** Version written into every saved adapter. */
    public static final String PEFT4J_VERSION = versionOrDefault();

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AdapterConfigs() {}

    private static String versionOrDefault() {
        String v = AdapterConfigs.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-SNAPSHOT";
    }

    public static ObjectNode newConfig() {
        return JSON.createObjectNode();
    }

    /** Fields every peft4j adapter records about its base (our own keys, outside PEFT's schema). */
    public static void putBase(ObjectNode node, BaseAdapter adapter) {
        Model model = adapter.model();
        node.put("base_architecture", model.architecture());
        node.put("base_fingerprint", adapter.baseFingerprint());
        node.put("peft4j_version", PEFT4J_VERSION);
        ArrayNode head = node.putArray("head_parameters");
        adapter.headNames().forEach(head::add);
    }

    public static void putShape(ObjectNode shapes, String name, Shape shape) {
        ArrayNode a = shapes.putArray(name);
        for (long d : shape.getShape()) {
            a.add(d);
        }
    }

    /** Writes the config JSON into {@code dir} (used inside an atomic directory write). */
    public static void write(Path dir, ObjectNode config) throws IOException {
        Files.writeString(dir.resolve(CONFIG_FILE), JSON.writeValueAsString(config));
    }

    public static ObjectNode read(Path dir) {
        Path file = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new FileFormatException(file, "no " + CONFIG_FILE + " here; pass the folder an adapter was saved into.");
        }
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (!(n instanceof ObjectNode)) {
                throw new FileFormatException(file, "expected a JSON object.");
            }
            return (ObjectNode) n;
        } catch (IOException e) {
            throw new FileFormatException(file, "not valid JSON: " + e.getMessage(), e);
        }
    }

    /** A required field, or a FileFormatException naming it. */
    public static JsonNode require(ObjectNode config, Path dir, String field) {
        JsonNode n = config.get(field);
        if (n == null || n.isNull()) {
            throw new FileFormatException(dir.resolve(CONFIG_FILE), "missing field '" + field + "'.");
        }
        return n;
    }

    /**
     * Compares the recorded base fingerprint with the model's. A different base usually means a
     * different checkpoint: warn on stderr, or throw when {@code strict}.
     */
    public static void checkFingerprint(String recorded, Model model, Path dir, boolean strict) {
        if (recorded == null || recorded.isEmpty()) {
            return;
        }
        String actual = model.parameters().fingerprint(model.headParameters());
        if (!recorded.equals(actual)) {
            String msg = "The adapter in " + dir + " was trained on base weights with fingerprint " + recorded
                    + " but " + model.modelId() + " has fingerprint " + actual
                    + ". Results may be wrong: load it onto the base model it was trained on.";
            if (strict) {
                throw new AdapterMismatchException(msg);
            }
            System.err.println("peft4j warning: " + msg);
        }
    }

    /** Fails unless {@code model} has parameter {@code name} with exactly {@code shape}. */
    public static void checkParameter(Model model, String name, long[] shape, Path dir) {
        if (!model.parameters().contains(name)) {
            throw new AdapterMismatchException("The adapter in " + dir + " adapts '" + name + "', which "
                    + model.modelId() + " does not have. It was trained on a different architecture. Parameters of this"
                    + " model: " + model.parameters().describeNames(20));
        }
        long[] actual = model.parameters().shape(name).getShape();
        if (!Arrays.equals(actual, shape)) {
            throw new AdapterMismatchException("The adapter in " + dir + " expects '" + name + "' with shape "
                    + Arrays.toString(shape) + " but " + model.modelId() + " has " + Arrays.toString(actual)
                    + ". Load it onto the model size it was trained on.");
        }
    }

    /** Reads a [dims] JSON array of longs. */
    public static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    /** Checks the head tensors in a file against the model's head and copies them in. */
    public static void checkHead(Model model, Map<String, HostTensor> fileHead, Path dir) {
        for (String name : model.headParameters()) {
            HostTensor t = fileHead.get(name);
            if (t == null) {
                throw new AdapterMismatchException("The adapter in " + dir + " has no tensor for the head parameter '"
                        + name + "' of " + model.modelId() + ". It was saved for a model with a different head"
                        + " (task or number of labels); found head tensors " + fileHead.keySet() + ".");
            }
            checkParameter(model, name, t.shape(), dir);
        }
        for (String name : fileHead.keySet()) {
            if (!model.headParameters().contains(name)) {
                throw new AdapterMismatchException("The adapter in " + dir + " carries head parameter '" + name + "' but "
                        + model.modelId() + " has head " + model.headParameters() + ". Load the model with the same"
                        + " task head (e.g. the same number of labels).");
            }
        }
    }

    /** Host copy of an array, for safetensors writing. */
    public static HostTensor host(NDArray a) {
        return HostTensor.of(a);
    }

    /** Writes a whole adapter folder atomically. */
    public static void writeFolder(Path dir, io.github.peft4j.core.io.IoConsumer<Path> fill) {
        AtomicFiles.writeDirectory(dir, fill);
    }
}
