package io.github.peft4j.parity;

import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.io.SafeTensors;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * onnxruntime's outputs for all-MiniLM-L6-v2 on six sentences, written by
 * {@code tests/fixtures/make_minilm_reference.py}.
 */
record MiniLmReference(List<String> sentences, long[][] inputIds, long[][] attentionMask, long[][] tokenTypeIds,
                       HostTensor lastHiddenState, HostTensor meanPooled) {

    static MiniLmReference load() {
        try {
            Path file = Path.of(MiniLmReference.class.getResource("/fixtures/minilm/reference.safetensors").toURI());
            Map<String, HostTensor> t = SafeTensors.read(file);
            List<String> sentences = Arrays.asList(SafeTensors.header(file).metadata().get("sentences").split("\n"));
            return new MiniLmReference(sentences, rows(t.get("input_ids")), rows(t.get("attention_mask")),
                    rows(t.get("token_type_ids")), t.get("last_hidden_state"), t.get("mean_pooled"));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long[][] rows(HostTensor t) {
        int b = (int) t.shape()[0];
        int n = (int) t.shape()[1];
        long[][] out = new long[b][];
        for (int i = 0; i < b; i++) {
            out[i] = Arrays.copyOfRange(t.longs(), i * n, (i + 1) * n);
        }
        return out;
    }

    /** Mask-weighted mean over tokens of a [B, T, H] hidden state, as sentence-transformers pools. */
    static float[][] meanPool(float[] hidden, long[][] mask, int hiddenSize) {
        int b = mask.length;
        int t = mask[0].length;
        float[][] pooled = new float[b][hiddenSize];
        for (int i = 0; i < b; i++) {
            int count = 0;
            for (int j = 0; j < t; j++) {
                if (mask[i][j] == 0) {
                    continue;
                }
                count++;
                for (int h = 0; h < hiddenSize; h++) {
                    pooled[i][h] += hidden[(i * t + j) * hiddenSize + h];
                }
            }
            for (int h = 0; h < hiddenSize; h++) {
                pooled[i][h] /= count;
            }
        }
        return pooled;
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    /** Largest |a-b| over the positions whose attention mask is 1. */
    static double maxAbsDiffOnTokens(float[] actual, float[] expected, long[][] mask, int hiddenSize) {
        int t = mask[0].length;
        double worst = 0;
        for (int i = 0; i < mask.length; i++) {
            for (int j = 0; j < t; j++) {
                if (mask[i][j] == 0) {
                    continue;
                }
                for (int h = 0; h < hiddenSize; h++) {
                    int k = (i * t + j) * hiddenSize + h;
                    worst = Math.max(worst, Math.abs(actual[k] - expected[k]));
                }
            }
        }
        return worst;
    }
}
