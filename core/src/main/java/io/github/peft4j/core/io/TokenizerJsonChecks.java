package io.github.peft4j.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.core.FileFormatException;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * Checks on a tokenizer.json that the Rust tokenizers library (0.21, through DJL) does not make
 * when it deserialises the file but relies on later: there, a violation is a Rust panic during
 * {@code encode}, which aborts the whole JVM. Found by the reliability fuzzer; each check names the
 * field so the user can fix or re-save the file.
 */
final class TokenizerJsonChecks {
    private TokenizerJsonChecks() {}

    static void check(JsonNode root, Path file) {
        checkUnknownToken(root.get("model"), file);
        JsonNode post = root.get("post_processor");
        if (post != null && !post.isNull()) {
            checkPostProcessor(post, file, "post_processor", 0);
        }
    }

    /**
     * WordPiece and WordLevel map unknown words to {@code unk_token}; when the vocabulary lacks it,
     * encoding any unknown word fails inside the library long after loading.
     */
    private static void checkUnknownToken(JsonNode model, Path file) {
        if (model == null || !model.isObject()) {
            return;
        }
        String type = model.path("type").asText("");
        JsonNode unk = model.get("unk_token");
        JsonNode vocab = model.get("vocab");
        if ((type.equals("WordPiece") || type.equals("WordLevel")) && unk != null && unk.isTextual()
                && vocab != null && vocab.isObject() && !vocab.has(unk.asText())) {
            throw new FileFormatException(file, "model.unk_token '" + unk.asText() + "' is not in model.vocab; every"
                    + " unknown word would fail to encode. Add it to the vocabulary or re-save the tokenizer.");
        }
    }

    private static void checkPostProcessor(JsonNode p, Path file, String where, int depth) {
        if (!p.isObject() || depth > 8) {
            return; // malformed: the library itself rejects it when deserialising
        }
        String type = p.path("type").asText("");
        if (type.equals("Sequence")) {
            JsonNode list = p.get("processors");
            if (list != null && list.isArray()) {
                for (int i = 0; i < list.size(); i++) {
                    checkPostProcessor(list.get(i), file, where + ".processors[" + i + "]", depth + 1);
                }
            }
        } else if (type.equals("TemplateProcessing")) {
            checkTemplate(p, file, where);
        }
    }

    /**
     * TemplateProcessing looks up every special token of its templates in {@code special_tokens}
     * and walks each entry's {@code ids} and {@code tokens} side by side.
     */
    private static void checkTemplate(JsonNode p, Path file, String where) {
        JsonNode specials = p.get("special_tokens");
        if (specials == null || !specials.isObject()) {
            return; // the library rejects a missing or non-object map itself
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = specials.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode ids = e.getValue().path("ids");
            JsonNode tokens = e.getValue().path("tokens");
            if (ids.isArray() && tokens.isArray() && ids.size() != tokens.size()) {
                throw new FileFormatException(file, where + ".special_tokens['" + e.getKey() + "'] has " + ids.size()
                        + " ids but " + tokens.size() + " tokens; they must pair up. Re-save the tokenizer with"
                        + " transformers (tokenizer.save_pretrained).");
            }
        }
        for (String template : new String[] {"single", "pair"}) {
            JsonNode pieces = p.get(template);
            if (pieces == null || !pieces.isArray()) {
                continue;
            }
            for (JsonNode piece : pieces) {
                JsonNode special = piece.get("SpecialToken");
                if (special == null || !special.isObject() || !special.path("id").isTextual()) {
                    continue;
                }
                String id = special.get("id").asText();
                if (!specials.has(id)) {
                    throw new FileFormatException(file, where + "." + template + " uses special token '" + id
                            + "', which " + where + ".special_tokens does not define. Add it there (with its id) or"
                            + " re-save the tokenizer with transformers (tokenizer.save_pretrained).");
                }
            }
        }
    }
}
