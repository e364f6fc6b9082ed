package io.github.peft4j;

import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.dsl.data.Columns;
import io.github.peft4j.dsl.data.LabelMap;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

/**
 * A Tablesaw {@link Table} plus the roles of its columns (text, label, ...). Construction checks the
 * columns exist and the labels are usable, so mistakes surface when the data is loaded rather than
 * minutes into training. Immutable: {@link #split}, {@link #sample} and {@link #head} return new
 * datasets that share the label mapping of the one they come from.
 */
public final class TextDataset {

    /** Train and test parts of a dataset. */
    public record Split(TextDataset train, TextDataset test) {
        @Override
        public String toString() {
            return "Split(train " + train.size() + " rows, test " + test.size() + " rows)";
        }
    }

    private final String name;
    private final Table table;
    private final Columns columns;
    private final LabelMap labels;

    private TextDataset(String name, Table table, Columns columns, LabelMap labels) {
        this.name = name;
        this.table = table;
        this.columns = columns;
        this.labels = labels;
    }

    /** Wraps a table; columns named as in {@code columns} must exist and hold usable values. */
    public static TextDataset of(Table table, Columns columns) {
        if (table == null) {
            throw new InvalidArgumentException("The table is null: pass a Tablesaw Table (e.g. Table.read().csv(path)).");
        }
        String name = table.name() == null || table.name().isBlank() ? "data" : table.name();
        if (table.rowCount() == 0) {
            throw new InvalidArgumentException("Table '" + name + "' has no rows: a dataset needs at least one example.");
        }
        checkColumn(table, columns.text(), "text");
        checkColumn(table, columns.textPair(), "text pair");
        checkColumn(table, columns.label(), "label");
        checkColumn(table, columns.prompt(), "prompt");
        checkColumn(table, columns.completion(), "completion");
        if (columns.text() == null && columns.prompt() == null) {
            throw new InvalidArgumentException("No text column chosen: use Columns.classification(text, label), "
                    + "Columns.causalLM(text) or Columns.promptCompletion(prompt, completion).");
        }
        LabelMap labels = columns.hasLabels() ? LabelMap.infer(table.column(columns.label())) : null;
        return new TextDataset(name, table, columns, labels);
    }

    /** Wraps a table with columns {@code text} and {@code label}. */
    public static TextDataset of(Table table) {
        return of(table, Columns.DEFAULT);
    }

    private static void checkColumn(Table table, String column, String role) {
        if (column != null && !table.columnNames().contains(column)) {
            throw new InvalidArgumentException("Table '" + table.name() + "' has no " + role + " column '" + column
                    + "'. Available columns: " + table.columnNames() + ". Choose one with Columns (e.g. .withText(\"...\")).");
        }
    }

    /** Same rows with other column roles (e.g. {@code data.withColumns(Columns.classification("body", "y"))}). */
    public TextDataset withColumns(Columns columns) {
        return of(table, columns);
    }

    /** Uses {@code column} as the text (classification input or LM text). */
    public TextDataset text(String column) {
        return of(table, columns.withText(column));
    }

    /** Uses {@code column} as the label. */
    public TextDataset label(String column) {
        return of(table, columns.withLabel(column));
    }

    /** Adds {@code column} as the second text of a pair (NLI, paraphrase). */
    public TextDataset textPair(String column) {
        return of(table, columns.withTextPair(column));
    }

    public String name() {
        return name;
    }

    public Table table() {
        return table;
    }

    public Columns columns() {
        return columns;
    }

    public int size() {
        return table.rowCount();
    }

    /** The label mapping, or null for language-model data. */
    public LabelMap labelMap() {
        return labels;
    }

    public int numLabels() {
        return labels == null ? 0 : labels.numLabels();
    }

    public boolean hasLabels() {
        return labels != null;
    }

    public List<String> texts() {
        return strings(columns.text());
    }

    public List<String> textPairs() {
        return columns.textPair() == null ? null : strings(columns.textPair());
    }

    public List<String> prompts() {
        return strings(columns.prompt());
    }

    public List<String> completions() {
        return strings(columns.completion());
    }

    /** Class ids through this dataset's own mapping. */
    public int[] labelIds() {
        return labelIds(labels);
    }

