package io.github.peft4j.core.methods.sparse;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.AdapterMismatchException;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.core.methods.AdapterConfigs;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.ModelWriter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * SpaRTA adapters as Hugging Face PEFT SHiRA adapters (PEFT 0.21, {@code peft/tuners/shira}), both ways.
 *
 * <p>SHiRA stores, per adapted {@code nn.Linear} module, {@code base_model.model.<module>.shira_weight}
 * (F32 [k]) and {@code .shira_indices} (int [2, k]: row, column), and applies
 * {@code W + sparse_coo(indices, weight)} — the same function as SpaRTA's {@code W + scatter(delta)}.
 * The head goes under its plain name ({@code base_model.model.classifier.weight}) with the head
 * modules in {@code modules_to_save}, as PEFT saves it.
 *
 * <p>PEFT checks one thing that SpaRTA does not guarantee: every module must hold exactly
 * {@code r·(out+in)} entries for the single integer {@code r} of the config (it allocates the
 * parameter from r, then refuses a checkpoint of another size). The exporter therefore takes the
 * smallest r that fits every module's support and pads each support with zero-valued entries at
 * positions outside it, which changes no weight. SpaRTA with the LoRA-equivalent budget
 * ({@code density = r(m+n)/(m·n)}, per tensor) exports without padding. A module whose padded size
 * would exceed {@code out·in}, or a GPT-2 {@code Conv1D} (not an {@code nn.Linear}), cannot be
 * expressed: that raises an {@link InvalidArgumentException}.
 */
public final class ShiraFormat {
    public static final String TENSORS_FILE = "adapter_model.safetensors";
    private static final String PREFIX = "base_model.model.";
    private static final String WEIGHT = ".shira_weight";
    private static final String INDICES = ".shira_indices";

    private ShiraFormat() {}

    /** True when {@code dir}'s adapter_config.json says {@code "peft_type": "SHIRA"}. */
    public static boolean isShira(ObjectNode config) {
        return "SHIRA".equals(config.path("peft_type").asText());
    }

    /** Writes {@code adapter} as a PEFT SHiRA adapter folder (atomically) that {@code PeftModel.from_pretrained} loads. */
    public static void export(SparseAdapter adapter, Path dir) {
        Model model = adapter.model();
        if ("gpt2".equals(model.architecture())) {
            throw new InvalidArgumentException("PEFT SHiRA adapts only nn.Linear layers; GPT-2's attention uses Conv1D."
                    + " Save this adapter in peft4j's SpaRTA format instead (adapter.save(dir)).");
        }
        int r = rankFor(adapter.supports().values());
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        ArrayNode targetModules = AdapterConfigs.newConfig().arrayNode();
        for (SparseAdapter.Support s : adapter.supports().values()) {
            long[] dims = s.shape().getShape();
            long rows = dims[0];
            long cols = dims[1];
            long[] positions = s.indices().toLongArray();
            float[] delta = s.delta().toFloatArray();
            int k = Math.toIntExact(r * (rows + cols));
            long[] padded = Arrays.copyOf(positions, k);
            float[] values = Arrays.copyOf(delta, k);   // padding entries are 0: W stays W there
            fillUnusedPositions(positions, padded, positions.length);
            long[] indices = new long[2 * k];
            for (int i = 0; i < k; i++) {
                indices[i] = padded[i] / cols;
                indices[k + i] = padded[i] % cols;
            }
            String module = module(ModelWriter.transformersName(model, s.name()));
            tensors.put(PREFIX + module + WEIGHT, HostTensor.f32(new long[] {k}, values));
            tensors.put(PREFIX + module + INDICES, HostTensor.i64(new long[] {2, k}, indices));
            targetModules.add(module);
        }
        Set<String> headModules = new LinkedHashSet<>();
        adapter.headTensors().forEach((name, value) -> {
            String hfName = ModelWriter.transformersName(model, name);
            tensors.put(PREFIX + hfName, HostTensor.of(value));
            headModules.add(module(hfName));
        });

        ObjectNode config = AdapterConfigs.newConfig();
        config.put("peft_type", "SHIRA");
        config.put("base_model_name_or_path", model.modelId());
        config.put("r", r);
        config.put("mask_type", "random");
        config.put("random_seed", adapter.config().seed());
        config.set("target_modules", targetModules);
        config.put("fan_in_fan_out", false);
        config.put("init_weights", true);
        config.put("inference_mode", true);
        if (headModules.isEmpty()) {
            config.putNull("modules_to_save");
        } else {
            ArrayNode m = config.putArray("modules_to_save");
            headModules.forEach(m::add);
        }
        config.putNull("task_type");
        config.putNull("revision");
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");   // what PEFT writes
        metadata.put("peft4j_base_fingerprint", adapter.baseFingerprint());
        metadata.put("peft4j_method", SparseRandom.NAME);
        AdapterConfigs.writeFolder(dir, tmp -> {
            SafeTensors.write(tmp.resolve(TENSORS_FILE), tensors, metadata);
            AdapterConfigs.write(tmp, config);
        });
    }

