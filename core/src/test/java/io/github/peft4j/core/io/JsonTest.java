package io.github.peft4j.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.core.FileFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {
    @TempDir
    Path tmp;

    record LoraConfig(int r, double lora_alpha, List<String> target_modules) {}

    Path write(String name, String text) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void readsTreesAndRecordsIgnoringUnknownFields() throws IOException {
        Path cfg = write("config.json", "{\"hidden_size\": 384, \"layer_norm_eps\": 1e-12, \"model_type\": \"bert\","
                + " \"is_decoder\": false, \"new_field_from_2027\": {\"x\": 1}}");
        JsonNode root = Json.readTree(cfg);
        assertEquals(384, Json.requireInt(root, "hidden_size", cfg));
        assertEquals(1e-12, Json.optDouble(root, "layer_norm_eps", 0, cfg), 0);
        assertEquals("bert", Json.requireString(root, "model_type", cfg));
        assertFalse(Json.optBoolean(root, "is_decoder", true, cfg));
        assertEquals(12, Json.optInt(root, "num_attention_heads", 12, cfg));

        Path lora = write("adapter_config.json", "{\"r\": 8, \"lora_alpha\": 16, \"target_modules\": [\"value\", \"dense\"], \"peft_type\": \"LORA\"}");
        assertEquals(new LoraConfig(8, 16.0, List.of("value", "dense")), Json.read(lora, LoraConfig.class));
        assertEquals(Map.of("a", 1), Json.mapper().readValue(Json.toJson(Map.of("a", 1)), Map.class));
    }

    @Test
    void wrongTypesNameTheFileAndField() throws IOException {
        Path cfg = write("config.json", "{\"hidden_size\": \"big\", \"vocab_size\": 3.5, \"model_type\": 7}");
        JsonNode root = Json.readTree(cfg);
        FileFormatException e = assertThrows(FileFormatException.class, () -> Json.requireInt(root, "hidden_size", cfg));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("'hidden_size' must be an integer, found \"big\""), e.getMessage());
        assertThrows(FileFormatException.class, () -> Json.requireInt(root, "vocab_size", cfg));
        assertThrows(FileFormatException.class, () -> Json.requireString(root, "model_type", cfg));
        FileFormatException missing = assertThrows(FileFormatException.class, () -> Json.requireInt(root, "num_hidden_layers", cfg));
        assertTrue(missing.getMessage().contains("required field 'num_hidden_layers' is missing"), missing.getMessage());

        Path lora = write("adapter_config.json", "{\"r\": \"eight\", \"lora_alpha\": 16, \"target_modules\": []}");
        FileFormatException bound = assertThrows(FileFormatException.class, () -> Json.read(lora, LoraConfig.class));
        assertTrue(bound.getMessage().contains("adapter_config.json") && bound.getMessage().contains("field 'r'"), bound.getMessage());
    }

    @Test
    void malformedAndHostileDocumentsAreRejected() throws IOException {
        FileFormatException syntax = assertThrows(FileFormatException.class, () -> Json.readTree(write("a.json", "{\"a\": 1,\n \"b\": }")));
        assertTrue(syntax.getMessage().contains("line 2"), syntax.getMessage());
        assertThrows(FileFormatException.class, () -> Json.readTree(write("trunc.json", "{\"a\": [1, 2")));
        assertThrows(FileFormatException.class, () -> Json.readTree(write("trailing.json", "{\"a\": 1} {\"b\": 2}")));
        FileFormatException array = assertThrows(FileFormatException.class, () -> Json.readTree(write("arr.json", "[1, 2]")));
        assertTrue(array.getMessage().contains("expected a JSON object"), array.getMessage());
        assertThrows(FileFormatException.class, () -> Json.readTree(write("empty.json", "")));

        String deep = "[".repeat(Json.MAX_NESTING_DEPTH + 5) + "]".repeat(Json.MAX_NESTING_DEPTH + 5);
        FileFormatException nesting = assertThrows(FileFormatException.class, () -> Json.readTree(write("deep.json", "{\"a\": " + deep + "}")));
        assertTrue(nesting.getMessage().toLowerCase().contains("nesting depth"), nesting.getMessage());
        String fine = "[".repeat(50) + "]".repeat(50);
        assertTrue(Json.readTree(write("ok.json", "{\"a\": " + fine + "}")).get("a").isArray());

        String longNumber = "1".repeat(Json.MAX_NUMBER_LENGTH + 1);
        assertThrows(FileFormatException.class, () -> Json.readTree(write("num.json", "{\"a\": " + longNumber + "}")));
        FileFormatException absent = assertThrows(FileFormatException.class, () -> Json.readTree(tmp.resolve("nope.json")));
        assertTrue(absent.getMessage().contains("not found"), absent.getMessage());
    }
}
