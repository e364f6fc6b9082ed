package io.github.peft4j.core.methods.full;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.methods.BaseAdapter;
import io.github.peft4j.core.methods.TrainableTensor;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.WeightView;
import io.github.peft4j.core.tensor.ParameterStore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Trainable copies of every non-head parameter (the head copies live in {@link BaseAdapter}). */
public final class FullAdapter extends BaseAdapter {
    private final Map<String, NDArray> weights = new LinkedHashMap<>();

    FullAdapter(Model model) {
        super(model);
        ParameterStore store = model.parameters();
        for (String name : store.names()) {
            if (!head.containsKey(name)) {
                weights.put(name, trainableCopy(store.get(name)));
            }
        }
    }

    /** Every trained tensor (body and head) by parameter name, for saving. */
    public Map<String, NDArray> allWeights() {
        Map<String, NDArray> all = new LinkedHashMap<>();
        for (String name : model.parameters().names()) {
            all.put(name, head.containsKey(name) ? head.get(name) : weights.get(name));
        }
        return Collections.unmodifiableMap(all);
    }

    void setWeight(String name, float[] values) {
        NDArray target = head.containsKey(name) ? head.get(name) : weights.get(name);
        target.set(values);
    }

    /** Loads a saved full fine-tune: every parameter of the model must be in the file with its shape. */
    public static FullAdapter load(java.nio.file.Path dir, com.fasterxml.jackson.databind.node.ObjectNode config, Model model, boolean strict) {
        Map<String, io.github.peft4j.core.io.HostTensor> saved = io.github.peft4j.core.methods.DenseFiles.read(dir, model);
        io.github.peft4j.core.methods.AdapterConfigs.checkFingerprint(config.path("base_fingerprint").asText(null), model, dir, strict);
        for (String name : model.parameters().names()) {
            if (!saved.containsKey(name)) {
                throw new io.github.peft4j.core.AdapterMismatchException("The full fine-tune in " + dir + " has no tensor '"
                        + name + "' that " + model.modelId() + " needs; it was saved from a different architecture.");
            }
        }
        FullAdapter adapter = new FullAdapter(model);
        saved.forEach((name, t) -> adapter.setWeight(name, t.floats()));
        return adapter;
    }

    @Override
    public String method() {
        return FullFineTuning.NAME;
    }

    @Override
    public List<String> adaptedNames() {
        return List.copyOf(weights.keySet());
    }

    @Override
    public List<TrainableTensor> trainable() {
        List<TrainableTensor> out = new ArrayList<>();
        // decoupled weight decay only on matrices: biases, norms (1-D) are exempt as usual
        weights.forEach((name, w) -> out.add(new TrainableTensor(name, w, w.getShape().dimension() >= 2, false)));
        out.addAll(headTrainables(""));
        return out;
    }

    @Override
    protected NDArray mergedValue(String name, NDManager scope) {
        NDArray copy = weights.get(name).duplicate();
        copy.attach(scope);
        return copy;
    }

    @Override
    protected WeightView trainingView(NDManager scope, boolean training) {
        return name -> {
            NDArray h = headOrNull(name);
            if (h != null) {
                return h;
            }
            NDArray w = weights.get(name);
            return w != null ? w : model.parameters().get(name);
        };
    }

    @Override
    public void save(Path dir) {
        checkOpen();
        io.github.peft4j.core.methods.DenseFiles.save(this, "full", allWeights(), dir);
    }
}
