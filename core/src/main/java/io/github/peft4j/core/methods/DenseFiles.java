package io.github.peft4j.core.methods;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.core.models.Model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Files of the dense methods (full fine-tuning, head-only): {@code model.safetensors} with the
 * trained tensors under their HF names (a full adapter's file is a complete HF checkpoint) and an
 * {@code adapter_config.json}.
 */
public final class DenseFiles {
    public static final String WEIGHTS_FILE = "model.safetensors";

    private DenseFiles() {}

    public static void save(BaseAdapter adapter, String method, Map<String, NDArray> tensors, Path dir) {
        Map<String, HostTensor> host = new LinkedHashMap<>();
        ObjectNode config = AdapterConfigs.newConfig();
        config.put("method", method);
        config.put("base_model_name_or_path", adapter.model().modelId());
        AdapterConfigs.putBase(config, adapter);
        ObjectNode shapes = config.putObject("shapes");
        tensors.forEach((name, a) -> {
            host.put(name, HostTensor.of(a));
            AdapterConfigs.putShape(shapes, name, a.getShape());
        });
        AdapterConfigs.writeFolder(dir, tmp -> {
            SafeTensors.write(tmp.resolve(WEIGHTS_FILE), host, Map.of("format", "pt", "peft4j_method", method));
            AdapterConfigs.write(tmp, config);
        });
    }

    /** Reads and checks the tensors of a dense adapter: every tensor must exist in the model with the same shape. */
    public static Map<String, HostTensor> read(Path dir, Model model) {
        Path file = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new FileFormatException(file, "missing; a full or head-only adapter folder holds " + WEIGHTS_FILE + ".");
        }
        Map<String, HostTensor> tensors = SafeTensors.read(file);
        tensors.forEach((name, t) -> AdapterConfigs.checkParameter(model, name, t.shape(), dir));
        return tensors;
    }
}