    /** The smallest r with r·(out+in) ≥ every module's support; fails when a padded module would not fit. */
    static int rankFor(Iterable<SparseAdapter.Support> supports) {
        long r = 1;
        for (SparseAdapter.Support s : supports) {
            long[] d = s.shape().getShape();
            if (d.length != 2) {
                throw new InvalidArgumentException("SHiRA adapts 2-D linear weights only; '" + s.name() + "' has shape "
                        + Arrays.toString(d) + ". Target only linear weights to export as SHiRA.");
            }
            r = Math.max(r, (s.size() + d[0] + d[1] - 1) / (d[0] + d[1]));
        }
        for (SparseAdapter.Support s : supports) {
            long[] d = s.shape().getShape();
            if (r * (d[0] + d[1]) > d[0] * d[1]) {
                throw new InvalidArgumentException(String.format(Locale.ROOT,
                        "Cannot export as PEFT SHiRA: PEFT needs r·(out+in) = %d entries in every module, but '%s' [%d x %d]"
                                + " has only %d weights. The support is too dense for SHiRA's sizing rule; lower the density"
                                + " or keep peft4j's SpaRTA format.", r * (d[0] + d[1]), s.name(), d[0], d[1], d[0] * d[1]));
            }
        }
        return Math.toIntExact(r);
    }

    /** Fills {@code out[from..]} with the smallest flat positions not in {@code used} (ascending). */
    private static void fillUnusedPositions(long[] used, long[] out, int from) {
        long[] sorted = used.clone();
        Arrays.sort(sorted);
        int u = 0;
        long candidate = 0;
        for (int i = from; i < out.length; i++) {
            while (u < sorted.length && sorted[u] < candidate) {
                u++;
            }
            while (u < sorted.length && sorted[u] == candidate) {
                candidate++;
                u++;
            }
            out[i] = candidate++;
        }
    }

