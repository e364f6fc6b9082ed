package io.github.peft4j.tests.reliability;

import io.github.peft4j.core.methods.Adapter;
import io.github.peft4j.core.methods.TrainableTensor;

import java.util.LinkedHashMap;
import java.util.Map;

/** Helpers shared by the training reliability tests. */
final class TrainingRuns {
    private TrainingRuns() {}

    /** Every trainable tensor's values, copied to the heap. */
    static Map<String, float[]> snapshot(Adapter adapter) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (TrainableTensor t : adapter.trainable()) {
            out.put(t.name(), t.value().toFloatArray());
        }
        return out;
    }

    /** Fails unless both snapshots hold the same names and bit-identical values. */
    static void assertBitwiseEqual(Map<String, float[]> expected, Map<String, float[]> actual, String what) {
        if (!expected.keySet().equals(actual.keySet())) {
            throw new AssertionError(what + ": tensor names differ: " + expected.keySet() + " vs " + actual.keySet());
        }
        for (String name : expected.keySet()) {
            float[] a = expected.get(name);
            float[] b = actual.get(name);
            if (a.length != b.length) {
                throw new AssertionError(what + ": " + name + " has " + b.length + " values, expected " + a.length);
            }
            for (int i = 0; i < a.length; i++) {
                if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                    throw new AssertionError(what + ": " + name + "[" + i + "] = " + b[i] + ", expected " + a[i]
                            + " (bitwise)");
                }
            }
        }
    }

    static boolean allFinite(Map<String, float[]> snapshot) {
        for (float[] v : snapshot.values()) {
            for (float x : v) {
                if (!Float.isFinite(x)) {
                    return false;
                }
            }
        }
        return true;
    }

    static boolean anyDifferent(Map<String, float[]> a, Map<String, float[]> b) {
        for (String name : a.keySet()) {
            if (!java.util.Arrays.equals(a.get(name), b.get(name))) {
                return true;
            }
        }
        return false;
    }
}
