package io.github.peft4j.dsl.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test tokenizer: lower-cased words get ids in order of first sight; [CLS]=1 ... [SEP]=2, pad 0, eos 3. */
public final class WordTokenizer implements Tokenizer {
    private final Map<String, Long> vocab = new LinkedHashMap<>();

    private long id(String word) {
        return vocab.computeIfAbsent(word.toLowerCase(), w -> 10L + vocab.size());
    }

    @Override
    public synchronized Encoding encode(String text, String pair, int maxLength) {
        List<Long> ids = new ArrayList<>();
        List<Long> types = new ArrayList<>();
        ids.add(1L);
        types.add(0L);
        for (String w : text.split("\\s+")) {
            if (!w.isEmpty()) {
                ids.add(id(w));
                types.add(0L);
            }
        }
        ids.add(2L);
        types.add(0L);
        if (pair != null) {
            for (String w : pair.split("\\s+")) {
                if (!w.isEmpty()) {
                    ids.add(id(w));
                    types.add(1L);
                }
            }
            ids.add(2L);
            types.add(1L);
        }
        int n = Math.min(maxLength, ids.size());
        long[] a = new long[n];
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            a[i] = ids.get(i);
            t[i] = types.get(i);
        }
        if (n < ids.size()) {
            a[n - 1] = 2L; // keep the closing separator, as HF truncation does
        }
        return new Encoding(a, t);
    }

    @Override
    public synchronized String decode(long[] ids) {
        List<String> words = new ArrayList<>(vocab.keySet());
        StringBuilder sb = new StringBuilder();
        for (long id : ids) {
            if (id >= 10 && id - 10 < words.size()) {
                sb.append(sb.length() == 0 ? "" : " ").append(words.get((int) (id - 10)));
            }
        }
        return sb.toString();
    }

    @Override
    public long padId() {
        return 0;
    }

    @Override
    public long eosId() {
        return 3;
    }
}
