package io.github.peft4j.core.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.peft4j.core.methods.TrainableTensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class MaskedAdamWTest {

    /** torch.optim.AdamW written out plainly, for one scalar parameter vector. */
    static final class PlainAdamW {
        final double lr;
        final double b1;
        final double b2;
        final double eps;
        final double wd;
        final double[] m;
        final double[] v;
        int t;

        PlainAdamW(int n, double lr, double b1, double b2, double eps, double wd) {
            this.lr = lr;
            this.b1 = b1;
            this.b2 = b2;
            this.eps = eps;
            this.wd = wd;
            m = new double[n];
            v = new double[n];
        }

        void step(double[] p, double[] g) {
            t++;
            for (int i = 0; i < p.length; i++) {
                p[i] *= 1 - lr * wd;
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double mHat = m[i] / (1 - Math.pow(b1, t));
                double vHat = v[i] / (1 - Math.pow(b2, t));
                p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        }
    }

    @Test
    void matchesDenseAdamWRestrictedToTheSameEntries() {
        int n = 40;
        Random r = new Random(4);
        float[] target = new float[n];
        double[] reference = new double[n];
        float[] init = new float[n];
        for (int i = 0; i < n; i++) {
            target[i] = (float) r.nextGaussian();
            init[i] = (float) r.nextGaussian() * 0.1f;
            reference[i] = init[i];
        }
        double lr = 0.05;
        double wd = 0.1;
        PlainAdamW plain = new PlainAdamW(n, lr, 0.9, 0.99, 1e-8, wd);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray p = m.create(init);
            p.setRequiresGradient(true);
            NDArray y = m.create(target);
            try (MaskedAdamW opt = new MaskedAdamW(List.of(new TrainableTensor("deltas.w", p, true, false)), 0.9, 0.99, 1e-8, wd)) {
                assertEquals(2L * n, opt.stateSize());
                for (int step = 0; step < 25; step++) {
                    opt.zeroGrad();
                    try (NDManager scope = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray diff = p.sub(y);
                        diff.attach(scope);
                        NDArray loss = diff.square().sum().muli(0.5f);
                        gc.backward(loss);
                    }
                    double[] g = new double[n];
                    for (int i = 0; i < n; i++) {
                        g[i] = reference[i] - target[i];   // d/dp of 0.5 (p - y)^2
                    }
                    opt.step(lr);
                    plain.step(reference, g);
                }
                float[] got = p.toFloatArray();
                double maxDiff = 0;
                for (int i = 0; i < n; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(got[i] - reference[i]));
                }
                assertTrue(maxDiff < 1e-5, "masked AdamW vs plain AdamW max diff " + maxDiff);
                double moved = 0;
                for (int i = 0; i < n; i++) {
                    moved += Math.abs(got[i] - init[i]) / n;
                }
                assertTrue(moved > 0.3, "parameters actually moved: mean |change| " + moved);
            }
        }
    }

    @Test
    void clipsToGlobalNormAndReportsNormBeforeClipping() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {1, 2});
            NDArray b = m.create(new float[] {2});
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                // grads: d/da sum(3a) = 3,3 ; d/db 4b^2/2... use 4b -> 4 : norm sqrt(9+9+16) = sqrt(34)
                NDArray loss = a.mul(3f).sum().add(b.mul(4f).sum());
                gc.backward(loss);
            }
            try (MaskedAdamW opt = MaskedAdamW.paperDefaults(List.of(
                    new TrainableTensor("a", a, true, false), new TrainableTensor("b", b, false, true)))) {
                double norm = opt.clipGradNorm(1.0);
                assertEquals(Math.sqrt(34), norm, 1e-5);
                assertEquals(1.0, opt.gradNorm(), 1e-5);
                float[] ga = a.getGradient().toFloatArray();
                assertEquals(3 / Math.sqrt(34), ga[0], 1e-5);
                assertEquals(0.5, opt.clipGradNorm(5.0) * 0.5, 1e-5, "below the limit nothing changes");
                opt.zeroGrad();
                assertEquals(0.0, opt.gradNorm(), 0.0);
            }
        }
    }

    @Test
    void weightDecayOnlyTouchesDecayingTensors() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray decayed = m.create(new float[] {1, -2});
            NDArray exempt = m.create(new float[] {1, -2});
            decayed.setRequiresGradient(true);
            exempt.setRequiresGradient(true);
            try (MaskedAdamW opt = new MaskedAdamW(List.of(new TrainableTensor("w", decayed, true, false),
                    new TrainableTensor("head.w", exempt, false, true)), 0.9, 0.99, 1e-8, 0.5)) {
                opt.zeroGrad();   // zero gradients: only decoupled decay can move a parameter
                opt.step(0.1);
                assertArrayEquals(new float[] {0.95f, -1.9f}, decayed.toFloatArray(), 1e-7f);
                assertArrayEquals(new float[] {1, -2}, exempt.toFloatArray(), 0f);
            }
        }
    }
}
