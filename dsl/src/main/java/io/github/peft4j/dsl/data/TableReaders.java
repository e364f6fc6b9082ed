package io.github.peft4j.dsl.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.InvalidArgumentException;
import tech.tablesaw.api.BooleanColumn;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;
import tech.tablesaw.io.csv.CsvReadOptions;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/** Reads CSV, JSON Lines and Java lists into Tablesaw tables with errors that name the file and line. */
public final class TableReaders {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TableReaders() {}

    public static Table csv(Path file) {
        requireFile(file);
        try {
            CsvReadOptions options = CsvReadOptions.builder(file.toFile())
                    .separator(file.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".tsv") ? '\t' : ',')
                    .maxCharsPerColumn(10_000_000)
                    .build();
            Table table = Table.read().csv(options);
            table.setName(baseName(file));
            return table;
        } catch (RuntimeException e) {
            throw new FileFormatException(file, "not a readable CSV file (" + e.getMessage() + "). Check quoting and the header row.", e);
        }
    }

    public static Table jsonl(Path file) {
        requireFile(file);
        try (InputStream in = Files.newInputStream(file)) {
            InputStream body = file.toString().endsWith(".gz") ? new GZIPInputStream(in) : in;
            return jsonl(body, baseName(file), file);
        } catch (IOException e) {
            throw new FileFormatException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * One JSON object per line. A field becomes a long column if every value is an integer, a
     * double column if every value is a number, a boolean column if every value is a boolean, and a
     * string column otherwise (nested values as their JSON text); absent fields are missing values.
     */
    public static Table jsonl(InputStream in, String name, Path file) throws IOException {
        Map<String, List<JsonNode>> values = new LinkedHashMap<>();
        int rows = 0;
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        int lineNo = 0;
        while ((line = reader.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new FileFormatException(file, "line " + lineNo + " is not valid JSON: " + e.getOriginalMessage());
            }
            if (!node.isObject()) {
                throw new FileFormatException(file, "line " + lineNo + " is not a JSON object (expected {\"text\": ..., \"label\": ...}).");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                List<JsonNode> column = values.computeIfAbsent(field.getKey(), k -> new ArrayList<>());
                while (column.size() < rows) {
                    column.add(null);
                }
                column.add(field.getValue());
            }
            rows++;
        }
        if (rows == 0) {
            throw new FileFormatException(file, "has no JSON lines: a dataset needs at least one example.");
        }
        Table table = Table.create(name);
        for (Map.Entry<String, List<JsonNode>> e : values.entrySet()) {
            List<JsonNode> column = e.getValue();
            while (column.size() < rows) {
                column.add(null);
            }
            table.addColumns(toColumn(e.getKey(), column));
        }
        return table;
    }

    private static Column<?> toColumn(String name, List<JsonNode> nodes) {
        boolean allIntegral = true;
        boolean allNumbers = true;
        boolean allBooleans = true;
        for (JsonNode n : nodes) {
            if (n == null || n.isNull()) {
                continue;
            }
            allIntegral &= n.isIntegralNumber();
            allNumbers &= n.isNumber();
            allBooleans &= n.isBoolean();
        }
        if (allIntegral) {
            LongColumn c = LongColumn.create(name);
            nodes.forEach(n -> { if (n == null || n.isNull()) c.appendMissing(); else c.append(n.asLong()); });
            return c;
        }
        if (allNumbers) {
            DoubleColumn c = DoubleColumn.create(name);
            nodes.forEach(n -> { if (n == null || n.isNull()) c.appendMissing(); else c.append(n.asDouble()); });
            return c;
        }
        if (allBooleans) {
            BooleanColumn c = BooleanColumn.create(name);
            nodes.forEach(n -> { if (n == null || n.isNull()) c.appendMissing(); else c.append(n.asBoolean()); });
            return c;
        }
        StringColumn c = StringColumn.create(name);
        nodes.forEach(n -> { if (n == null || n.isNull()) c.appendMissing(); else c.append(n.isTextual() ? n.asText() : n.toString()); });
        return c;
    }

    /** Equal-length lists as columns: Strings → string column, Integer/Long → long column. */
    public static Table lists(String name, List<String> columnNames, List<? extends List<?>> columns) {
        Table table = Table.create(name);
        int rows = -1;
        for (int i = 0; i < columns.size(); i++) {
            List<?> values = columns.get(i);
            String col = columnNames.get(i);
            if (values == null) {
                throw new InvalidArgumentException("The list for column '" + col + "' is null.");
            }
            if (rows >= 0 && values.size() != rows) {
                throw new InvalidArgumentException("Lists differ in length: '" + columnNames.get(0) + "' has " + rows
                        + " items but '" + col + "' has " + values.size() + ".");
            }
            rows = values.size();
            table.addColumns(listColumn(col, values));
        }
        if (rows == 0) {
            throw new InvalidArgumentException("The lists are empty: a dataset needs at least one example.");
        }
        return table;
    }

    private static Column<?> listColumn(String name, List<?> values) {
        boolean integers = values.stream().allMatch(v -> v instanceof Integer || v instanceof Long || v instanceof Short);
        if (integers && !values.isEmpty()) {
            LongColumn c = LongColumn.create(name);
            values.forEach(v -> c.append(((Number) v).longValue()));
            return c;
        }
        StringColumn c = StringColumn.create(name);
        for (int row = 0; row < values.size(); row++) {
            Object v = values.get(row);
            if (v == null) {
                c.appendMissing();
            } else if (v instanceof String s) {
                c.append(s);
            } else {
                throw new InvalidArgumentException("Column '" + name + "' item " + row + " is a " + v.getClass().getSimpleName()
                        + " (" + v + "): use Strings, or Integer class ids for labels.");
            }
        }
        return c;
    }

    private static void requireFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new FileFormatException(file, "no such file. Check the path (working directory: "
                    + Path.of("").toAbsolutePath() + ").");
        }
    }

    private static String baseName(Path file) {
        String n = file.getFileName().toString();
        int dot = n.indexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