    /** Class ids through {@code map} (a trained run's mapping); unknown labels are an error. */
    public int[] labelIds(LabelMap map) {
        if (!columns.hasLabels()) {
            throw new InvalidArgumentException("Dataset '" + name + "' has no label column: choose one with .label(\"column\").");
        }
        Column<?> column = table.column(columns.label());
        int[] ids = new int[table.rowCount()];
        for (int row = 0; row < ids.length; row++) {
            ids[row] = map.id(column, row);
        }
        return ids;
    }

    /** Number of rows per class id. */
    public long[] labelCounts() {
        long[] counts = new long[numLabels()];
        for (int id : labelIds()) {
            counts[id]++;
        }
        return counts;
    }

    /** Share of the most frequent class: the accuracy of always guessing it. */
    public double majorityRate() {
        long max = Arrays.stream(labelCounts()).max().orElse(0);
        return size() == 0 ? 0 : (double) max / size();
    }

    /**
     * Deterministic split: stratified by label when there are labels (each class is split at the
     * same fraction), otherwise a seeded shuffle. Rows keep their original order in both parts.
     */
    public Split split(double trainFraction, long seed) {
        if (!(trainFraction > 0 && trainFraction < 1)) {
            throw new InvalidArgumentException("Train fraction " + trainFraction + " must be between 0 and 1 (e.g. 0.8).");
        }
        List<Integer> train = new ArrayList<>();
        List<Integer> test = new ArrayList<>();
        for (List<Integer> group : strata()) {
            shuffle(group, seed);
            int nTrain = (int) Math.round(group.size() * trainFraction);
            train.addAll(group.subList(0, nTrain));
            test.addAll(group.subList(nTrain, group.size()));
        }
        if (train.isEmpty() || test.isEmpty()) {
            throw new InvalidArgumentException("Splitting " + size() + " rows at " + trainFraction
                    + " leaves one part empty: use more data or a fraction nearer 0.5.");
        }
        return new Split(subset(train, name + "-train"), subset(test, name + "-test"));
    }

    /** A stratified random subset of {@code n} rows (all rows if n >= size), seeded. */
    public TextDataset sample(int n, long seed) {
        if (n <= 0) {
            throw new InvalidArgumentException("Sample size " + n + " must be positive.");
        }
        if (n >= size()) {
            return this;
        }
        List<Integer> keep = new ArrayList<>();
        double fraction = (double) n / size();
        for (List<Integer> group : strata()) {
            shuffle(group, seed);
            keep.addAll(group.subList(0, (int) Math.round(group.size() * fraction)));
        }
        return subset(keep, name);
    }

    /** The first {@code n} rows. */
    public TextDataset head(int n) {
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < Math.min(n, size()); i++) {
            rows.add(i);
        }
        return subset(rows, name);
    }

    private List<List<Integer>> strata() {
        TreeMap<Integer, List<Integer>> byLabel = new TreeMap<>();
        int[] ids = hasLabels() ? labelIds() : new int[size()];
        for (int row = 0; row < ids.length; row++) {
            byLabel.computeIfAbsent(ids[row], k -> new ArrayList<>()).add(row);
        }
        return new ArrayList<>(byLabel.values());
    }

    // java.util.Random's sequence is fixed by its specification, so splits match on every JVM.
    private static void shuffle(List<Integer> rows, long seed) {
        java.util.Collections.shuffle(rows, new Random(seed));
    }

    private TextDataset subset(List<Integer> rows, String newName) {
        int[] sorted = rows.stream().mapToInt(Integer::intValue).sorted().toArray();
        if (sorted.length == 0) {
            throw new InvalidArgumentException("Dataset '" + name + "': the requested subset is empty.");
        }
        Table part = table.rows(sorted);
        part.setName(newName);
        return new TextDataset(newName, part, columns, labels);
    }

    private List<String> strings(String column) {
        Column<?> c = table.column(column);
        List<String> out = new ArrayList<>(c.size());
        for (int row = 0; row < c.size(); row++) {
            if (c.isMissing(row)) {
                throw new InvalidArgumentException("Column '" + column + "' of '" + name + "' is empty at row " + row
                        + ": fill it or drop the row (table.dropRowsWithMissingValues()).");
            }
            out.add(c.getString(row));
        }
        return out;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("TextDataset '").append(name).append("': ").append(size()).append(" rows");
        if (hasLabels()) {
            sb.append(", ").append(labels).append(", counts ").append(Arrays.toString(labelCounts()));
        }
        sb.append(", columns ").append(table.columnNames());
        return sb.toString();
    }
}
