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
import io.github.peft4j.core.tensor.ParameterStore;
import ai.djl.ndarray.NDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SpaRTA adapter folder in the layout of the authors' {@code peft-sparta} package, so its
 * {@code load_sparse_deltas}/{@code SpaRTAforCausalLM} can read it:
 * <ul>
 *   <li>{@code sparse_deltas.safetensors}: for EVERY base parameter {@code indices.<param>} (I64
 *       [k, ndim] coordinates) and {@code deltas.<param>} (F32 [k]); untouched parameters have k = 0,
 *       and the densely trained head is a full-support delta (trained head − base head), exactly
 *       as peft-sparta's trainer stores its {@code score.weight}. Nothing else is in the file
 *       (peft-sparta rejects other keys).</li>
 *   <li>{@code config.json}: {@code sparta_pretrained_model} (the base model id), as peft-sparta writes.</li>
 *   <li>{@code adapter_config.json}: our settings (method, density, budget mode, targets, seed,
 *       dropout), base model id and fingerprint, and each adapted tensor's shape.</li>
 * </ul>
 * Folders written by peft-sparta itself (no adapter_config.json) load too: see {@link #load}.
 */
public final class SparseFiles {
    public static final String TENSORS_FILE = "sparse_deltas.safetensors";

    private SparseFiles() {}

    static void save(SparseAdapter adapter, Path dir) {
        Model model = adapter.model();
        ParameterStore store = model.parameters();
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        SparseRandom c = adapter.config();
        ObjectNode config = AdapterConfigs.newConfig();
        config.put("method", SparseRandom.NAME);
        config.put("base_model_name_or_path", model.modelId());
        config.put("density", c.density());
        config.put("budget_mode", c.mode().name());
        ArrayNode targets = config.putArray("targets");
        c.targets().forEach(targets::add);
        config.put("seed", c.seed());
        config.put("dropout", c.dropout());
        AdapterConfigs.putBase(config, adapter);
        ObjectNode shapes = config.putObject("shapes");
        ObjectNode counts = config.putObject("trainable_entries");
        for (String name : store.names()) {
            long[] dims = store.shape(name).getShape();
            SparseAdapter.Support s = adapter.supports().get(name);
            NDArray headCopy = adapter.headTensors().get(name);
            long[] flat;
            float[] deltas;
            if (s != null) {
                flat = s.indices().toLongArray();
                deltas = s.delta().toFloatArray();
                AdapterConfigs.putShape(shapes, name, s.shape());
                counts.put(name, flat.length);
            } else if (headCopy != null) {
                // dense head as a full-support delta against the base head (peft-sparta's convention)
                float[] trained = headCopy.toFloatArray();
                float[] base = store.get(name).toFloatArray();
                flat = new long[trained.length];
                deltas = new float[trained.length];
                for (int i = 0; i < trained.length; i++) {
                    flat[i] = i;
                    deltas[i] = trained[i] - base[i];
                }
            } else {
                flat = new long[0];
                deltas = new float[0];
            }
            tensors.put("indices." + name, HostTensor.i64(new long[] {flat.length, dims.length}, coordinates(flat, dims)));
            tensors.put("deltas." + name, HostTensor.f32(new long[] {deltas.length}, deltas));
        }
        ObjectNode spartaConfig = AdapterConfigs.newConfig();
        spartaConfig.put("sparta_pretrained_model", model.modelId());
        spartaConfig.put("model_type", model.architecture());
        AdapterConfigs.writeFolder(dir, tmp -> {
            SafeTensors.write(tmp.resolve(TENSORS_FILE), tensors, Map.of("format", "pt"));
            java.nio.file.Files.writeString(tmp.resolve("config.json"), spartaConfig.toPrettyString());
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

    /**
     * Loads a SpaRTA folder onto {@code model}. Our own folders carry adapter_config.json; a folder
     * written by peft-sparta has none ({@code config} is then empty): the supports come from the
     * file, density is recomputed from them, and settings not in the file take defaults.
     */
    public static SparseAdapter load(Path dir, ObjectNode config, Model model, boolean strict) {
        Path file = dir.resolve(TENSORS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new FileFormatException(file, "missing; a SpaRTA adapter folder holds " + TENSORS_FILE + ".");
        }
        ParameterStore store = model.parameters();
        Map<String, HostTensor> tensors = SafeTensors.read(file);
        Map<String, long[]> positions = new LinkedHashMap<>();
        Map<String, float[]> deltas = new LinkedHashMap<>();
        Map<String, HostTensor> head = new LinkedHashMap<>();
        long targetedTotal = 0;
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            String key = e.getKey();
            if (key.startsWith("deltas.")) {
                if (!tensors.containsKey("indices." + key.substring(7))) {
                    throw new FileFormatException(file, "'" + key + "' has no matching 'indices." + key.substring(7) + "'.");
                }
                continue;
            }
            if (!key.startsWith("indices.")) {
                throw new FileFormatException(file, "unexpected tensor '" + key + "'; SpaRTA files hold only indices.* and deltas.*.");
            }
            String name = key.substring(8);
            HostTensor delta = tensors.get("deltas." + name);
            if (delta == null || !"F32".equals(delta.dtype())) {
                throw new FileFormatException(file, "'" + key + "' has no matching float tensor 'deltas." + name + "'.");
            }
            if (delta.numel() != e.getValue().shape()[0]) {
                throw new FileFormatException(file, "'deltas." + name + "' has " + delta.numel() + " values but '"
                        + key + "' lists " + e.getValue().shape()[0] + " positions.");
            }
            if (delta.numel() == 0) {
                continue;   // an untouched parameter
            }
            JsonNode recorded = config.path("shapes").get(name);
            long[] expected = recorded != null ? AdapterConfigs.longs(recorded)
                    : store.contains(name) ? store.shape(name).getShape() : new long[0];
            AdapterConfigs.checkParameter(model, name, expected, dir);
            long[] flat = flatPositions(e.getValue(), store.shape(name).getShape(), file, key);
            if (model.headParameters().contains(name)) {
                head.put(name, denseHead(store.get(name).toFloatArray(), flat, delta.floats(), store.shape(name).getShape(), file, name));
            } else {
                positions.put(name, flat);
                deltas.put(name, delta.floats());
                targetedTotal += store.numel(name);
            }
        }
        if (positions.isEmpty()) {
            throw new FileFormatException(file, "holds no non-empty indices.* tensor outside the head; it is not a SpaRTA"
                    + " adapter for " + model.modelId() + ".");
        }
        AdapterConfigs.checkHead(model, head, dir);
        // structure first (always fatal), then the softer fingerprint check
        AdapterConfigs.checkFingerprint(config.path("base_fingerprint").asText(null), model, dir, strict);

        SparseRandom settings = settings(config, dir, positions, targetedTotal);
        SparseAdapter adapter = SparseAdapter.restore(settings, model, positions, deltas);
        adapter.restoreHead(head);
        return adapter;
    }

    /** Settings recorded in adapter_config.json, or reconstructed from the supports (peft-sparta folders). */
    private static SparseRandom settings(ObjectNode config, Path dir, Map<String, long[]> positions, long targetedTotal) {
        List<String> targets = new ArrayList<>();
        JsonNode t = config.get("targets");
        if (t != null) {
            t.forEach(n -> targets.add(n.asText()));
        } else {
            positions.keySet().forEach(n -> targets.add(java.util.regex.Pattern.quote(n) + "$"));
        }
        BudgetMode mode;
        try {
            mode = BudgetMode.valueOf(config.path("budget_mode").asText("PER_TENSOR"));
        } catch (IllegalArgumentException e) {
            throw new FileFormatException(dir.resolve(AdapterConfigs.CONFIG_FILE), "unknown budget_mode '"
                    + config.path("budget_mode").asText() + "'; expected PER_TENSOR or GLOBAL.");
        }
        double density;
        if (config.has("density")) {
            density = config.get("density").asDouble();
        } else {
            long k = 0;
            for (long[] p : positions.values()) {
                k += p.length;
            }
            density = (double) k / targetedTotal;
        }
        return new SparseRandom(density, targets.isEmpty() ? null : targets, mode, config.path("seed").asLong(0),
                (float) config.path("dropout").asDouble(0));
    }

    /** The trained head: base values plus a delta that must cover every entry. */
    private static HostTensor denseHead(float[] base, long[] flat, float[] delta, long[] dims, Path file, String name) {
        if (flat.length != base.length) {
            throw new FileFormatException(file, "head parameter '" + name + "' must be trained densely (all " + base.length
                    + " entries) but the file has " + flat.length + ".");
        }
        float[] values = base.clone();
        for (int i = 0; i < flat.length; i++) {
            values[(int) flat[i]] += delta[i];
        }
        return HostTensor.f32(dims, values);
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
