package io.github.peft4j.core.tensor;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.*;

class ScalarsTest {

    /** Gradient of sum(f(x)) after the JVM had every chance to free and reuse short-lived buffers. */
    private static float[] gradientAfterChurn(UnaryOperator<NDArray> f) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.ones(new Shape(64));
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = f.apply(x).sum();
                // Free unreachable direct buffers, then allocate many small ones holding 1e6 so that
                // freed scalar storage is reused with a recognisable value.
                List<ByteBuffer> keep = new ArrayList<>();
                for (int round = 0; round < 5; round++) {
                    System.gc();
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    for (int i = 0; i < 2000; i++) {
                        ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
                        b.putFloat(0, 1e6f);
                        keep.add(b);
                    }
                }
                gc.backward(y);
                return x.getGradient().toFloatArray();
            }
        }
    }

    @Test
    void torchOwnedScalarKeepsTheGradientExact() {
        for (int trial = 0; trial < 3; trial++) {
            float[] g = gradientAfterChurn(x -> Scalars.mul(x, 3f));
            for (float v : g) {
                assertEquals(3f, v, 0f);
            }
            float[] gi = gradientAfterChurn(x -> Scalars.muli(x.mul(x), 0.5f));
            for (float v : gi) {
                assertEquals(1f, v, 0f);   // d(0.5·x²)/dx at x = 1
            }
            float[] gd = gradientAfterChurn(x -> Scalars.divi(x.mul(x), 4f));
            for (float v : gd) {
                assertEquals(0.5f, v, 0f);
            }
        }
    }
}
