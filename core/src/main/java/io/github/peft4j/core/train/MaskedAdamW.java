package io.github.peft4j.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.methods.TrainableTensor;

import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.tensor.NativeArrays;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;

/**
 * AdamW over exactly the trainable tensors an adapter exposes. For SpaRTA those are the k support
 * deltas, so the state is two floats per trainable entry and scales with k, not with the model
 * ("masked" by construction: frozen entries have no state and are never touched).
 *
 * <p>Update, identical to {@code torch.optim.AdamW}: {@code p ← p·(1 − lr·wd)} (decoupled, only
 * tensors with {@code decay}), {@code m ← β1·m + (1−β1)·g}, {@code v ← β2·v + (1−β2)·g²},
 * {@code p ← p − lr/(1−β1ᵗ) · m / (√v / √(1−β2ᵗ) + ε)}. All in place; temporaries closed at once;
 * constants are scalar tensors created once, step-dependent scalars once per step.
 */
public final class MaskedAdamW implements AutoCloseable {
    private final List<TrainableTensor> params;
    private final NDManager state;
    private final List<NDArray> firstMoments = new ArrayList<>();
    private final List<NDArray> secondMoments = new ArrayList<>();
    private final double beta1;
    private final double beta2;
    private final double weightDecay;
    private final NDArray beta1T;
    private final NDArray oneMinusBeta1T;
    private final NDArray beta2T;
    private final NDArray oneMinusBeta2T;
    private final NDArray epsT;
    private long stepCount;

    public MaskedAdamW(List<TrainableTensor> params, double beta1, double beta2, double eps, double weightDecay) {
        if (params.isEmpty()) {
            throw new InvalidArgumentException("Nothing to optimise: the adapter has no trainable tensors.");
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new InvalidArgumentException("AdamW betas must be in [0, 1), got (" + beta1 + ", " + beta2 + "). Default: (0.9, 0.99).");
        }
        if (!(eps > 0)) {
            throw new InvalidArgumentException("AdamW eps must be positive, got " + eps + ". Default: 1e-8.");
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new InvalidArgumentException("Weight decay must be >= 0, got " + weightDecay + ". Default: 0.");
        }
        this.params = List.copyOf(params);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.weightDecay = weightDecay;
        this.state = NDManager.newBaseManager(params.get(0).value().getDevice());
        for (TrainableTensor t : params) {
            firstMoments.add(state.zeros(t.value().getShape(), t.value().getDataType()));
            secondMoments.add(state.zeros(t.value().getShape(), t.value().getDataType()));
        }
        beta1T = NativeArrays.scalar(state, (float) beta1);
        oneMinusBeta1T = NativeArrays.scalar(state, (float) (1 - beta1));
        beta2T = NativeArrays.scalar(state, (float) beta2);
        oneMinusBeta2T = NativeArrays.scalar(state, (float) (1 - beta2));
        epsT = NativeArrays.scalar(state, (float) eps);
    }

    /** AdamW with the SpaRTA paper's settings: betas (0.9, 0.99), eps 1e-8, no weight decay. */
    public static MaskedAdamW paperDefaults(List<TrainableTensor> params) {
        return new MaskedAdamW(params, 0.9, 0.99, 1e-8, 0);
    }

    /** Number of scalars holding optimizer state (two per trainable entry). */
    public long stateSize() {
        long n = 0;
        for (NDArray m : firstMoments) {
            n += 2 * m.size();
        }
        return n;
    }

    public long steps() {
        return stepCount;
    }

    /** Sets every gradient to zero (PyTorch accumulates across backward passes). */
    public void zeroGrad() {
        for (TrainableTensor t : params) {
            JniUtils.zeroGrad((PtNDArray) t.value());
        }
    }

    /** Global L2 norm of all gradients; NaN/Inf when any gradient is not finite. */
    public double gradNorm() {
        double sumSquares = 0;
        for (TrainableTensor t : params) {
            try (NDArray g = t.value().getGradient(); NDArray norm = g.norm()) {
                double n = norm.getFloat();
                sumSquares += n * n;
            }
        }
        return Math.sqrt(sumSquares);
    }

