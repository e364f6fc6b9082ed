package io.github.peft4j.tests.reliability;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.models.Models;
import io.github.peft4j.core.models.TransformerModel;
import io.github.peft4j.core.train.BatchSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Small real inputs for reliability tests: the tiny BERT classifier checkpoint of the parity
 * fixtures (2 layers, hidden 32, 3 labels, vocab 100), a hand-made WordPiece tokenizer.json, and a
 * deterministic batch source of random token sequences with learnable labels.
 */
final class TinyFixtures {
    private TinyFixtures() {}

    /** The tiny BERT classifier folder (config.json + model.safetensors) inside the test resources. */
    static Path bertFolder() {
        try {
            return Path.of(TinyFixtures.class.getResource("/fixtures/bert_cls/config.json").toURI()).getParent();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("fixture bert_cls missing: run tests/fixtures/make_fixtures.py", e);
        }
    }

    static TransformerModel bert() {
        return Models.load(bertFolder(), "tiny-bert-cls");
    }

    /** Copies a fixture folder's files (not sub-folders) into {@code target}. */
    static Path copy(Path folder, Path target) {
        try {
            Files.createDirectories(target);
            try (Stream<Path> files = Files.list(folder)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (Files.isRegularFile(f) && !f.getFileName().toString().startsWith("reference")) {
                        Files.copy(f, target.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code examples} random sequences of {@code length} tokens (ids 4..99), label = first token mod
     * 3, in batches of {@code batchSize}; each epoch is shuffled by (seed, epoch), so any batch can be
     * rebuilt from its position alone (what resuming needs).
     */
    static BatchSource randomTokens(int examples, int length, int batchSize, long seed) {
        Random r = new Random(seed);
        long[][] ids = new long[examples][length];
        long[] labels = new long[examples];
        for (int i = 0; i < examples; i++) {
            for (int t = 0; t < length; t++) {
                ids[i][t] = 4 + r.nextInt(96);
            }
            labels[i] = ids[i][0] % 3;
        }
        return new BatchSource() {
            @Override
            public int batchesPerEpoch() {
                return examples / batchSize;
            }

            @Override
            public Batch batch(int epoch, int index, NDManager scope) {
                int[] order = new int[examples];
                for (int i = 0; i < examples; i++) {
                    order[i] = i;
                }
                Random shuffle = new Random(seed * 1_000_003L + epoch);
                for (int i = examples - 1; i > 0; i--) {
                    int j = shuffle.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
                long[] flat = new long[batchSize * length];
                long[] mask = new long[batchSize * length];
                long[] types = new long[batchSize * length];
                long[] y = new long[batchSize];
                for (int b = 0; b < batchSize; b++) {
                    int ex = order[index * batchSize + b];
                    System.arraycopy(ids[ex], 0, flat, b * length, length);
                    java.util.Arrays.fill(mask, b * length, (b + 1) * length, 1L);
                    y[b] = labels[ex];
                }
                Shape s = new Shape(batchSize, length);
                return new Batch(scope.create(flat, s), scope.create(mask, s), scope.create(types, s), scope.create(y));
            }
        };
    }

    /** A small but complete WordPiece tokenizer.json in the layout the tokenizers library writes. */
    static String tokenizerJson() {
        String[] vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", "a", "dog",
            "##s", "##ing", "run", "good", "bad", "movie", ".", ",", "!", "is", "was", "not"};
        StringBuilder v = new StringBuilder();
        for (int i = 0; i < vocab.length; i++) {
            v.append(i == 0 ? "" : ",").append('"').append(vocab[i]).append("\":").append(i);
        }
        StringBuilder added = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            added.append(i == 0 ? "" : ",").append("{\"id\":").append(i).append(",\"content\":\"").append(vocab[i])
                    .append("\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}");
        }
        return "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[" + added + "],"
                + "\"normalizer\":{\"type\":\"BertNormalizer\",\"clean_text\":true,\"handle_chinese_chars\":true,\"strip_accents\":null,\"lowercase\":true},"
                + "\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
                + "\"post_processor\":{\"type\":\"TemplateProcessing\","
                + "\"single\":[{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":0}}],"
                + "\"pair\":[{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":0}},"
                + "{\"Sequence\":{\"id\":\"B\",\"type_id\":1}},{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":1}}],"
                + "\"special_tokens\":{\"[CLS]\":{\"id\":\"[CLS]\",\"ids\":[2],\"tokens\":[\"[CLS]\"]},\"[SEP]\":{\"id\":\"[SEP]\",\"ids\":[3],\"tokens\":[\"[SEP]\"]}}},"
                + "\"decoder\":{\"type\":\"WordPiece\",\"prefix\":\"##\",\"cleanup\":true},"
                + "\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"continuing_subword_prefix\":\"##\",\"max_input_chars_per_word\":100,"
                + "\"vocab\":{" + v + "}}}";
    }
}
