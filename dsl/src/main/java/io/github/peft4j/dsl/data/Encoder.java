package io.github.peft4j.dsl.data;

import io.github.peft4j.TextDataset;
import io.github.peft4j.core.InvalidArgumentException;

import java.util.ArrayList;
import java.util.List;

/** Turns dataset rows into {@link Example}s for a task. */
public final class Encoder {
    /** HF's ignore index: positions with this label contribute no loss. */
    public static final long IGNORE = -100;

    private Encoder() {}

    /** Classification rows; labels go through {@code labels} (the run's mapping). */
    public static List<Example> classification(TextDataset data, LabelMap labels, Tokenizer tokenizer, int maxLength) {
        List<String> texts = data.texts();
        List<String> pairs = data.textPairs();
        int[] ids = data.labelIds(labels);
        List<Example> out = new ArrayList<>(texts.size());
        for (int row = 0; row < texts.size(); row++) {
            Tokenizer.Encoding e = tokenizer.encode(texts.get(row), pairs == null ? null : pairs.get(row), maxLength);
            out.add(new Example(e.ids(), e.typeIds(), ids[row], null));
        }
        return out;
    }

    /** Texts to classify (no labels). */
    public static List<Example> unlabelled(List<String> texts, Tokenizer tokenizer, int maxLength) {
        List<Example> out = new ArrayList<>(texts.size());
        for (String text : texts) {
            Tokenizer.Encoding e = tokenizer.encode(text, null, maxLength);
            out.add(new Example(e.ids(), e.typeIds(), -1, null));
        }
        return out;
    }

    /**
     * Causal-LM rows. Prompt + completion: labels are -100 on the prompt (and later on padding), so
     * only completion tokens are learned; an EOS is appended to the completion when the vocabulary
     * has one. Plain text: every token is a target. Truncation keeps the prompt's start.
     */
    public static List<Example> causalLM(TextDataset data, Tokenizer tokenizer, int maxLength) {
        List<Example> out = new ArrayList<>(data.size());
        if (data.columns().isPromptCompletion()) {
            List<String> prompts = data.prompts();
            List<String> completions = data.completions();
            long eos = tokenizer.eosId();
            for (int row = 0; row < prompts.size(); row++) {
                // Tokenize prompt+completion together (as generation will see it) and mask the part
                // shared with the prompt alone: that drops trailing specials ([SEP]) of the prompt-only
                // encoding and stays conservative when a BPE merge crosses the boundary.
                long[] promptOnly = tokenizer.encode(prompts.get(row), null, maxLength).ids();
                long[] joined = tokenizer.encode(prompts.get(row) + completions.get(row), null, maxLength).ids();
                int promptLength = 0;
                while (promptLength < Math.min(promptOnly.length, joined.length) && promptOnly[promptLength] == joined[promptLength]) {
                    promptLength++;
                }
                boolean addEos = eos >= 0 && joined.length < maxLength;
                int length = joined.length + (addEos ? 1 : 0);
                if (length <= promptLength) {
                    throw new InvalidArgumentException("Row " + row + ": the prompt alone fills maxLength " + maxLength
                            + " tokens, so no completion token would be learned. Raise maxLength or shorten prompts.");
                }
                long[] ids = java.util.Arrays.copyOf(joined, length);
                if (addEos) {
                    ids[length - 1] = eos;
                }
                long[] labels = ids.clone();
                java.util.Arrays.fill(labels, 0, Math.min(promptLength, length), IGNORE);
                out.add(new Example(ids, new long[length], -1, labels));
            }
        } else {
            for (String text : data.texts()) {
                long[] ids = tokenizer.encode(text, null, maxLength).ids();
                out.add(new Example(ids, new long[ids.length], -1, ids.clone()));
            }
        }
        return out;
    }
}
