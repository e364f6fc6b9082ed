package io.github.peft4j.core.methods.head;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.methods.BaseAdapter;
import io.github.peft4j.core.methods.TrainableTensor;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.WeightView;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Only the head copies (kept by {@link BaseAdapter}) are trainable. */
public final class HeadOnlyAdapter extends BaseAdapter {

    HeadOnlyAdapter(Model model) {
        super(model);
    }

    void restoreHead(Map<String, io.github.peft4j.core.io.HostTensor> saved) {
        loadHead(saved);
    }

    /** Loads a saved head: exactly the model's head parameters, same shapes. */
    public static HeadOnlyAdapter load(java.nio.file.Path dir, com.fasterxml.jackson.databind.node.ObjectNode config, Model model, boolean strict) {
        Map<String, io.github.peft4j.core.io.HostTensor> saved = io.github.peft4j.core.methods.DenseFiles.read(dir, model);
        io.github.peft4j.core.methods.AdapterConfigs.checkFingerprint(config.path("base_fingerprint").asText(null), model, dir, strict);
        io.github.peft4j.core.methods.AdapterConfigs.checkHead(model, saved, dir);
        HeadOnlyAdapter adapter = new HeadOnlyAdapter(model);
        adapter.restoreHead(saved);
        return adapter;
    }

    @Override
    public String method() {
        return HeadOnly.NAME;
    }

    @Override
    public List<String> adaptedNames() {
        return List.of();
    }

    @Override
    public List<TrainableTensor> trainable() {
        return headTrainables("");
    }

    @Override
    protected NDArray mergedValue(String name, NDManager scope) {
        throw new IllegalStateException("head-only adapts no body weight: " + name);
    }

    @Override
    protected WeightView trainingView(NDManager scope, boolean training) {
        return name -> {
            NDArray h = headOrNull(name);
            return h != null ? h : model.parameters().get(name);
        };
    }

    @Override
    public void save(Path dir) {
        checkOpen();
        io.github.peft4j.core.methods.DenseFiles.save(this, "head-only", headTensors(), dir);
    }
}
