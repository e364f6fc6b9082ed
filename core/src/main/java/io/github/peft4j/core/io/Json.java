package io.github.peft4j.core.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.github.peft4j.core.FileFormatException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The one Jackson configuration peft4j reads small JSON files with (config.json, adapter configs,
 * tokenizer_config.json, hub index files). Limits keep a hostile or broken file from exhausting
 * the stack or heap; every problem becomes a {@link FileFormatException} naming the file and,
 * where known, the field.
 */
public final class Json {
    /** Deeper nesting than any real config; a stack-overflow guard. */
    public static final int MAX_NESTING_DEPTH = 200;
    /** config.json files are a few KB; a sharded index of a 70B model is ~100 KB. */
    public static final long MAX_DOCUMENT_BYTES = 64L << 20;
    public static final int MAX_STRING_LENGTH = 16 << 20;
    public static final int MAX_NUMBER_LENGTH = 1000;

    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_NESTING_DEPTH)
                            .maxDocumentLength(MAX_DOCUMENT_BYTES)
                            .maxStringLength(MAX_STRING_LENGTH)
                            .maxNumberLength(MAX_NUMBER_LENGTH)
                            .build())
                    .build())
            .enable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES) // configs grow fields over versions
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private Json() {}

    /** The shared, thread-safe mapper (do not reconfigure it). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Reads a JSON file into a tree; the root must be an object. */
    public static JsonNode readTree(Path file) {
        JsonNode root = parse(file, null);
        if (root == null || !root.isObject()) {
            throw new FileFormatException(file, "expected a JSON object at the top level, found "
                    + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        }
        return root;
    }

    /** Reads a JSON file into {@code type} (records and POJOs; unknown fields are ignored). */
    public static <T> T read(Path file, Class<T> type) {
        return parse(file, type);
    }

    /** Parses JSON text that did not come from a file; {@code origin} names it in errors (may be null). */
    public static JsonNode readTree(String text, Path origin) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw wrap(origin, e);
        }
    }

    /** Pretty-printed JSON text of a value (a Map, a record, a JsonNode). */
    public static String toJson(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass().getName(), e);
        }
    }

    private static <T> T parse(Path file, Class<T> type) {
        try {
            long size = Files.size(file);
            if (size > MAX_DOCUMENT_BYTES) {
                throw new FileFormatException(file, "JSON file is " + size + " bytes, more than the limit of "
                        + MAX_DOCUMENT_BYTES + "; is this really a config file?");
            }
            try (InputStream in = Files.newInputStream(file)) {
                if (type == null) {
                    @SuppressWarnings("unchecked")
                    T tree = (T) MAPPER.readTree(in);
                    return tree;
                }
                return MAPPER.readValue(in, type);
            }
        } catch (NoSuchFileException e) {
            throw new FileFormatException(file, "file not found; check the path (a model folder needs config.json)");
        } catch (JsonProcessingException e) {
            throw wrap(file, e);
        } catch (IOException e) {
            throw new FileFormatException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    private static FileFormatException wrap(Path file, JsonProcessingException e) {
        StringBuilder msg = new StringBuilder("invalid JSON");
        if (e instanceof JsonMappingException jme && !jme.getPath().isEmpty()) {
            msg.append(" at field '").append(fieldPath(jme)).append('\'');
        }
        if (e.getLocation() != null && e.getLocation().getLineNr() > 0) {
            msg.append(" (line ").append(e.getLocation().getLineNr())
                    .append(", column ").append(e.getLocation().getColumnNr()).append(')');
        }
        msg.append(": ").append(e.getOriginalMessage());
        return new FileFormatException(file, msg.toString(), e);
    }

    private static String fieldPath(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    // ---- typed access to tree fields, with errors that name the file and the field ----

    /** A required integer field. */
    public static int requireInt(JsonNode obj, String field, Path file) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            throw new FileFormatException(file, "required field '" + field + "' is missing");
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new FileFormatException(file, "field '" + field + "' must be an integer, found " + abbreviate(v));
        }
        return v.intValue();
    }

    /** An optional integer field. */
    public static int optInt(JsonNode obj, String field, int fallback, Path file) {
        JsonNode v = obj.get(field);
        return v == null || v.isNull() ? fallback : requireInt(obj, field, file);
    }

    /** An optional number field. */
    public static double optDouble(JsonNode obj, String field, double fallback, Path file) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber()) {
            throw new FileFormatException(file, "field '" + field + "' must be a number, found " + abbreviate(v));
        }
        return v.doubleValue();
    }

    /** A required string field. */
    public static String requireString(JsonNode obj, String field, Path file) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            throw new FileFormatException(file, "required field '" + field + "' is missing");
        }
        if (!v.isTextual()) {
            throw new FileFormatException(file, "field '" + field + "' must be a string, found " + abbreviate(v));
        }
        return v.textValue();
    }

    /** An optional string field. */
    public static String optString(JsonNode obj, String field, String fallback, Path file) {
        JsonNode v = obj.get(field);
        return v == null || v.isNull() ? fallback : requireString(obj, field, file);
    }

    /** An optional boolean field. */
    public static boolean optBoolean(JsonNode obj, String field, boolean fallback, Path file) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw new FileFormatException(file, "field '" + field + "' must be true or false, found " + abbreviate(v));
        }
        return v.booleanValue();
    }

    private static String abbreviate(JsonNode v) {
        String s = v.toString();
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}
