package io.github.peft4j.core.methods.sparse;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Draws the random support of one weight tensor: ascending flat positions in {@code [0, numel)}.
 *
 * <p>Portable by construction: the only randomness is a {@link SplittableRandom} (its algorithm is
 * specified by the JDK) seeded with the user's seed mixed with a 64-bit FNV-1a hash of the
 * parameter's UTF-8 name, so the same seed gives the same support on every machine and JVM, and
 * each tensor's support does not depend on which other tensors are targeted.
 */
public final class SupportSampler {
    private SupportSampler() {}

    /** The generator for one parameter: seed mixed with a stable hash of its name. */
    public static SplittableRandom rngFor(long seed, String parameterName) {
        long h = 0xcbf29ce484222325L;   // FNV-1a offset basis
        for (byte b : parameterName.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xff);
            h *= 0x100000001b3L;         // FNV-1a prime
        }
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ h);
    }

    /**
     * Exactly {@code k} distinct positions out of {@code n}, sampled uniformly without replacement,
     * ascending. Small {@code k}: Floyd's algorithm with an O(k) hash set; large {@code k}:
     * sequential selection sampling (Knuth's Algorithm S), which emits positions already sorted and
     * needs no n-sized buffer. The choice depends only on (n, k), so results stay reproducible.
     */
    public static long[] exactCount(long n, long k, SplittableRandom rng) {
        if (k < 0 || k > n || k > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("cannot draw " + k + " of " + n + " positions");
        }
        int kk = (int) k;
        long[] out = new long[kk];
        if (kk == 0) {
            return out;
        }
        if (k <= n / 16) {
            LongSet seen = new LongSet(kk);
            int i = 0;
            for (long j = n - k; j < n; j++) {
                long t = rng.nextLong(j + 1);
                long chosen = seen.add(t) ? t : j;
                if (chosen == j) {
                    seen.add(j);
                }
                out[i++] = chosen;
            }
            Arrays.sort(out);
            return out;
        }
        int selected = 0;
        for (long i = 0; i < n && selected < kk; i++) {
            if (rng.nextDouble() * (n - i) < (kk - selected)) {
                out[selected++] = i;
            }
        }
        return out;
    }

    /**
     * Each of {@code n} positions kept independently with probability {@code p} (the paper's
     * Bernoulli draw), ascending. Walks geometric gaps between kept positions, so the cost is
     * proportional to the number kept, not to {@code n}.
     */
    public static long[] bernoulli(long n, double p, SplittableRandom rng) {
        if (!(p > 0) || p > 1) {
            throw new IllegalArgumentException("keep probability must be in (0, 1], got " + p);
        }
        if (p == 1) {
            long[] all = new long[Math.toIntExact(n)];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            return all;
        }
        long[] out = new long[(int) Math.min(Integer.MAX_VALUE - 8, Math.max(16, (long) (n * p * 1.1) + 16))];
        int count = 0;
        double logMiss = Math.log1p(-p);
        long pos = -1;
        while (true) {
            double u = 1.0 - rng.nextDouble();   // in (0, 1]
            long gap = (long) Math.floor(Math.log(u) / logMiss);
            pos += gap + 1;
            if (pos >= n || pos < 0) {
                break;
            }
            if (count == out.length) {
                out = Arrays.copyOf(out, (int) Math.min(Integer.MAX_VALUE - 8, out.length * 2L));
            }
            out[count++] = pos;
        }
        return Arrays.copyOf(out, count);
    }

    /** Open-addressing set of non-negative longs (positions); no boxing, sized for k entries. */
    private static final class LongSet {
        private final long[] slots;
        private final int mask;

        LongSet(int expected) {
            int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
            slots = new long[cap];
            Arrays.fill(slots, -1L);
            mask = cap - 1;
        }

        /** Adds v; returns false when it was already present. */
        boolean add(long v) {
            int i = (int) (mix(v) & mask);
            while (slots[i] != -1L) {
                if (slots[i] == v) {
                    return false;
                }
                i = (i + 1) & mask;
            }
            slots[i] = v;
            return true;
        }

        private static long mix(long v) {
            v ^= v >>> 33;
            v *= 0xff51afd7ed558ccdL;
            v ^= v >>> 33;
            return v;
        }
    }
}
