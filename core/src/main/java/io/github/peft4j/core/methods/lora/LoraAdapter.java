package io.github.peft4j.core.methods.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import io.github.peft4j.core.methods.BaseAdapter;
import io.github.peft4j.core.methods.TrainableTensor;
import io.github.peft4j.core.methods.sparse.SupportSampler;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.WeightView;
import io.github.peft4j.core.tensor.NativeArrays;
import io.github.peft4j.core.tensor.ParameterStore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * LoRA factors for each targeted weight plus the dense head. The view adds the low-rank path in
 * {@link WeightView#linear}/{@link WeightView#conv1d}, so the base matmul is untouched and no
 * dense W + BA is ever materialised while training.
 */
public final class LoraAdapter extends BaseAdapter {

    /** Factors of one targeted weight: A [r, in], B [out, r] (PEFT's lora_A / lora_B weights). */
    public record Factors(String name, long in, long out, NDArray a, NDArray b) {}

    private final Lora config;
    private final boolean fanInFanOut;
    private final Map<String, Factors> factors = new LinkedHashMap<>();

    private LoraAdapter(Lora config, Model model) {
        super(model);
        this.config = config;
        this.fanInFanOut = config.fanInFanOut(model);
    }

    static LoraAdapter create(Lora config, Model model, List<String> targetNames) {
        LoraAdapter adapter = new LoraAdapter(config, model);
        for (String name : targetNames) {
            long[] inOut = adapter.inOut(name);
            SplittableRandom rng = SupportSampler.rngFor(config.seed(), name);
            // PEFT: nn.init.kaiming_uniform_(A, a=sqrt(5)) -> bound = gain·sqrt(3/fan_in), gain = sqrt(2/(1+5))
            float bound = (float) (1.0 / Math.sqrt(inOut[0]));
            float[] a = new float[Math.toIntExact(config.rank() * inOut[0])];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
            }
            adapter.addFactors(name, inOut[0], inOut[1], a, null);
        }
        return adapter;
    }

    static LoraAdapter restore(Lora config, Model model, Map<String, float[][]> aAndB) {
        LoraAdapter adapter = new LoraAdapter(config, model);
        aAndB.forEach((name, ab) -> {
            long[] inOut = adapter.inOut(name);
            adapter.addFactors(name, inOut[0], inOut[1], ab[0], ab[1]);
        });
        return adapter;
    }

    /** {in, out} features of a targeted weight, honouring the [in, out] storage of GPT-2 Conv1D. */
    long[] inOut(String name) {
        Shape s = model.parameters().shape(name);
        return fanInFanOut ? new long[] {s.get(0), s.get(1)} : new long[] {s.get(1), s.get(0)};
    }

    private void addFactors(String name, long in, long out, float[] a, float[] b) {
        int r = config.rank();
        NDArray aArr = NativeArrays.create(manager, a, new Shape(r, in));
        NDArray bArr = b == null ? manager.zeros(new Shape(out, r), DataType.FLOAT32) : NativeArrays.create(manager, b, new Shape(out, r));
        aArr.setRequiresGradient(true);
        bArr.setRequiresGradient(true);
        factors.put(name, new Factors(name, in, out, aArr, bArr));
    }

    void restoreHead(Map<String, io.github.peft4j.core.io.HostTensor> saved) {
        loadHead(saved);
    }

    public Lora config() {
        return config;
    }

    public boolean fanInFanOut() {
        return fanInFanOut;
    }

    public Map<String, Factors> factors() {
        return Collections.unmodifiableMap(factors);
    }

    @Override
    public String method() {
        return Lora.NAME;
    }

    @Override
    public List<String> adaptedNames() {
        return List.copyOf(factors.keySet());
    }

    /** PEFT's key prefix of a targeted weight: "base_model.model." + module path. */
    public static String peftModule(String weightName) {
        String module = weightName.endsWith(".weight") ? weightName.substring(0, weightName.length() - 7) : weightName;
        return "base_model.model." + module;
    }

    @Override
    public List<TrainableTensor> trainable() {
        List<TrainableTensor> out = new ArrayList<>();
        factors.forEach((name, f) -> {
            out.add(new TrainableTensor(peftModule(name) + ".lora_A.weight", f.a(), true, false));
            out.add(new TrainableTensor(peftModule(name) + ".lora_B.weight", f.b(), true, false));
        });
        out.addAll(headTrainables("base_model.model."));
        return out;
    }

    /** s·B·A as a dense [out, in] matrix (transposed to [in, out] for Conv1D storage), in {@code scope}. */
    private NDArray deltaWeight(Factors f, NDManager scope) {
        NDArray ba = f.b().matMul(f.a());
        ba.attach(scope);
        NativeArrays.muli(ba, config.scaling());
        if (fanInFanOut) {
            NDArray t = ba.transpose();
            t.attach(scope);
            return t;
        }
        return ba;
    }

    @Override
    protected NDArray mergedValue(String name, NDManager scope) {
        NDArray delta = deltaWeight(factors.get(name), scope);
        return delta.add(model.parameters().get(name));
    }

    @Override
    protected WeightView trainingView(NDManager scope, boolean training) {
        ParameterStore store = model.parameters();
        float dropout = training ? config.dropout() : 0f;
        float scaling = config.scaling();
        return new WeightView() {
            @Override
            public NDArray get(String name) {
                NDArray h = headOrNull(name);
                if (h != null) {
                    return h;
                }
                Factors f = factors.get(name);
                if (f == null) {
                    return store.get(name);
                }
                // a model that reads W directly still sees the adapted weight
                return deltaWeight(f, scope).addi(store.get(name));
            }

            @Override
            public NDArray linear(NDArray x, String weightName, String biasName) {
                Factors f = factors.get(weightName);
                if (f == null || fanInFanOut) {
                    return WeightView.super.linear(x, weightName, biasName);
                }
                NDArray y = Linear.linear(x, store.get(weightName), biasName == null ? null : get(biasName)).singletonOrThrow();
                return y.addi(loraPath(x, f));
            }

            @Override
            public NDArray conv1d(NDArray x, String weightName, String biasName) {
                Factors f = factors.get(weightName);
                if (f == null || !fanInFanOut) {
                    return WeightView.super.conv1d(x, weightName, biasName);
                }
                NDArray y = x.matMul(store.get(weightName));
                if (biasName != null) {
                    y.addi(get(biasName));
                }
                return y.addi(loraPath(x, f));
            }

            /** scaling · dropout(x)·Aᵀ·Bᵀ; every intermediate belongs to x's manager. */
            private NDArray loraPath(NDArray x, Factors f) {
                NDArray in = dropout > 0 ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
                NDArray down = Linear.linear(in, f.a(), null).singletonOrThrow();
                NDArray up = Linear.linear(down, f.b(), null).singletonOrThrow();
                return NativeArrays.muli(up, scaling); // not up.muli(scaling): autograd keeps the scalar
            }
        };
    }

    @Override
    public void save(Path dir) {
        checkOpen();
        LoraFiles.save(this, dir);
    }
}
