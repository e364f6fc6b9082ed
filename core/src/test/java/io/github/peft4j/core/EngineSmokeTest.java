package io.github.peft4j.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.*;

class EngineSmokeTest {
    @Test
    void pytorchEngineComputesAMatmul() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {1, 2, 3, 4}, new ai.djl.ndarray.types.Shape(2, 2));
            float[] r = a.matMul(a).toFloatArray();
            assertArrayEquals(new float[] {7, 10, 15, 22}, r, 0f);
            assertEquals("PyTorch", m.getEngine().getEngineName());
        }
    }
}
