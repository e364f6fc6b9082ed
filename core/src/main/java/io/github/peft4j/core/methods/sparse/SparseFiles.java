package io.github.peft4j.core.methods.sparse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.AdapterMismatchException;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.core.methods.AdapterConfigs;
import io.github.peft4j.core.models.Model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SpaRTA adapter folder, in the layout of the authors' {@code peft-sparta} package:
 * {@code sparse_deltas.safetensors} with {@code indices.<param>} (I64 [k, ndim] coordinates,
 * row-major order of the flat positions) and {@code deltas.<param>} (F32 [k]) plus the dense head as
 * {@code head.<param>}; and {@code adapter_config.json} with the method settings, the base model id
 * and fingerprint, and every adapted tensor's shape.
 */
public final class SparseFiles {
    public static final String TENSORS_FILE = "sparse_deltas.safetensors";

    private SparseFiles() {}

    static void save(SparseAdapter adapter, Path dir) {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        SparseRandom c = adapter.config();
        ObjectNode config = AdapterConfigs.newConfig();
        config.put("method", SparseRandom.NAME);
        config.put("base_model_name_or_path", adapter.model().modelId());
        config.put("density", c.density());
        config.put("budget_mode", c.mode().name());
        ArrayNode targets = config.putArray("targets");
        c.targets().forEach(targets::add);
        config.put("seed", c.seed());
        config.put("dropout", c.dropout());
        AdapterConfigs.putBase(config, adapter);
        ObjectNode shapes = config.putObject("shapes");
        ObjectNode counts = config.putObject("trainable_entries");
        for (SparseAdapter.Support s : adapter.supports().values()) {
            long[] flat = s.indices().toLongArray();
            long[] dims = s.shape().getShape();
            tensors.put("indices." + s.name(), HostTensor.i64(new long[] {flat.length, dims.length}, coordinates(flat, dims)));
            tensors.put("deltas." + s.name(), HostTensor.of(s.delta()));
            AdapterConfigs.putShape(shapes, s.name(), s.shape());
            counts.put(s.name(), flat.length);
        }
        adapter.headTensors().forEach((name, a) -> tensors.put("head." + name, HostTensor.of(a)));
        AdapterConfigs.writeFolder(dir, tmp -> {
            SafeTensors.write(tmp.resolve(TENSORS_FILE), tensors, Map.of("format", "peft-sparta", "method", SparseRandom.NAME));
            AdapterConfigs.write(tmp, config);
        });
    }

    /** Row-major coordinates [k, ndim] of flat positions. */
    static long[] coordinates(long[] flat, long[] dims) {
        long[] out = new long[flat.length * dims.length];
        for (int i = 0; i < flat.length; i++) {
            long rest = flat[i];
            for (int d = dims.length - 1; d >= 0; d--) {
                out[i * dims.length + d] = rest % dims[d];
                rest /= dims[d];
            }
        }
        return out;
    }

    public static SparseAdapter load(Path dir, ObjectNode config, Model model, boolean strict) {
        Path file = dir.resolve(TENSORS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new FileFormatException(file, "missing; a SpaRTA adapter folder holds " + TENSORS_FILE + ".");
        }
        List<String> targets = new ArrayList<>();
        JsonNode t = config.get("targets");
        if (t != null) {
            t.forEach(n -> targets.add(n.asText()));
        }
        BudgetMode mode;
        try {
            mode = BudgetMode.valueOf(config.path("budget_mode").asText("PER_TENSOR"));
        } catch (IllegalArgumentException e) {
            throw new FileFormatException(dir.resolve(AdapterConfigs.CONFIG_FILE), "unknown budget_mode '"
                    + config.path("budget_mode").asText() + "'; expected PER_TENSOR or GLOBAL.");
        }
        SparseRandom settings = new SparseRandom(AdapterConfigs.require(config, dir, "density").asDouble(),
                targets.isEmpty() ? null : targets, mode, config.path("seed").asLong(0),
                (float) config.path("dropout").asDouble(0));

        Map<String, HostTensor> tensors = SafeTensors.read(file);
        Map<String, long[]> positions = new LinkedHashMap<>();
        Map<String, float[]> deltas = new LinkedHashMap<>();
        Map<String, HostTensor> head = new LinkedHashMap<>();
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            String key = e.getKey();
            if (key.startsWith("head.")) {
                head.put(key.substring(5), e.getValue());
            } else if (key.startsWith("indices.")) {
                String name = key.substring(8);
                HostTensor delta = tensors.get("deltas." + name);
                if (delta == null || !"F32".equals(delta.dtype())) {
                    throw new FileFormatException(file, "'" + key + "' has no matching F32 tensor 'deltas." + name + "'.");
                }
                JsonNode recorded = config.path("shapes").get(name);
                if (recorded == null) {
                    throw new FileFormatException(dir.resolve(AdapterConfigs.CONFIG_FILE), "no shape recorded for '" + name + "'.");
                }
                AdapterConfigs.checkParameter(model, name, AdapterConfigs.longs(recorded), dir);
                positions.put(name, flatPositions(e.getValue(), model.parameters().shape(name).getShape(), file, key));
                if (delta.numel() != positions.get(name).length) {
                    throw new FileFormatException(file, "'deltas." + name + "' has " + delta.numel() + " values but '"
                            + key + "' lists " + positions.get(name).length + " positions.");
                }
                deltas.put(name, delta.floats());
            } else if (!key.startsWith("deltas.")) {
                throw new FileFormatException(file, "unexpected tensor '" + key + "'; SpaRTA files hold indices.*, deltas.* and head.*.");
            }
        }
        if (positions.isEmpty()) {
            throw new FileFormatException(file, "holds no indices.* tensors; it is not a SpaRTA adapter.");
        }
        AdapterConfigs.checkHead(model, head, dir);
        // structure first (always fatal), then the softer fingerprint check
        AdapterConfigs.checkFingerprint(config.path("base_fingerprint").asText(null), model, dir, strict);
        SparseAdapter adapter = SparseAdapter.restore(settings, model, positions, deltas);
        adapter.restoreHead(head);
        return adapter;
    }

    /** Validates [k, ndim] coordinates against the weight's shape and converts them to flat positions. */
    private static long[] flatPositions(HostTensor coords, long[] dims, Path file, String key) {
        if (!"I64".equals(coords.dtype()) || coords.shape().length != 2 || coords.shape()[1] != dims.length) {
            throw new FileFormatException(file, "'" + key + "' must be integer [k, " + dims.length + "], got "
                    + coords.dtype() + " " + Arrays.toString(coords.shape()) + ".");
        }
        int k = Math.toIntExact(coords.shape()[0]);
        long[] c = coords.longs();
        long[] flat = new long[k];
        for (int i = 0; i < k; i++) {
            long pos = 0;
            for (int d = 0; d < dims.length; d++) {
                long v = c[i * dims.length + d];
                if (v < 0 || v >= dims[d]) {
                    throw new AdapterMismatchException(file + ": '" + key + "' row " + i + " has coordinate " + v
                            + " outside dimension " + d + " of size " + dims[d] + "; the adapter belongs to a different model.");
                }
                pos = pos * dims[d] + v;
            }
            flat[i] = pos;
        }
        long[] sorted = flat.clone();
        Arrays.sort(sorted);
        for (int i = 1; i < sorted.length; i++) {
            if (sorted[i] == sorted[i - 1]) {
                throw new FileFormatException(file, "'" + key + "' lists position " + sorted[i] + " twice; the file is corrupt.");
            }
        }
        return flat;
    }
}
