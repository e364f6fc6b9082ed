package io.github.peft4j.core.io;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDManager;
import ai.djl.util.PairList;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.tensor.NativeArrays;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} (the Rust {@code tokenizers} library through DJL): encodes
 * text or text pairs with special tokens and truncation to {@link #maxLength()}, pads batches to
 * their longest row (on the right, or the left for generation), decodes ids back to text.
 *
 * <p>Thread safety: {@code encode}, {@code encodeBatch} and {@code decode} may be called from
 * several threads at once (the native tokenizer is immutable after loading). {@link #close()} must
 * not race with them.
 *
 * <p>The file is validated as JSON on the Java side before the native library sees it, so a
 * truncated or garbage file is a {@link FileFormatException}, never a native crash.
 */
public final class TextTokenizer implements AutoCloseable {
    /** Default cap on tokens per row (BERT's position table size). */
    public static final int DEFAULT_MAX_LENGTH = 512;

    private static final List<String> PAD_CANDIDATES = List.of("[PAD]", "<pad>", "<|pad|>", "<|finetune_right_pad_id|>");

    private final HuggingFaceTokenizer tokenizer;
    private final Path file;
    private final int maxLength;
    private final long padId;
    private final String padToken;
    private final Map<String, Long> specialTokens;

    /** Which end of a row padding goes to: RIGHT for encoders and training, LEFT for batched generation. */
    public enum Padding { RIGHT, LEFT }

    /** One encoded row, unpadded. */
    public record Encoded(long[] ids, long[] attentionMask, long[] typeIds) {
        public int length() {
            return ids.length;
        }
    }

    /** Rows padded on the right to the longest one; padding has mask 0 and id {@link #padId()}. */
    public record EncodedBatch(long[][] ids, long[][] attentionMask, long[][] typeIds) {
        public int size() {
            return ids.length;
        }

        public int length() {
            return ids.length == 0 ? 0 : ids[0].length;
        }

        /** The model input as int64 arrays in {@code manager} (labels null). */
        public Batch toBatch(NDManager manager) {
            return new Batch(NativeArrays.create(manager, ids), NativeArrays.create(manager, attentionMask), NativeArrays.create(manager, typeIds), null);
        }
    }

    private TextTokenizer(HuggingFaceTokenizer tokenizer, Path file, int maxLength, long padId, String padToken,
                          Map<String, Long> specialTokens) {
        this.tokenizer = tokenizer;
        this.file = file;
        this.maxLength = maxLength;
        this.padId = padId;
        this.padToken = padToken;
        this.specialTokens = specialTokens;
    }

    /** Loads a tokenizer.json, truncating to {@value #DEFAULT_MAX_LENGTH} tokens. */
    public static TextTokenizer load(Path tokenizerJson) {
        return load(tokenizerJson, DEFAULT_MAX_LENGTH);
    }

    /**
     * Loads a tokenizer.json (or the tokenizer.json inside a model folder).
     *
     * @param maxLength tokens per row after special tokens are added; longer input is truncated
     *                  (pairs: longest first)
     */
    public static TextTokenizer load(Path tokenizerJson, int maxLength) {
        if (maxLength < 2) {
            throw new InvalidArgumentException("maxLength must be at least 2 (room for special tokens), got " + maxLength);
        }
        Path file = Files.isDirectory(tokenizerJson) ? tokenizerJson.resolve("tokenizer.json") : tokenizerJson;
        if (!Files.isRegularFile(file)) {
            throw new FileFormatException(file, "tokenizer file not found; a model folder needs tokenizer.json"
                    + " (convert a slow tokenizer with transformers' AutoTokenizer(...).save_pretrained)");
        }
        JsonNode root = Json.readTree(file);
        TokenizerJsonChecks.check(root, file); // what the native library would only trip on later, aborting the JVM
        JsonNode model = root.get("model");
        if (model == null || !model.isObject() || !model.has("type") && !model.has("vocab")) {
            throw new FileFormatException(file, "not a Hugging Face tokenizer.json: field 'model' with a vocabulary is missing");
        }
        TokenizerJsonChecks.check(root, file); // conditions under which the native library would panic and abort the JVM
        Map<String, Long> special = new LinkedHashMap<>();
        JsonNode added = root.get("added_tokens");
        if (added != null && added.isArray()) {
            for (JsonNode t : added) {
                if (t.path("special").asBoolean(false) && t.path("content").isTextual() && t.path("id").canConvertToLong()) {
                    special.put(t.get("content").textValue(), t.get("id").longValue());
                }
            }
        }
        long padId = -1;
        String padToken = null;
        JsonNode padding = root.get("padding");
        if (padding != null && padding.isObject() && padding.path("pad_id").canConvertToLong()) {
            padId = padding.get("pad_id").longValue();
            padToken = padding.path("pad_token").asText(null);
        } else {
            for (String candidate : PAD_CANDIDATES) {
                if (special.containsKey(candidate)) {
                    padId = special.get(candidate);
                    padToken = candidate;
                    break;
                }
            }
        }
        HuggingFaceTokenizer native_;
        try {
            native_ = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(true)
                    .optTruncation(true)
                    .optMaxLength(maxLength)
                    .optPadding(false) // we pad in Java, to the longest row, whatever the file says
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new FileFormatException(file, "the tokenizers library rejected this tokenizer.json: " + e.getMessage()
                    + ". Re-save it with a current transformers (tokenizer.save_pretrained).", e);
        }
        return new TextTokenizer(native_, file, maxLength, padId, padToken, Collections.unmodifiableMap(special));
    }

    /** Encodes one text: special tokens added, truncated to {@link #maxLength()}. */
    public Encoded encode(String text) {
        requireText(text, "text");
        return of(tokenizer.encode(text));
    }

    /** Encodes a text pair (BERT: [CLS] a [SEP] b [SEP], type ids 0 then 1); truncates the longer first. */
    public Encoded encode(String text, String pair) {
        requireText(text, "text");
        requireText(pair, "pair");
        return of(tokenizer.encode(text, pair));
    }

    /** Encodes texts and pads them on the right to the longest row. */
    public EncodedBatch encodeBatch(List<String> texts) {
        return encodeBatch(texts, Padding.RIGHT);
    }

    /** Encodes texts and pads them to the longest row on the given side. */
    public EncodedBatch encodeBatch(List<String> texts, Padding side) {
        if (texts.isEmpty()) {
            throw new InvalidArgumentException("encodeBatch needs at least one text");
        }
        for (int i = 0; i < texts.size(); i++) {
            requireText(texts.get(i), "texts[" + i + "]");
        }
        return pad(tokenizer.batchEncode(texts), side);
    }

    /** Encodes text pairs row by row ({@code first.get(i)}, {@code second.get(i)}) and pads them. */
    public EncodedBatch encodeBatch(List<String> first, List<String> second) {
        if (first.size() != second.size() || first.isEmpty()) {
            throw new InvalidArgumentException("text pairs need two non-empty lists of equal size, got "
                    + first.size() + " and " + second.size());
        }
        PairList<String, String> pairs = new PairList<>(first.size());
        for (int i = 0; i < first.size(); i++) {
            requireText(first.get(i), "first[" + i + "]");
            requireText(second.get(i), "second[" + i + "]");
            pairs.add(first.get(i), second.get(i));
        }
        return pad(tokenizer.batchEncode(pairs), Padding.RIGHT);
    }

    /** Text of the ids, special tokens and padding skipped. */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    /** Text of the ids including special tokens. */
    public String decodeWithSpecialTokens(long[] ids) {
        return tokenizer.decode(ids, false);
    }

    /** Word pieces of a text, without special tokens (for display). */
    public List<String> tokens(String text) {
        requireText(text, "text");
        return List.of(tokenizer.encode(text, false, false).getTokens());
    }

    /** Padding id: the file's padding.pad_id, else a special token named like a pad token, else 0. */
    public long padId() {
        return padId >= 0 ? padId : 0;
    }

    /** True when the tokenizer defines a pad token (decoder tokenizers often do not). */
    public boolean hasPadToken() {
        return padId >= 0;
    }

    /** The pad token's text, or null when there is none. */
    public String padToken() {
        return padToken;
    }

    /** Special tokens (content to id) as declared in added_tokens. */
    public Map<String, Long> specialTokens() {
        return specialTokens;
    }

    public int maxLength() {
        return maxLength;
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    private static Encoded of(Encoding e) {
        return new Encoded(e.getIds(), e.getAttentionMask(), e.getTypeIds());
    }

    private EncodedBatch pad(Encoding[] encodings, Padding side) {
        int longest = 0;
        for (Encoding e : encodings) {
            longest = Math.max(longest, e.getIds().length);
        }
        int n = encodings.length;
        long[][] ids = new long[n][longest];
        long[][] mask = new long[n][longest];
        long[][] types = new long[n][longest];
        for (int i = 0; i < n; i++) {
            long[] rowIds = encodings[i].getIds();
            long[] rowMask = encodings[i].getAttentionMask();
            long[] rowTypes = encodings[i].getTypeIds();
            int at = side == Padding.LEFT ? longest - rowIds.length : 0;
            java.util.Arrays.fill(ids[i], padId());
            System.arraycopy(rowIds, 0, ids[i], at, rowIds.length);
            System.arraycopy(rowMask, 0, mask[i], at, rowMask.length);
            System.arraycopy(rowTypes, 0, types[i], at, rowTypes.length);
        }
        return new EncodedBatch(ids, mask, types);
    }

    private static void requireText(String text, String what) {
        if (text == null) {
            throw new InvalidArgumentException(what + " is null; pass a string (use \"\" for empty text)");
        }
    }
}
