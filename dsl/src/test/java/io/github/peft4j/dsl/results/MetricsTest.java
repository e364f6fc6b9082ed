package io.github.peft4j.dsl.results;

import io.github.peft4j.EvalResult;
import io.github.peft4j.core.InvalidArgumentException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class MetricsTest {

    @Test
    void binaryAgainstHandComputedValues() {
        // TP=3 (1→1), FN=1 (1→0), FP=2 (0→1), TN=4 (0→0)
        int[] gold = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0};
        int[] pred = {1, 1, 1, 0, 1, 1, 0, 0, 0, 0};
        EvalResult r = EvalResult.of(gold, pred, List.of("ham", "spam"));
        assertEquals(10, r.n());
        assertEquals(0.7, r.accuracy(), 1e-12);
        // F1 = 2TP / (2TP + FP + FN) = 6 / 9
        assertEquals(6.0 / 9, r.f1(), 1e-12);
        // MCC = (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (12 − 2) / √(5·4·6·5)
        assertEquals(10 / Math.sqrt(600), r.mcc(), 1e-12);
        // balanced accuracy = (3/4 + 4/6) / 2
        assertEquals((0.75 + 4.0 / 6) / 2, r.balancedAccuracy(), 1e-12);
        assertArrayEquals(new long[] {4, 2}, r.confusion()[0]);
        assertArrayEquals(new long[] {1, 3}, r.confusion()[1]);
        assertTrue(r.toString().contains("accuracy 0.7000"), r.toString());
        assertTrue(r.toJson().contains("\"confusion\":[[4,2],[1,3]]"), r.toJson());
    }

    @Test
    void multiclassMacroF1AndGorodkinMcc() {
        // confusion (rows true, cols pred):
        // [2 1 0]
        // [0 3 1]
        // [1 0 2]
        int[] gold = {0, 0, 0, 1, 1, 1, 1, 2, 2, 2};
        int[] pred = {0, 0, 1, 1, 1, 1, 2, 0, 2, 2};
        EvalResult r = EvalResult.of(gold, pred, List.of("a", "b", "c"));
        assertEquals(0.7, r.accuracy(), 1e-12);
        // per-class F1: a 2·2/(3+3)=4/6, b 2·3/(4+4)=6/8, c 2·2/(3+3)=4/6
        assertEquals((4.0 / 6 + 6.0 / 8 + 4.0 / 6) / 3, r.f1(), 1e-12);
        // Gorodkin: c=7, s=10, t=(3,4,3), p=(3,4,3): (70 − 34) / √((100 − 34)(100 − 34)) = 36/66
        assertEquals(36.0 / 66, r.mcc(), 1e-12);
        assertEquals((2.0 / 3 + 3.0 / 4 + 2.0 / 3) / 3, r.balancedAccuracy(), 1e-12);
    }

    @Test
    void degenerateCases() {
        EvalResult perfect = EvalResult.of(new int[] {0, 1, 1}, new int[] {0, 1, 1}, List.of("0", "1"));
        assertEquals(1.0, perfect.mcc(), 1e-12);
        assertEquals(1.0, perfect.f1(), 1e-12);
        EvalResult constant = EvalResult.of(new int[] {0, 1, 1}, new int[] {1, 1, 1}, List.of("0", "1"));
        assertEquals(0.0, constant.mcc(), 1e-12, "MCC is 0 when one prediction class is empty");
        assertThrows(InvalidArgumentException.class, () -> EvalResult.of(new int[0], new int[0], List.of()));
        assertThrows(InvalidArgumentException.class, () -> EvalResult.of(new int[] {1}, new int[0], List.of()));
    }
}
