package io.github.peft4j.core.train;

import io.github.peft4j.core.TrainingDivergedException;
import io.github.peft4j.core.methods.BaseAdapter;
import io.github.peft4j.core.methods.full.FullFineTuning;
import io.github.peft4j.core.methods.lora.Lora;
import io.github.peft4j.core.methods.sparse.SparseAdapter;
import io.github.peft4j.core.methods.sparse.SparseRandom;
import io.github.peft4j.core.testing.ArrayBatches;
import io.github.peft4j.core.testing.Fixtures;
import io.github.peft4j.core.testing.TinyModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TrainerRobustnessTest {
    static TinyModel bert;
    static ArrayBatches data;

    @BeforeAll
    static void setUp() {
        bert = TinyModel.transformer(TinyModel.Kind.BERT, 50, 16, 32, 3, 17);
        data = Fixtures.randomTokens(40, 6, 50, 3, 8, 5);
    }

    @AfterAll
    static void tearDown() {
        bert.close();
    }

    @Test
    void nativeArrayCountsStayConstantOver50Steps() {
        int storeArrays = bert.parameters().manager().getManagedArrays().size();
        for (BaseAdapter adapter : List.<BaseAdapter>of(SparseRandom.of(0.1).withDropout(0.1f).attach(bert),
                Lora.of(2).withDropout(0.1f).attach(bert), new FullFineTuning().attach(bert))) {
            try (adapter) {
                int adapterArrays = adapter.arrayCount();
                List<int[]> counts = new ArrayList<>();
                TrainingListener probe = r -> counts.add(new int[] {
                        bert.parameters().manager().getManagedArrays().size(), adapter.arrayCount()});
                TrainingResult r = new Trainer(TrainingOptions.defaults().withSteps(50).withWarmup(5)
                        .withLearningRate(1e-3).withLogEvery(1)).listener(probe).train(adapter, data);
                assertEquals(50, r.steps());
                assertEquals(50, counts.size());
                for (int[] c : counts) {
                    assertEquals(storeArrays, c[0], adapter.method() + ": weights' manager grew");
                    assertEquals(adapterArrays, c[1], adapter.method() + ": adapter's manager grew");
                }
                System.out.printf("%s: 50 steps in %.2f s, weights' arrays %d, adapter arrays %d%n",
                        adapter.method(), r.seconds(), storeArrays, adapterArrays);
            }
        }
        assertEquals(storeArrays, bert.parameters().manager().getManagedArrays().size());
    }

    @Test
    void divergenceStopsBeforeTheBadUpdateAndNamesTheStep() {
        // token 49's embedding is NaN; only the 4th batch contains it, so the loss turns NaN at step 4
        try (TinyModel poisoned = TinyModel.transformer(TinyModel.Kind.BERT, 50, 16, 32, 3, 17)) {
            float[] emb = Fixtures.param(poisoned, "embeddings.word_embeddings.weight");
            java.util.Arrays.fill(emb, 49 * 16, 50 * 16, Float.NaN);
            poisoned.parameters().put("embeddings.word_embeddings.weight",
                    poisoned.parameters().manager().create(emb, new ai.djl.ndarray.types.Shape(50, 16)));
            long[][] ids = new long[40][6];
            long[] labels = new long[40];
            for (int i = 0; i < 40; i++) {
                for (int t = 0; t < 6; t++) {
                    ids[i][t] = (i * 7 + t * 3) % 49;
                }
                labels[i] = i % 3;
            }
            ids[25][2] = 49;   // batch 3 (0-based) of size 8
            ArrayBatches batches = new ArrayBatches(ids, labels, 8, 1, false);
            try (SparseAdapter a = SparseRandom.of(0.2).attach(poisoned)) {
                List<float[]> afterStep = new ArrayList<>();
                TrainingListener keep = r -> afterStep.add(a.supports().values().iterator().next().delta().toFloatArray());
                Trainer trainer = new Trainer(TrainingOptions.defaults().withSteps(5).withWarmup(0).withLearningRate(1e-2)
                        .withLogEvery(1)).listener(keep);
                TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> trainer.train(a, batches));
                assertEquals(4, e.step());
                assertEquals(3, afterStep.size());
                assertTrue(e.getMessage().contains("step 4") && e.getMessage().contains("Lower the learning rate"), e.getMessage());
                float[] now = a.supports().values().iterator().next().delta().toFloatArray();
                assertArrayEquals(afterStep.get(2), now, 0f, "parameters keep their values from step 3");
                for (float v : now) {
                    assertTrue(Float.isFinite(v));
                }
            }
        }
    }

    @Test
    void historyRecordsScheduleAndListenersSeeEveryNthStep() {
        try (SparseAdapter a = SparseRandom.of(0.1).attach(bert)) {
            List<Long> seen = new ArrayList<>();
            TrainingResult r = new Trainer(TrainingOptions.defaults().withEpochs(2).withWarmup(4).withLearningRate(1e-2)
                    .withLogEvery(3)).listener(rec -> seen.add(rec.step())).train(a, data);
            assertEquals(10, r.steps());   // 5 batches x 2 epochs
            assertEquals(List.of(3L, 6L, 9L, 10L), seen);
            assertEquals(0.0, r.history().get(0).learningRate());
            assertEquals(5e-3, r.history().get(2).learningRate(), 1e-12);
            assertEquals(1, r.history().get(9).epoch());
            assertTrue(r.history().get(0).gradNorm() > 0);
        }
    }
}
