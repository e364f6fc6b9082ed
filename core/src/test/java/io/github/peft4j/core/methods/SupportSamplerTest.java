package io.github.peft4j.core.methods;

import io.github.peft4j.core.methods.sparse.SupportSampler;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class SupportSamplerTest {

    static void assertAscendingInRange(long[] pos, long n) {
        for (int i = 0; i < pos.length; i++) {
            assertTrue(pos[i] >= 0 && pos[i] < n, "in range");
            if (i > 0) {
                assertTrue(pos[i] > pos[i - 1], "strictly ascending (distinct)");
            }
        }
    }

    @Test
    void exactCountForSmallAndLargeFractions() {
        // k <= n/16 uses Floyd's algorithm, larger k sequential selection: both exact, distinct, sorted
        for (long[] nk : new long[][] {{1_000_000, 5_000}, {4096, 3000}, {100, 100}, {7, 1}}) {
            long[] pos = SupportSampler.exactCount(nk[0], nk[1], new SplittableRandom(1));
            assertEquals(nk[1], pos.length);
            assertAscendingInRange(pos, nk[0]);
        }
    }

    @Test
    void positionsAreUniform() {
        // 20 000 draws of 5 out of 100: each position should be picked ~1000 times
        int[] hits = new int[100];
        SplittableRandom rng = new SplittableRandom(3);
        for (int rep = 0; rep < 20_000; rep++) {
            for (long p : SupportSampler.exactCount(100, 5, rng)) {
                hits[(int) p]++;
            }
        }
        double expected = 20_000 * 5 / 100.0;   // 1000
        double sigma = Math.sqrt(20_000 * 0.05 * 0.95);
        for (int h : hits) {
            assertTrue(Math.abs(h - expected) < 5 * sigma, "position count " + h + " vs " + expected);
        }
    }

    @Test
    void sameSeedAndNameGiveTheSameSupportOnAnyMachine() {
        String name = "model.layers.0.self_attn.v_proj.weight";
        long[] a = SupportSampler.exactCount(4096L * 4096, 20, SupportSampler.rngFor(42, name));
        long[] b = SupportSampler.exactCount(4096L * 4096, 20, SupportSampler.rngFor(42, name));
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, SupportSampler.exactCount(4096L * 4096, 20, SupportSampler.rngFor(43, name))));
        assertFalse(Arrays.equals(a, SupportSampler.exactCount(4096L * 4096, 20,
                SupportSampler.rngFor(42, "model.layers.1.self_attn.v_proj.weight"))));
        // golden values: SplittableRandom and FNV-1a are fully specified, so these never change
        assertArrayEquals(GOLDEN, Arrays.copyOf(a, 5), "support drawn for seed 42 changed: " + Arrays.toString(Arrays.copyOf(a, 5)));
    }

    static final long[] GOLDEN = {148199, 637880, 1846329, 2679823, 2817672};

    @Test
    void bernoulliCountIsWithinFewSigmaAndSorted() {
        long n = 2_000_000;
        double p = 0.003;
        long[] pos = SupportSampler.bernoulli(n, p, new SplittableRandom(11));
        assertAscendingInRange(pos, n);
        double expected = n * p;
        double sigma = Math.sqrt(n * p * (1 - p));
        assertTrue(Math.abs(pos.length - expected) < 4 * sigma, pos.length + " vs " + expected + " +- " + sigma);
        assertEquals(10, SupportSampler.bernoulli(10, 1.0, new SplittableRandom(1)).length);
    }
}