    /**
     * Clips gradients in place to a global norm of at most {@code maxNorm} (torch's
     * {@code clip_grad_norm_}: scale by maxNorm / (norm + 1e-6) when that is below 1).
     * Returns the norm before clipping; gradients are left alone when it is not finite.
     */
    public double clipGradNorm(double maxNorm) {
        double norm = gradNorm();
        if (maxNorm > 0 && Double.isFinite(norm)) {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1) {
                try (NDArray c = NativeArrays.scalar(state, (float) coef)) {
                    for (TrainableTensor t : params) {
                        try (NDArray g = t.value().getGradient()) {
                            g.muli(c);
                        }
                    }
                }
            }
        }
        return norm;
    }

    /** One AdamW update at learning rate {@code lr} using the current gradients. */
    public void step(double lr) {
        stepCount++;
        double biasCorrection1 = 1 - Math.pow(beta1, stepCount);
        double biasCorrection2 = 1 - Math.pow(beta2, stepCount);
        try (NDArray stepSize = NativeArrays.scalar(state, (float) (lr / biasCorrection1));
             NDArray invSqrtBias2 = NativeArrays.scalar(state, (float) (1 / Math.sqrt(biasCorrection2)));
             NDArray decayFactor = NativeArrays.scalar(state, (float) (1 - lr * weightDecay))) {
            for (int i = 0; i < params.size(); i++) {
                TrainableTensor t = params.get(i);
                NDArray p = t.value();
                NDArray m = firstMoments.get(i);
                NDArray v = secondMoments.get(i);
                try (NDArray g = p.getGradient()) {
                    m.muli(beta1T);
                    try (NDArray scaled = g.mul(oneMinusBeta1T)) {
                        m.addi(scaled);
                    }
                    v.muli(beta2T);
                    try (NDArray squared = g.square()) {
                        v.addi(squared.muli(oneMinusBeta2T));
                    }
                }
                if (t.decay() && weightDecay > 0) {
                    p.muli(decayFactor);
                }
                try (NDArray denom = v.sqrt(); NDArray update = m.mul(stepSize)) {
                    denom.muli(invSqrtBias2).addi(epsT);
                    p.subi(update.divi(denom));
                }
            }
        }
    }

    /** The moments as host tensors ({@code m.<i>}, {@code v.<i>} in trainable order), for checkpoints. */
    public Map<String, HostTensor> stateTensors() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            out.put("m." + i, HostTensor.of(firstMoments.get(i)));
            out.put("v." + i, HostTensor.of(secondMoments.get(i)));
        }
        return out;
    }

    /** Puts back moments written by {@link #stateTensors()} and the step count (bias correction). */
    public void restoreState(Map<String, HostTensor> saved, long steps, java.nio.file.Path file) {
        if (saved.size() != 2 * params.size()) {
            throw new io.github.peft4j.core.FileFormatException(file, "holds " + saved.size() + " moment tensors; this"
                    + " optimizer has " + 2 * params.size() + ". The checkpoint belongs to a different adapter.");
        }
        for (int i = 0; i < params.size(); i++) {
            for (NDArray target : List.of(firstMoments.get(i), secondMoments.get(i))) {
                String key = (target == firstMoments.get(i) ? "m." : "v.") + i;
                HostTensor h = saved.get(key);
                if (h == null || !"F32".equals(h.dtype()) || !java.util.Arrays.equals(h.shape(), target.getShape().getShape())) {
                    throw new io.github.peft4j.core.FileFormatException(file, "moment '" + key + "' is missing or has the"
                            + " wrong shape (expected " + target.getShape() + ", found " + h + ").");
                }
                target.set(h.floats());
            }
        }
        stepCount = steps;
    }

    @Override
    public void close() {
        state.close();
    }
}
