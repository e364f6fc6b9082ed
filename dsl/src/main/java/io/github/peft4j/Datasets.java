package io.github.peft4j;

import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.dsl.data.Columns;
import io.github.peft4j.dsl.data.TableReaders;
import tech.tablesaw.api.Table;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Where data comes from: built-in sets that need no network, CSV/JSONL files, Tablesaw tables and
 * plain Java lists. Every loader returns a {@link TextDataset} whose columns were checked.
 */
public final class Datasets {
    private Datasets() {}

    /** Names accepted by {@link #builtIn(String)}. */
    public static final List<String> BUILT_IN = List.of("spam-assassin", "brown-genres");

    /**
     * SpamAssassin public corpus: 6,045 emails (subject + body, first 1,000 characters), label
     * 1 = spam (1,895), 0 = ham. Licence PDDL/CC0. See datasets/README.md in the jar.
     */
    public static TextDataset spamAssassin() {
        return builtIn("spam-assassin");
    }

    /**
     * Brown corpus passages (4,000 × 80 words, 8 per document) labelled with one of 4 coarse genres:
     * fiction, general, learned, press.
     */
    public static TextDataset brownGenres() {
        return builtIn("brown-genres");
    }

    public static TextDataset builtIn(String name) {
        String key = name.toLowerCase(Locale.ROOT).replace('_', '-');
        if (key.equals("spam") || key.equals("spamassassin")) {
            key = "spam-assassin";
        }
        if (key.equals("brown")) {
            key = "brown-genres";
        }
        if (!BUILT_IN.contains(key)) {
            throw new InvalidArgumentException("No built-in dataset '" + name + "'. Built-in: " + BUILT_IN + ".");
        }
        String resource = "datasets/" + key + ".jsonl.gz";
        try (InputStream raw = Datasets.class.getResourceAsStream(resource)) {
            if (raw == null) {
                throw new FileFormatException(Path.of(resource), "built-in dataset missing from the class path; rebuild with dsl/datasets/build.sh");
            }
            Table table = TableReaders.jsonl(new GZIPInputStream(raw), key, Path.of(resource));
            return TextDataset.of(table, Columns.DEFAULT);
        } catch (IOException e) {
            throw new FileFormatException(Path.of(resource), "cannot read built-in dataset: " + e.getMessage(), e);
        }
    }

    /** A built-in name, or a .csv / .jsonl / .jsonl.gz file. */
    public static TextDataset load(String nameOrPath, Columns columns) {
        String key = nameOrPath.toLowerCase(Locale.ROOT);
        if (!key.contains(".") && !key.contains("/")) {
            return builtIn(nameOrPath).withColumns(columns);
        }
        Path path = Path.of(nameOrPath);
        if (key.endsWith(".csv") || key.endsWith(".tsv")) {
            return fromCsv(path, columns);
        }
        if (key.endsWith(".jsonl") || key.endsWith(".jsonl.gz") || key.endsWith(".json")) {
            return fromJsonl(path, columns);
        }
        throw new InvalidArgumentException("Cannot tell the format of '" + nameOrPath
                + "': use a .csv, .tsv, .jsonl or .jsonl.gz file, or a built-in name " + BUILT_IN + ".");
    }

    public static TextDataset fromCsv(Path file) {
        return fromCsv(file, Columns.DEFAULT);
    }

    public static TextDataset fromCsv(Path file, Columns columns) {
        return TextDataset.of(TableReaders.csv(file), columns);
    }

    public static TextDataset fromJsonl(Path file) {
        return fromJsonl(file, Columns.DEFAULT);
    }

    public static TextDataset fromJsonl(Path file, Columns columns) {
        return TextDataset.of(TableReaders.jsonl(file), columns);
    }

    public static TextDataset fromTable(Table table) {
        return TextDataset.of(table);
    }

    public static TextDataset fromTable(Table table, Columns columns) {
        return TextDataset.of(table, columns);
    }

    /** Texts and labels (Integer class ids, or Strings mapped to ids in sorted order). */
    public static TextDataset fromLists(List<String> texts, List<?> labels) {
        return TextDataset.of(TableReaders.lists("data", List.of("text", "label"), List.of(texts, labels)), Columns.DEFAULT);
    }

    /** Text pairs with labels (columns text, text_pair, label). */
    public static TextDataset fromLists(List<String> texts, List<String> pairs, List<?> labels) {
        return TextDataset.of(TableReaders.lists("data", List.of("text", "text_pair", "label"), List.of(texts, pairs, labels)),
                Columns.pairs("text", "text_pair", "label"));
    }

    /** Prompt/completion pairs for causal-LM fine-tuning (loss on completions only). */
    public static TextDataset promptCompletion(List<String> prompts, List<String> completions) {
        return TextDataset.of(TableReaders.lists("data", List.of("prompt", "completion"), List.of(prompts, completions)),
                Columns.promptCompletion("prompt", "completion"));
    }

    /** Plain texts for causal-LM fine-tuning (loss on every token). */
    public static TextDataset texts(List<String> texts) {
        return TextDataset.of(TableReaders.lists("data", List.of("text"), List.of(texts)), Columns.causalLM("text"));
    }
}
