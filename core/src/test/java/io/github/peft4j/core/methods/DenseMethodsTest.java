package io.github.peft4j.core.methods;

import io.github.peft4j.core.AdapterMismatchException;
import io.github.peft4j.core.methods.full.FullAdapter;
import io.github.peft4j.core.methods.full.FullFineTuning;
import io.github.peft4j.core.methods.head.HeadOnly;
import io.github.peft4j.core.methods.head.HeadOnlyAdapter;
import io.github.peft4j.core.models.WeightView;
import io.github.peft4j.core.testing.ArrayBatches;
import io.github.peft4j.core.testing.Fixtures;
import io.github.peft4j.core.testing.TinyModel;
import io.github.peft4j.core.train.Trainer;
import io.github.peft4j.core.train.TrainingOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class DenseMethodsTest {
    static final TrainingOptions FEW = TrainingOptions.defaults().withSteps(4).withWarmup(0).withLearningRate(1e-2);

    @Test
    void fullFineTuneTrainsCopiesSavesAndLoads(@TempDir Path tmp) {
        try (TinyModel m = TinyModel.mlp(20, 8, 6, 2, 1)) {
            ArrayBatches data = Fixtures.randomTokens(16, 4, 20, 2, 8, 2);
            float[] base = Fixtures.param(m, "layers.0.weight");
            float[] trained;
            try (FullAdapter a = new FullFineTuning().attach(m)) {
                assertEquals(m.parameters().totalCount(), a.count().trainable());
                new Trainer(FEW).train(a, data);
                assertArrayEquals(base, Fixtures.param(m, "layers.0.weight"), 0f, "base untouched");
                trained = Fixtures.logits(m, data, s -> a.view(s, false));
                a.merge();
                assertTrue(Fixtures.maxAbsDiff(trained, Fixtures.logits(m, data, s -> WeightView.of(m.parameters()))) < 1e-6);
                a.unmerge();
                assertArrayEquals(base, Fixtures.param(m, "layers.0.weight"), 0f);
                a.save(tmp.resolve("full"));
            }
            try (Adapter loaded = Adapters.load(tmp.resolve("full"), m, true)) {
                assertEquals(0f, Fixtures.maxAbsDiff(trained, Fixtures.logits(m, data, s -> loaded.view(s, false))));
            }
            try (TinyModel other = TinyModel.mlp(20, 8, 7, 2, 1)) {
                assertThrows(AdapterMismatchException.class, () -> Adapters.load(tmp.resolve("full"), other));
            }
        }
    }

    @Test
    void headOnlyTrainsOnlyTheHead(@TempDir Path tmp) {
        try (TinyModel m = TinyModel.mlp(20, 8, 6, 3, 1)) {
            ArrayBatches data = Fixtures.randomTokens(16, 4, 20, 3, 8, 2);
            float[] trained;
            try (HeadOnlyAdapter a = new HeadOnly().attach(m)) {
                assertEquals(3 * 6 + 3, a.count().trainable());
                new Trainer(FEW).train(a, data);
                trained = Fixtures.logits(m, data, s -> a.view(s, false));
                a.save(tmp.resolve("head"));
            }
            try (Adapter loaded = Adapters.load(tmp.resolve("head"), m, true)) {
                assertEquals("head-only", loaded.method());
                assertEquals(0f, Fixtures.maxAbsDiff(trained, Fixtures.logits(m, data, s -> loaded.view(s, false))));
            }
            try (TinyModel twoClasses = TinyModel.mlp(20, 8, 6, 2, 1)) {
                AdapterMismatchException e = assertThrows(AdapterMismatchException.class, () -> Adapters.load(tmp.resolve("head"), twoClasses));
                assertTrue(e.getMessage().contains("classifier"), e.getMessage());
            }
        }
    }
}
