package io.github.peft4j.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class LossesTest {
    @Test
    void classificationCrossEntropyMatchesHandComputationAndIsStable() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {1, 2, 3, 1000, 0, -1000}, new Shape(2, 3));
            NDArray labels = m.create(new long[] {2, 1});
            double lse0 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
            double expected = ((lse0 - 3) + 1000) / 2;   // second row: -log softmax = 1000 - 0
            assertEquals(expected, Losses.classification(logits, labels).getFloat(), 1e-3);
        }
    }

    @Test
    void causalLmShiftsByOneAndIgnoresMinus100() {
        try (NDManager m = NDManager.newBaseManager()) {
            // B=1, T=3, V=2: positions 0 and 1 predict labels[1] and labels[2]; labels[2] ignored
            NDArray logits = m.create(new float[] {0, 2, 5, 5, 9, 9}, new Shape(1, 3, 2));
            NDArray labels = m.create(new long[] {7, 0, -100}, new Shape(1, 3));
            double expected = Math.log(1 + Math.exp(2));   // -log softmax([0,2])[0]
            assertEquals(expected, Losses.causalLm(logits, labels).getFloat(), 1e-5);
            NDArray allIgnored = m.create(new long[] {-100, -100, -100}, new Shape(1, 3));
            assertEquals(0f, Losses.causalLm(logits, allIgnored).getFloat());
        }
    }

    @Test
    void outOfRangeLabelsAreClearErrors() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.zeros(new Shape(2, 3));
            io.github.peft4j.core.InvalidArgumentException e = assertThrows(io.github.peft4j.core.InvalidArgumentException.class,
                    () -> Losses.classification(logits, m.create(new long[] {0, 3})));
            assertTrue(e.getMessage().contains("outside [0, 3): found 3"), e.getMessage());
            assertThrows(io.github.peft4j.core.InvalidArgumentException.class,
                    () -> Losses.causalLm(m.zeros(new Shape(1, 2, 4)), m.create(new long[] {0, 9}, new Shape(1, 2))));
        }
    }
}
