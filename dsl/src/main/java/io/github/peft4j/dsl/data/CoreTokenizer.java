package io.github.peft4j.dsl.data;

import io.github.peft4j.core.io.TextTokenizer;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Adapts core's {@link TextTokenizer} (HF tokenizer.json) to the data pipeline. The core tokenizer
 * fixes its truncation length when loaded, so one instance is kept per max length in use.
 */
public final class CoreTokenizer implements Tokenizer, AutoCloseable {
    private static final List<String> EOS_CANDIDATES = List.of("</s>", "<|endoftext|>", "<eos>", "<|im_end|>", "<|end_of_text|>");

    private final Path file;
    private final Map<Integer, TextTokenizer> byMaxLength = new ConcurrentHashMap<>();
    private final TextTokenizer reference;

    public CoreTokenizer(Path tokenizerJson) {
        this.file = tokenizerJson;
        this.reference = TextTokenizer.load(tokenizerJson);
        byMaxLength.put(reference.maxLength(), reference);
    }

    public Path file() {
        return file;
    }

    private TextTokenizer at(int maxLength) {
        return byMaxLength.computeIfAbsent(maxLength, n -> TextTokenizer.load(file, n));
    }

    @Override
    public Encoding encode(String text, String pair, int maxLength) {
        TextTokenizer.Encoded e = pair == null ? at(maxLength).encode(text) : at(maxLength).encode(text, pair);
        return new Encoding(e.ids(), e.typeIds());
    }

    @Override
    public String decode(long[] ids) {
        return reference.decode(ids);
    }

    @Override
    public long padId() {
        return reference.padId();
    }

    @Override
    public long eosId() {
        Map<String, Long> special = reference.specialTokens();
        for (String candidate : EOS_CANDIDATES) {
            Long id = special.get(candidate);
            if (id != null) {
                return id;
            }
        }
        return -1;
    }

    @Override
    public void close() {
        byMaxLength.values().forEach(TextTokenizer::close);
        byMaxLength.clear();
    }
}
