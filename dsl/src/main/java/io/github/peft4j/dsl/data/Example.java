package io.github.peft4j.dsl.data;

/**
 * One tokenized example.
 *
 * @param ids         token ids (unpadded)
 * @param typeIds     segment ids, same length
 * @param label       class id for classification, -1 otherwise
 * @param tokenLabels causal LM: per-token targets aligned with ids (-100 = no loss), else null
 */
public record Example(long[] ids, long[] typeIds, int label, long[] tokenLabels) {
    public int length() {
        return ids.length;
    }
}
