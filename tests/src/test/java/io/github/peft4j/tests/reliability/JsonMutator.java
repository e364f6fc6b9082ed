package io.github.peft4j.tests.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Breaks JSON documents (config.json, adapter_config.json, tokenizer.json) the ways real files break
 * or hostile ones are built: a value of the wrong type or absurd size, a field removed, deep nesting,
 * huge strings, truncated or garbled text. Half the mutations act on the tree, half on the text.
 */
final class JsonMutator {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private JsonMutator() {}

    static String mutate(String validJson, Random rnd) {
        if (rnd.nextInt(4) == 0) {
            return mutateText(validJson, rnd);
        }
        try {
            JsonNode root = JSON.readTree(validJson);
            int edits = 1 + (rnd.nextInt(4) == 0 ? rnd.nextInt(4) : 0);
            for (int i = 0; i < edits; i++) {
                mutateTree(root, rnd);
            }
            return JSON.writeValueAsString(root);
        } catch (Exception e) {
            throw new IllegalStateException("the seed document must be valid JSON", e);
        }
    }

    /** Replaces, removes or adds one value somewhere in the tree. */
    private static void mutateTree(JsonNode root, Random rnd) {
        List<JsonNode> containers = new ArrayList<>();
        collectContainers(root, containers, 0);
        JsonNode parent = containers.get(rnd.nextInt(containers.size()));
        if (parent instanceof ObjectNode) {
            ObjectNode o = (ObjectNode) parent;
            List<String> names = new ArrayList<>();
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
            if (names.isEmpty() || rnd.nextInt(10) == 0) {
                o.set("injected" + rnd.nextInt(3), hostileValue(null, rnd));
            } else {
                String name = names.get(rnd.nextInt(names.size()));
                if (rnd.nextInt(6) == 0) {
                    o.remove(name);
                } else {
                    o.set(name, hostileValue(o.get(name), rnd));
                }
            }
        } else {
            ArrayNode a = (ArrayNode) parent;
            if (a.isEmpty() || rnd.nextInt(8) == 0) {
                a.add(hostileValue(null, rnd));
            } else {
                int i = rnd.nextInt(a.size());
                if (rnd.nextInt(6) == 0) {
                    a.remove(i);
                } else {
                    a.set(i, hostileValue(a.get(i), rnd));
                }
            }
        }
    }

    private static void collectContainers(JsonNode n, List<JsonNode> out, int depth) {
        if (n.isContainerNode()) {
            out.add(n);
            if (depth < 6 && out.size() < 20_000) {
                for (JsonNode c : n) {
                    collectContainers(c, out, depth + 1);
                }
            }
        }
    }

    /** A value that is wrong for most fields; sometimes a near miss of the old value. */
    static JsonNode hostileValue(JsonNode old, Random rnd) {
        switch (rnd.nextInt(20)) {
            case 0: return F.nullNode();
            case 1: return F.numberNode(-1);
            case 2: return F.numberNode(0);
            case 3: return F.numberNode(Integer.MAX_VALUE);
            case 4: return F.numberNode(Long.MAX_VALUE);
            case 5: return F.numberNode(1e308);
            case 6: return F.numberNode(-1e-308);
            case 7: return F.numberNode(new BigInteger("1" + "0".repeat(40)));
            case 8: return F.textNode("");
            case 9: return F.textNode("x".repeat(1 << (10 + rnd.nextInt(10))));
            case 10: return F.booleanNode(rnd.nextBoolean());
            case 11: return F.arrayNode();
            case 12: return F.objectNode();
            case 13: return deep(10 + rnd.nextInt(400), rnd.nextBoolean());
            case 14: return F.textNode("../../../../etc/passwd");
            case 15: return F.numberNode(0.5);
            case 16: // off-by-one of a number, or the number as a string
                if (old != null && old.isNumber()) {
                    return rnd.nextBoolean() ? F.numberNode(old.asLong() + (rnd.nextBoolean() ? 1 : -1)) : F.textNode(old.asText());
                }
                return F.numberNode(rnd.nextInt(1 << 20));
            case 17: { // a big array
                ArrayNode a = F.arrayNode();
                for (int i = 0; i < 1 + rnd.nextInt(100_000); i++) {
                    a.add(i);
                }
                return a;
            }
            case 18: return F.numberNode(-rnd.nextInt(1 << 30));
            default: return F.textNode("\u0000\ud800");
        }
    }

    private static JsonNode deep(int depth, boolean arrays) {
        JsonNode n = F.numberNode(1);
        for (int i = 0; i < depth; i++) {
            if (arrays) {
                n = F.arrayNode().add(n);
            } else {
                ObjectNode o = F.objectNode();
                o.set("a", n);
                n = o;
            }
        }
        return n;
    }

    /** Text-level damage: truncation, a garbled byte, or nesting far past any parser's limit. */
    static String mutateText(String json, Random rnd) {
        switch (rnd.nextInt(5)) {
            case 0:
                return json.substring(0, rnd.nextInt(json.length()));
            case 1: {
                byte[] b = json.getBytes(StandardCharsets.UTF_8);
                b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                return new String(b, StandardCharsets.ISO_8859_1);
            }
            case 2: {
                StringBuilder s = new StringBuilder(json);
                int pos = rnd.nextInt(s.length());
                s.insert(pos, "{}[]\":,-.e019 \\".charAt(rnd.nextInt(15)));
                return s.toString();
            }
            case 3:
                return "[".repeat(100_000 + rnd.nextInt(100_000));
            default:
                return json + (rnd.nextBoolean() ? "}" : " {\"a\":1}");
        }
    }

    /** Convenience for tests that need the document as a tree. */
    static ObjectNode parse(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String write(Map<String, ?> map) {
        try {
            return JSON.writeValueAsString(map);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
