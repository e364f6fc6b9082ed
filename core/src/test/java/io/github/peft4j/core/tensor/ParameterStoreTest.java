package io.github.peft4j.core.tensor;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.InvalidArgumentException;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class ParameterStoreTest {

    private static ParameterStore store(float base, float head) {
        ParameterStore s = new ParameterStore(NDManager.newBaseManager());
        s.put("encoder.weight", s.manager().full(new Shape(4, 4), base));
        s.put("classifier.weight", s.manager().full(new Shape(2, 4), head));
        return s;
    }

    @Test
    void fingerprintIgnoresTheHeadWhenAskedAndSeesEveryBaseValue() {
        Set<String> head = Set.of("classifier.weight");
        try (ParameterStore a = store(1f, 0.1f); ParameterStore b = store(1f, -7f); ParameterStore c = store(1.0001f, 0.1f)) {
            assertEquals(a.fingerprint(head), b.fingerprint(head), "a re-initialised head is the same base");
            assertNotEquals(a.fingerprint(), b.fingerprint(), "the full fingerprint covers the head");
            assertNotEquals(a.fingerprint(head), c.fingerprint(head), "a changed base value changes the fingerprint");
            assertEquals(32, a.fingerprint(head).length());

            String before = a.fingerprint(head);
            a.put("encoder.weight", a.manager().full(new Shape(4, 4), 2f));
            assertNotEquals(before, a.fingerprint(head), "replacing a weight invalidates the cached fingerprint");
        }
    }

    @Test
    void unknownNameListsWhatExists() {
        try (ParameterStore a = store(1f, 0f)) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> a.get("decoder.weight"));
            assertTrue(e.getMessage().contains("encoder.weight") && e.getMessage().contains("classifier.weight"), e.getMessage());
            assertEquals(java.util.List.of("encoder.weight"), a.matching("^encoder\\."));
            assertEquals(24, a.totalCount());
        }
    }
}
