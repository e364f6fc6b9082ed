package io.github.peft4j.core.methods;

import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.methods.lora.Lora;
import io.github.peft4j.core.methods.lora.LoraAdapter;
import io.github.peft4j.core.methods.sparse.BudgetMode;
import io.github.peft4j.core.methods.sparse.SparseAdapter;
import io.github.peft4j.core.methods.sparse.SparseRandom;
import io.github.peft4j.core.testing.TinyModel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class BudgetsTest {
    @Test
    void rankAndDensityConvertAtEqualTrainableCount() {
        try (TinyModel m = TinyModel.transformer(TinyModel.Kind.BERT, 50, 16, 32, 3, 7)) {
            Budgets b = Budgets.of(m, null);
            // body: emb 800 + q,k,v,o (4 x 272) + ffn (544 + 528) = 2960; targets value + output = 512
            assertEquals(2960, b.bodyTotal());
            assertEquals(512, b.targetedTotal());
            assertEquals(2 * 4 * 32, b.loraParameters(4));                 // 256
            assertEquals(256.0 / 512, b.perTensorDensityForRank(4), 1e-12);
            assertEquals(256.0 / 2960, b.globalDensityForRank(4), 1e-12);
            assertEquals(4, b.rankForPerTensorDensity(0.5));
            assertEquals(4, b.rankForGlobalDensity(256.0 / 2960));
            assertEquals(1, b.rankForPerTensorDensity(0.001), "never below rank 1");
            assertThrows(InvalidArgumentException.class, () -> b.perTensorDensityForRank(9));   // 576 > 512

            // the counts the adapters really train agree with the budget (head excluded)
            long head = 3 * 16 + 3;
            try (LoraAdapter lora = Lora.of(4).attach(m);
                 SparseAdapter sparse = SparseRandom.of(b.perTensorDensityForRank(4)).attach(m)) {
                assertEquals(b.loraParameters(4), lora.count().trainable() - head);
                assertEquals(b.loraParameters(4), sparse.count().trainable() - head);
            }
            try (SparseAdapter global = SparseRandom.of(b.globalDensityForRank(4)).withMode(BudgetMode.GLOBAL).attach(m)) {
                long k = global.count().trainable() - head;
                assertTrue(Math.abs(k - 256) < 4 * Math.sqrt(256 * 0.5), "global draw near 256: " + k);
            }
        }
    }
}
