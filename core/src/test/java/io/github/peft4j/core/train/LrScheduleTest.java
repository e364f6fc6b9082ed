package io.github.peft4j.core.train;

import io.github.peft4j.core.InvalidArgumentException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class LrScheduleTest {
    @Test
    void linearWarmupThenLinearDecay() {
        LrSchedule s = new LrSchedule(LrSchedule.Kind.LINEAR, 1e-3, 10, 110);
        assertEquals(0.0, s.at(0), 0);
        assertEquals(5e-4, s.at(5), 1e-15);
        assertEquals(1e-3, s.at(10), 1e-15);
        assertEquals(5e-4, s.at(60), 1e-15);
        assertEquals(1e-5, s.at(109), 1e-15);
        assertEquals(0.0, s.at(110), 0);
    }

    @Test
    void cosineAndConstant() {
        LrSchedule c = new LrSchedule(LrSchedule.Kind.COSINE, 2.0, 0, 100);
        assertEquals(2.0, c.at(0), 1e-12);
        assertEquals(1.0, c.at(50), 1e-12);
        assertEquals(2.0 * 0.5 * (1 + Math.cos(Math.PI * 0.25)), c.at(25), 1e-12);
        assertEquals(0.0, c.at(100), 1e-12);
        LrSchedule k = new LrSchedule(LrSchedule.Kind.CONSTANT, 0.1, 4, 100);
        assertEquals(0.05, k.at(2), 1e-12);
        assertEquals(0.1, k.at(99), 0);
    }

    @Test
    void rejectsNonPositiveRate() {
        assertThrows(InvalidArgumentException.class, () -> new LrSchedule(LrSchedule.Kind.LINEAR, 0, 0, 10));
        assertThrows(InvalidArgumentException.class, () -> new LrSchedule(LrSchedule.Kind.LINEAR, Double.NaN, 0, 10));
    }
}
