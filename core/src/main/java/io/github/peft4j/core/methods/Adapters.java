package io.github.peft4j.core.methods;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.methods.full.FullAdapter;
import io.github.peft4j.core.methods.full.FullFineTuning;
import io.github.peft4j.core.methods.head.HeadOnly;
import io.github.peft4j.core.methods.head.HeadOnlyAdapter;
import io.github.peft4j.core.methods.lora.Lora;
import io.github.peft4j.core.methods.lora.LoraFiles;
import io.github.peft4j.core.methods.sparse.ShiraFormat;
import io.github.peft4j.core.methods.sparse.SparseFiles;
import io.github.peft4j.core.methods.sparse.SparseRandom;
import io.github.peft4j.core.models.Model;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loads any saved adapter folder onto a model. The method is read from {@code adapter_config.json}:
 * PEFT configs by {@code peft_type} ("LORA"), ours by {@code method}. Names and shapes are always
 * checked ({@link io.github.peft4j.core.AdapterMismatchException}); a different base fingerprint
 * warns on stderr, or fails when {@code strict}.
 */
public final class Adapters {

    /** Reads one method's folder; {@code config} is the parsed adapter_config.json. */
    @FunctionalInterface
    public interface Loader {
        Adapter load(Path dir, ObjectNode config, Model model, boolean strict);
    }

    private static final Map<String, Loader> LOADERS = new ConcurrentHashMap<>(Map.of(
            SparseRandom.NAME, SparseFiles::load,
            Lora.NAME, LoraFiles::load,
            FullFineTuning.NAME, FullAdapter::load,
            HeadOnly.NAME, HeadOnlyAdapter::load));

    private Adapters() {}

    /** Adds a loader for a new method id (the {@code method} field of its configs). */
    public static void register(String method, Loader loader) {
        LOADERS.put(method, loader);
    }

    public static Adapter load(Path dir, Model model) {
        return load(dir, model, false);
    }

    public static Adapter load(Path dir, Model model, boolean strict) {
        // A save killed between its two renames leaves the previous folder aside: put it back.
        io.github.peft4j.core.io.AtomicFiles.recoverDirectory(dir);
        Adapter adapter = loadUnchecked(dir, model, strict);
        try {
            requireFinite(adapter, dir);
        } catch (RuntimeException e) {
            adapter.close();
            throw e;
        }
        return adapter;
    }

    /** A NaN or Inf in a saved adapter would silently poison every output: refuse the file instead. */
    private static void requireFinite(Adapter adapter, Path dir) {
        for (TrainableTensor t : adapter.trainable()) {
            // Every intermediate lands in the adapter's manager (first operand): close each one.
            try (ai.djl.ndarray.NDArray nan = t.value().isNaN(); ai.djl.ndarray.NDArray inf = t.value().isInfinite();
                 ai.djl.ndarray.NDArray bad = nan.logicalOr(inf); ai.djl.ndarray.NDArray any = bad.any()) {
                if (any.getBoolean()) {
                    throw new FileFormatException(dir, "tensor '" + t.name() + "' holds NaN or infinite values; the adapter"
                            + " file is corrupt or was saved from a diverged run. Re-save it from a good run.");
                }
            }
        }
    }

    private static Adapter loadUnchecked(Path dir, Model model, boolean strict) {
        if (!java.nio.file.Files.exists(dir.resolve(AdapterConfigs.CONFIG_FILE))
                && java.nio.file.Files.isRegularFile(dir.resolve(SparseFiles.TENSORS_FILE))) {
            // a folder written by the authors' peft-sparta package: tensors + config.json only
            return SparseFiles.load(dir, AdapterConfigs.newConfig(), model, strict);
        }
        ObjectNode config = AdapterConfigs.read(dir);
        String method;
        if (config.hasNonNull("peft_type")) {
            String peftType = config.get("peft_type").asText();
            if ("SHIRA".equals(peftType)) {
                return ShiraFormat.load(dir, config, model, strict);   // PEFT SHiRA = SpaRTA with (row, col) indices
            }
            if (!"LORA".equals(peftType)) {
                throw new FileFormatException(dir.resolve(AdapterConfigs.CONFIG_FILE), "PEFT adapter type '" + peftType
                        + "' is not supported; peft4j loads LORA and SHIRA adapters from PEFT.");
            }
            method = Lora.NAME;
        } else {
            method = AdapterConfigs.require(config, dir, "method").asText();
        }
        Loader loader = LOADERS.get(method);
        if (loader == null) {
            throw new FileFormatException(dir.resolve(AdapterConfigs.CONFIG_FILE), "unknown method '" + method
                    + "'. Known: " + LOADERS.keySet() + ".");
        }
        return loader.load(dir, config, model, strict);
    }
}