    /** Loads a PEFT SHiRA adapter folder onto {@code model} as a SpaRTA adapter with the same function. */
    public static SparseAdapter load(Path dir, ObjectNode config, Model model, boolean strict) {
        Path configFile = dir.resolve(AdapterConfigs.CONFIG_FILE);
        if (!isShira(config)) {
            throw new FileFormatException(configFile, "peft_type is '" + config.path("peft_type").asText()
                    + "', not SHIRA; load it with Adapters.load(dir, model).");
        }
        if (config.path("fan_in_fan_out").asBoolean(false)) {
            throw new FileFormatException(configFile, "fan_in_fan_out=true (Conv1D weights) is not supported for SHiRA;"
                    + " PEFT itself resets it to false for nn.Linear.");
        }
        Path file = dir.resolve(TENSORS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new FileFormatException(file, "missing; a PEFT SHiRA adapter folder holds " + TENSORS_FILE
                    + " (pickled adapter_model.bin is not read).");
        }
        Map<String, HostTensor> tensors = SafeTensors.read(file);
        Map<String, long[]> positions = new LinkedHashMap<>();
        Map<String, float[]> deltas = new LinkedHashMap<>();
        Map<String, HostTensor> head = new LinkedHashMap<>();
        long trainable = 0;
        long targeted = 0;
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            String key = e.getKey();
            if (!key.startsWith(PREFIX)) {
                throw new FileFormatException(file, "tensor '" + key + "' does not start with '" + PREFIX
                        + "'; this is not a PEFT adapter file.");
            }
            String local = key.substring(PREFIX.length());
            if (local.endsWith(INDICES) || local.endsWith(INDICES + ".default")) {
                continue;   // read together with its weight
            }
            if (local.endsWith(WEIGHT) || local.endsWith(WEIGHT + ".default")) {
                String module = local.substring(0, local.lastIndexOf(WEIGHT));
                String name = ModelWriter.peft4jName(model, module + ".weight");
                HostTensor idx = tensors.containsKey(PREFIX + module + INDICES)
                        ? tensors.get(PREFIX + module + INDICES) : tensors.get(PREFIX + module + INDICES + ".default");
                if (idx == null) {
                    throw new FileFormatException(file, "'" + key + "' has no matching '" + PREFIX + module + INDICES + "'.");
                }
                if (!model.parameters().contains(name) || model.parameters().shape(name).dimension() != 2) {
                    throw new AdapterMismatchException("The SHiRA adapter in " + dir + " adapts module '" + module
                            + "', but " + model.modelId() + " has no 2-D weight '" + name + "'. Load it onto the base model"
                            + " it was trained on. Parameters of this model: " + model.parameters().describeNames(20));
                }
                long[] dims = model.parameters().shape(name).getShape();
                Sorted sorted = toSortedSupport(e.getValue(), idx, dims, file, key);
                positions.put(name, sorted.positions);
                deltas.put(name, sorted.values);
                trainable += sorted.positions.length;
                targeted += dims[0] * dims[1];
            } else {
                // modules_to_save: plain parameter names (PEFT 0.21) or the in-memory wrapper's
                String plain = local.replace(".modules_to_save.default.", ".");
                head.put(ModelWriter.peft4jName(model, plain), e.getValue());
            }
        }
        if (positions.isEmpty()) {
            throw new FileFormatException(file, "holds no *.shira_weight tensors; it is not a SHiRA adapter.");
        }
        AdapterConfigs.checkHead(model, head, dir);
        // written by our exporter; adapters made by PEFT carry none and are not checked
        AdapterConfigs.checkFingerprint(SafeTensors.header(file).metadata().get("peft4j_base_fingerprint"), model, dir, strict);
        List<String> targets = new ArrayList<>();
        positions.keySet().forEach(n -> targets.add("^" + Pattern.quote(n) + "$"));
        SparseRandom settings = new SparseRandom((double) trainable / targeted, targets, BudgetMode.PER_TENSOR,
                config.path("random_seed").asLong(0), 0f);
        SparseAdapter adapter = SparseAdapter.restore(settings, model, positions, deltas);
        adapter.restoreHead(head);
        return adapter;
    }

    private record Sorted(long[] positions, float[] values) {}

    /** Validates [2, k] (row, col) indices and returns ascending flat positions; duplicates add up (sparse_coo semantics). */
    private static Sorted toSortedSupport(HostTensor weight, HostTensor idx, long[] dims, Path file, String key) {
        if (!"F32".equals(weight.dtype()) || weight.shape().length != 1) {
            throw new FileFormatException(file, "'" + key + "' must be F32 [k], got " + weight.dtype() + " "
                    + Arrays.toString(weight.shape()) + ".");
        }
        int k = Math.toIntExact(weight.shape()[0]);
        if (idx.shape().length != 2 || idx.shape()[0] != 2 || idx.shape()[1] != k) {
            throw new FileFormatException(file, "the indices of '" + key + "' must be [2, " + k + "], got "
                    + idx.dtype() + " " + Arrays.toString(idx.shape()) + ".");
        }
        long[] rc = indexValues(idx, file, key);
        float[] w = weight.floats();
        TreeMap<Long, Float> byPosition = new TreeMap<>();
        for (int i = 0; i < k; i++) {
            long row = rc[i];
            long col = rc[k + i];
            if (row < 0 || row >= dims[0] || col < 0 || col >= dims[1]) {
                throw new FileFormatException(file, "entry " + i + " of '" + key + "' is at (" + row + ", " + col
                        + "), outside the weight's shape " + Arrays.toString(dims) + ".");
            }
            byPosition.merge(row * dims[1] + col, w[i], Float::sum);
        }
        long[] positions = new long[byPosition.size()];
        float[] values = new float[byPosition.size()];
        int i = 0;
        for (Map.Entry<Long, Float> e : byPosition.entrySet()) {
            positions[i] = e.getKey();
            values[i++] = e.getValue();
        }
        return new Sorted(positions, values);
    }

    /** Integer indices; PEFT on Windows saves them as F32 (and converts back on load), so whole floats are accepted. */
    private static long[] indexValues(HostTensor idx, Path file, String key) {
        if ("I64".equals(idx.dtype())) {
            return idx.longs();
        }
        if ("F32".equals(idx.dtype())) {
            float[] f = idx.floats();
            long[] out = new long[f.length];
            for (int i = 0; i < f.length; i++) {
                if (f[i] != Math.rint(f[i])) {
                    throw new FileFormatException(file, "the indices of '" + key + "' hold the non-integer " + f[i] + ".");
                }
                out[i] = (long) f[i];
            }
            return out;
        }
        throw new FileFormatException(file, "the indices of '" + key + "' must be integers, got " + idx.dtype() + ".");
    }

    private static String module(String parameterName) {
        int dot = parameterName.lastIndexOf('.');
        return dot < 0 ? parameterName : parameterName.substring(0, dot);
    }
}
