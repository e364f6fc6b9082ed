package io.github.peft4j.core.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.FileFormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A model's HF {@code config.json}, read with Jackson. Typed getters accept the several names a field
 * has had across transformers versions (e.g. {@code rotary_pct} vs
 * {@code rope_parameters.partial_rotary_factor}); a missing required field is a
 * {@link FileFormatException} naming the file and the field.
 */
public final class ModelConfig {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final ObjectNode root;

    public ModelConfig(Path file, ObjectNode root) {
        this.file = file;
        this.root = root;
    }

    /** Reads and parses {@code config.json}; problems become {@link FileFormatException}s. */
    public static ModelConfig read(Path file) {
        try {
            JsonNode node = JSON.readTree(Files.readString(file));
            if (node == null || !node.isObject()) {
                throw new FileFormatException(file, "config.json must hold a JSON object, found " + (node == null ? "nothing" : node.getNodeType()));
            }
            return new ModelConfig(file, (ObjectNode) node);
        } catch (NoSuchFileException e) {
            throw new FileFormatException(file, "config.json not found; an HF model folder needs config.json next to model.safetensors");
        } catch (IOException e) {
            throw new FileFormatException(file, "config.json is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** A config built in code (tests, synthetic models). */
    public static ModelConfig of(String json) {
        try {
            return new ModelConfig(null, (ObjectNode) JSON.readTree(json));
        } catch (IOException | ClassCastException e) {
            throw new FileFormatException(null, "config is not a JSON object: " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    public JsonNode json() {
        return root.deepCopy();
    }

    public String modelType() {
        return requireString("model_type");
    }

    /** The first of {@code names} that is present (dots address nested objects: "rope_parameters.rope_theta"). */
    private JsonNode find(String... names) {
        for (String name : names) {
            JsonNode n = root;
            for (String part : name.split("\\.")) {
                n = n == null ? null : n.get(part);
            }
            if (n != null && !n.isNull()) {
                return n;
            }
        }
        return null;
    }

    public boolean has(String... names) {
        return find(names) != null;
    }

    public int requireInt(String... names) {
        JsonNode n = find(names);
        if (n == null) {
            throw missing(names);
        }
        if (!n.canConvertToInt() || !n.isIntegralNumber()) {
            throw new FileFormatException(file, "field '" + names[0] + "' must be an integer, found " + n);
        }
        int v = n.intValue();
        if (v <= 0) {
            throw new FileFormatException(file, "field '" + names[0] + "' must be positive, found " + v);
        }
        return v;
    }

    public int optInt(int fallback, String... names) {
        JsonNode n = find(names);
        if (n == null) {
            return fallback;
        }
        if (!n.isIntegralNumber()) {
            throw new FileFormatException(file, "field '" + names[0] + "' must be an integer, found " + n);
        }
        return n.intValue();
    }

    public double optDouble(double fallback, String... names) {
        JsonNode n = find(names);
        if (n == null) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw new FileFormatException(file, "field '" + names[0] + "' must be a number, found " + n);
        }
        return n.doubleValue();
    }

    public boolean optBool(boolean fallback, String... names) {
        JsonNode n = find(names);
        if (n == null) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw new FileFormatException(file, "field '" + names[0] + "' must be true or false, found " + n);
        }
        return n.booleanValue();
    }

    public String requireString(String... names) {
        return optString(names).orElseThrow(() -> missing(names));
    }

    public Optional<String> optString(String... names) {
        JsonNode n = find(names);
        if (n == null) {
            return Optional.empty();
        }
        if (!n.isTextual()) {
            throw new FileFormatException(file, "field '" + names[0] + "' must be a string, found " + n);
        }
        return Optional.of(n.textValue());
    }

    /** A token id field; lists (several eos ids) yield their first entry. */
    public Optional<Long> optTokenId(String name) {
        JsonNode n = find(name);
        if (n != null && n.isArray()) {
            n = n.size() == 0 ? null : n.get(0);
        }
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isIntegralNumber()) {
            throw new FileFormatException(file, "field '" + name + "' must be an integer token id, found " + n);
        }
        return Optional.of(n.longValue());
    }

    /** Every id of a token-id field that may be a number or a list (Llama 3 has three eos ids). */
    public java.util.Set<Long> tokenIds(String name) {
        JsonNode n = find(name);
        java.util.Set<Long> ids = new java.util.LinkedHashSet<>();
        if (n == null) {
            return ids;
        }
        for (JsonNode id : n.isArray() ? n : java.util.List.of(n)) {
            if (!id.isIntegralNumber()) {
                throw new FileFormatException(file, "field '" + name + "' must hold integer token ids, found " + n);
            }
            ids.add(id.longValue());
        }
        return ids;
    }

    /** The object under {@code name}, or an empty object. */
    public JsonNode object(String... names) {
        JsonNode n = find(names);
        if (n == null) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!n.isObject()) {
            throw new FileFormatException(file, "field '" + names[0] + "' must be a JSON object, found " + n);
        }
        return n;
    }

    /** Number of labels as HF derives it: {@code id2label} size, else {@code num_labels}, else 0. */
    public int numLabels() {
        JsonNode id2label = find("id2label");
        if (id2label != null && id2label.isObject() && id2label.size() > 0) {
            return id2label.size();
        }
        return optInt(0, "num_labels");
    }

    FileFormatException missing(String... names) {
        String alternatives = names.length == 1 ? "" : " (or " + String.join(" / ", java.util.Arrays.copyOfRange(names, 1, names.length)) + ")";
        String type = root.hasNonNull("model_type") ? root.get("model_type").asText() : "?";
        return new FileFormatException(file, "required field '" + names[0] + "'" + alternatives + " is missing for model_type '" + type
                + "'. Add it to config.json (transformers' save_pretrained writes it) or re-download the model.");
    }

    /** The problem-naming exception for this file (used by architectures validating their fields). */
    public FileFormatException invalid(String problem) {
        return new FileFormatException(file, problem);
    }

    @Override
    public String toString() {
        return root.toString();
    }
}
