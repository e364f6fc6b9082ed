package io.github.peft4j.tests.dsl;

import io.github.peft4j.dsl.data.Tokenizer;

import java.util.Arrays;

/** Character-level tokenizer for the tiny fixtures: bos 1, eos 2, pad 0, chars 3..vocab-1. */
final class CharTokenizer implements Tokenizer {
    private final boolean bos;
    private final boolean sep;
    private final int vocab;

    /** @param bos prepend id 1 (decoders); @param sep append id 2 (encoders, like [SEP]) */
    CharTokenizer(boolean bos, boolean sep, int vocab) {
        this.bos = bos;
        this.sep = sep;
        this.vocab = vocab;
    }

    @Override
    public Encoding encode(String text, String pair, int maxLength) {
        String all = pair == null ? text : text + "|" + pair;
        long[] ids = new long[all.length() + (bos ? 1 : 0) + (sep ? 1 : 0)];
        int at = 0;
        if (bos) {
            ids[at++] = 1;
        }
        for (char c : all.toCharArray()) {
            ids[at++] = 3 + (c % (vocab - 3));
        }
        if (sep) {
            ids[at] = 2;
        }
        long[] cut = Arrays.copyOf(ids, Math.min(ids.length, maxLength));
        return new Encoding(cut, new long[cut.length]);
    }

    @Override
    public String decode(long[] ids) {
        StringBuilder sb = new StringBuilder();
        for (long id : ids) {
            if (id >= 3) {
                sb.append((char) (id - 3));
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
        return 2;
    }
}
