package io.github.peft4j.core.methods.sparse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.methods.BaseAdapter;
import io.github.peft4j.core.methods.Targets;
import io.github.peft4j.core.methods.TrainableTensor;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.WeightView;
import io.github.peft4j.core.tensor.NativeArrays;
import io.github.peft4j.core.tensor.ParameterStore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SpaRTA state on one model: per targeted tensor a fixed support (ascending flat positions), the
 * base values at the support and a trainable delta. The effective weight of a step is one copy of
 * W with the support entries replaced by {@code W0[idx] + delta} (torch {@code put}), created in the
 * step's scope, so the delta's gradient is exactly the dense gradient of W gathered at the support
 * and the base weight is never written. Of the forms measured for this (DESIGN.md §6), the single
 * {@code put} into a copy was the fastest (0.18 ms per 384×384 matrix); it also avoids a dense
 * zero-filled delta matrix per step.
 */
public final class SparseAdapter extends BaseAdapter {

    /** One targeted tensor: support, base values there, trainable delta (all owned by the adapter). */
    public record Support(String name, Shape shape, NDArray indices, NDArray baseValues, NDArray delta) {
        public long size() {
            return indices.size();
        }
    }

    private final SparseRandom config;
    private final Map<String, Support> supports = new LinkedHashMap<>();

    private SparseAdapter(SparseRandom config, Model model) {
        super(model);
        this.config = config;
    }

    static SparseAdapter create(SparseRandom config, Model model, List<String> targetNames) {
        ParameterStore store = model.parameters();
        double keepProbability = 0;
        if (config.mode() == BudgetMode.GLOBAL) {
            long targeted = 0;
            for (String n : targetNames) {
                targeted += store.numel(n);
            }
            keepProbability = SparseRandom.globalKeepProbability(config.density(), Targets.bodyCount(model), targeted);
        }
        Map<String, long[]> positions = new LinkedHashMap<>();
        for (String name : targetNames) {
            long numel = store.numel(name);
            long[] pos = config.mode() == BudgetMode.GLOBAL
                    ? SupportSampler.bernoulli(numel, keepProbability, SupportSampler.rngFor(config.seed(), name))
                    : SupportSampler.exactCount(numel, Math.round(config.density() * numel),
                            SupportSampler.rngFor(config.seed(), name));
            if (pos.length > 0) {
                positions.put(name, pos);
            }
        }
        if (positions.isEmpty()) {
            throw new InvalidArgumentException("SpaRTA density " + config.density() + " rounds to zero trainable entries"
                    + " on every targeted tensor " + targetNames + ". Raise the density.");
        }
        SparseAdapter adapter = new SparseAdapter(config, model);
        positions.forEach((name, pos) -> adapter.addSupport(name, pos, null));
        return adapter;
    }

    /** Used by loading: fixed positions and trained deltas. */
    static SparseAdapter restore(SparseRandom config, Model model, Map<String, long[]> positions, Map<String, float[]> deltas) {
        SparseAdapter adapter = new SparseAdapter(config, model);
        positions.forEach((name, pos) -> adapter.addSupport(name, pos, deltas.get(name)));
        return adapter;
    }

    private void addSupport(String name, long[] positions, float[] initialDelta) {
        NDArray weight = model.parameters().get(name);
        NDArray indices = NativeArrays.create(manager, positions);
        NDArray baseValues = weight.take(manager, indices);
        NDArray delta = initialDelta == null
                ? manager.zeros(new Shape(positions.length), DataType.FLOAT32)
                : NativeArrays.create(manager, initialDelta);
        delta.setRequiresGradient(true);
        supports.put(name, new Support(name, weight.getShape(), indices, baseValues, delta));
    }

    void restoreHead(Map<String, io.github.peft4j.core.io.HostTensor> saved) {
        loadHead(saved);
    }

    public SparseRandom config() {
        return config;
    }

    /** Supports by parameter name, in checkpoint order. */
    public Map<String, Support> supports() {
        return java.util.Collections.unmodifiableMap(supports);
    }

    @Override
    public String method() {
        return SparseRandom.NAME;
    }

    @Override
    public List<String> adaptedNames() {
        return List.copyOf(supports.keySet());
    }

    @Override
    public List<TrainableTensor> trainable() {
        List<TrainableTensor> out = new ArrayList<>();
        supports.forEach((name, s) -> out.add(new TrainableTensor("deltas." + name, s.delta(), true, false)));
        out.addAll(headTrainables("head."));
        return out;
    }

    @Override
    protected NDArray mergedValue(String name, NDManager scope) {
        Support s = supports.get(name);
        NDArray source = s.baseValues().add(s.delta());
        source.attach(scope);
        NDArray merged = model.parameters().get(name).put(s.indices(), source);
        merged.attach(scope);
        return merged;
    }

    @Override
    protected WeightView trainingView(NDManager scope, boolean training) {
        ParameterStore store = model.parameters();
        float dropout = training ? config.dropout() : 0f;
        Map<String, NDArray> built = new HashMap<>();   // each adapted weight built once per view
        return name -> {
            NDArray h = headOrNull(name);
            if (h != null) {
                return h;
            }
            Support s = supports.get(name);
            if (s == null) {
                return store.get(name);
            }
            return built.computeIfAbsent(name, n -> effectiveWeight(s, store.get(n), scope, dropout));
        };
    }

    /** {@code W} with the support entries set to {@code W0[idx] + dropout(1) ⊙ delta}, owned by {@code scope}. */
    private static NDArray effectiveWeight(Support s, NDArray weight, NDManager scope, float dropout) {
        NDArray source;
        if (dropout > 0) {
            // inverted dropout on the delta: keep with 1-p, scale by 1/(1-p); mask created in scope first
            NDArray keep = scope.randomUniform(0f, 1f, s.delta().getShape()).gte(dropout);
            NDArray mask = NativeArrays.muli(keep.toType(DataType.FLOAT32, false), 1f / (1f - dropout));
            source = mask.mul(s.delta()).addi(s.baseValues());
        } else {
            source = s.delta().add(s.baseValues());
            source.attach(scope);
        }
        NDArray effective = weight.put(s.indices(), source);   // result starts in the weights' manager
        effective.attach(scope);
        return effective;
    }

    @Override
    public void save(Path dir) {
        checkOpen();
        SparseFiles.save(this, dir);
    }

    /**
     * Saves this adapter as a Hugging Face PEFT SHiRA adapter ({@code PeftModel.from_pretrained} loads
     * it and computes the same function); see {@link ShiraFormat} for the r·(m+n) sizing rule.
     */
    public void exportShira(Path dir) {
        checkOpen();
        ShiraFormat.export(this, dir);
    }
}
