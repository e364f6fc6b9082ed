package io.github.peft4j.dsl.data;

import io.github.peft4j.core.InvalidArgumentException;
import tech.tablesaw.api.BooleanColumn;
import tech.tablesaw.api.NumericColumn;
import tech.tablesaw.columns.Column;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Class ids for a label column. Integer labels are used as they are (0..n-1); string labels are
 * mapped to ids in sorted order, so the same set of labels always gets the same ids. The mapping is
 * kept with a training run and its adapter, and evaluation data is mapped through the run's map.
 */
public final class LabelMap {
    private final boolean integer;
    private final List<String> names;

    private LabelMap(boolean integer, List<String> names) {
        this.integer = integer;
        this.names = List.copyOf(names);
    }

    /** Integer labels 0..numLabels-1 named "0", "1", .... */
    public static LabelMap integers(int numLabels) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < numLabels; i++) {
            names.add(Integer.toString(i));
        }
        return new LabelMap(true, names);
    }

    /** String labels; ids follow the given order. */
    public static LabelMap named(List<String> names) {
        return new LabelMap(false, names);
    }

    /** Infers the mapping from a column; rejects missing values, negative or fractional numbers. */
    public static LabelMap infer(Column<?> column) {
        String col = column.name();
        if (column.isEmpty()) {
            throw new InvalidArgumentException("Label column '" + col + "' is empty: the table has no rows.");
        }
        for (int row = 0; row < column.size(); row++) {
            if (column.isMissing(row)) {
                throw new InvalidArgumentException("Label column '" + col + "' has a missing value at row " + row
                        + ": fill it or drop the row (table.dropRowsWithMissingValues()).");
            }
        }
        if (column instanceof NumericColumn<?> numbers) {
            long max = -1;
            for (int row = 0; row < numbers.size(); row++) {
                double v = numbers.getDouble(row);
                if (v != Math.rint(v) || v < 0 || v > Integer.MAX_VALUE - 1) {
                    throw new InvalidArgumentException("Label column '" + col + "' holds " + numbers.getString(row)
                            + " at row " + row + ": labels must be class ids 0, 1, 2, ... or strings (mapped to ids in sorted order).");
                }
                max = Math.max(max, (long) v);
            }
            return integers((int) max + 1);
        }
        if (column instanceof BooleanColumn) {
            return named(List.of("false", "true"));
        }
        String type = column.type().name();
        if (!type.equals("STRING") && !type.equals("TEXT")) {
            throw new InvalidArgumentException("Label column '" + col + "' has type " + type
                    + ": labels must be integers (class ids 0..n-1) or strings.");
        }
        TreeSet<String> distinct = new TreeSet<>();
        for (int row = 0; row < column.size(); row++) {
            distinct.add(column.getString(row));
        }
        return named(new ArrayList<>(distinct));
    }

    public boolean isInteger() {
        return integer;
    }

    public int numLabels() {
        return names.size();
    }

    public List<String> names() {
        return Collections.unmodifiableList(names);
    }

    public String name(int id) {
        return id >= 0 && id < names.size() ? names.get(id) : Integer.toString(id);
    }

    /** Class id of one cell; {@code row} is only for the error message. */
    public int id(Column<?> column, int row) {
        if (integer) {
            if (!(column instanceof NumericColumn<?> numbers)) {
                throw new InvalidArgumentException("Label column '" + column.name() + "' holds '" + column.getString(row)
                        + "' but this run was trained with integer labels 0.." + (names.size() - 1) + ".");
            }
            double v = numbers.getDouble(row);
            if (v != Math.rint(v) || v < 0) {
                throw new InvalidArgumentException("Label column '" + column.name() + "' holds " + numbers.getString(row)
                        + " at row " + row + ": labels must be class ids 0, 1, 2, ...");
            }
            return (int) v;
        }
        String value = column.getString(row);
        int id = names.indexOf(value);
        if (id < 0) {
            throw new InvalidArgumentException("Label '" + value + "' (column '" + column.name() + "', row " + row
                    + ") is not one of the labels this run knows: " + names + ".");
        }
        return id;
    }


    public Map<String, Integer> asMap() {
        Map<String, Integer> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            m.put(names.get(i), i);
        }
        return m;
    }

    @Override
    public String toString() {
        if (integer) {
            return "labels 0.." + (names.size() - 1);
        }
        StringBuilder sb = new StringBuilder("labels {");
        for (int i = 0; i < names.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(names.get(i)).append('=').append(i);
        }
        return sb.append('}').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LabelMap other && other.integer == integer && other.names.equals(names);
    }

    @Override
    public int hashCode() {
        return names.hashCode() * 31 + (integer ? 1 : 0);
    }
}
