package io.github.peft4j.dsl.data;

/**
 * What the data pipeline needs from a tokenizer. The DSL adapts core's {@code TextTokenizer} to
 * this; tests use a small word-level fake. Implementations truncate to {@code maxLength} tokens
 * (special tokens included) and never pad — padding is the batcher's job.
 */
public interface Tokenizer {

    /** Token ids and segment ids (all zero for single texts / models without segments). */
    record Encoding(long[] ids, long[] typeIds) {
        public int length() {
            return ids.length;
        }
    }

    /** Encodes one text, or a text pair when {@code pair} is non-null, with the model's special tokens. */
    Encoding encode(String text, String pair, int maxLength);

    String decode(long[] ids);

    long padId();

    /** End-of-sequence id appended after completions, or -1 when the vocabulary has none. */
    long eosId();
}
