package io.github.peft4j.tests.reliability;

import io.github.peft4j.core.methods.AdaptationMethod;
import io.github.peft4j.core.methods.Adapter;
import io.github.peft4j.core.methods.lora.Lora;
import io.github.peft4j.core.methods.sparse.SparseRandom;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.train.BatchSource;
import io.github.peft4j.core.train.Trainer;
import io.github.peft4j.core.train.TrainingOptions;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;


/**
 * Two threads train two adapters (SpaRTA and LoRA) on one shared frozen base at the same time and
 * get bit-identical results to training them one after the other; the base is untouched. Dropout
 * is off: it draws from the engine's one global generator, which two threads would share.
 */
class ConcurrentTrainingTest {
    static final TrainingOptions OPTIONS = TrainingOptions.defaults().withSteps(16).withLearningRate(5e-3).withWarmup(2)
            .withSeed(5);

    private static Map<String, float[]> baseValues(Model model) {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        for (String name : model.parameters().names()) {
            out.put(name, model.parameters().get(name).toFloatArray());
        }
        return out;
    }

    @Test
    void twoAdaptersOnOneBaseTrainInParallelAsIfSequential() throws Exception {
        List<AdaptationMethod> methods = List.of(SparseRandom.of(0.05).withSeed(1), Lora.of(4).withSeed(2));
        try (Model model = TinyFixtures.bert()) {
            model.setDropout(0f);
            Map<String, float[]> baseBefore = baseValues(model);
            BatchSource dataA = TinyFixtures.randomTokens(32, 8, 4, 21);
            BatchSource dataB = TinyFixtures.randomTokens(32, 8, 4, 22);
            List<BatchSource> data = List.of(dataA, dataB);

            Map<String, float[]>[] sequential = new Map[2];
            for (int i = 0; i < 2; i++) {
                try (Adapter a = methods.get(i).attach(model)) {
                    new Trainer(OPTIONS).train(a, data.get(i));
                    sequential[i] = TrainingRuns.snapshot(a);
                }
            }

            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                for (int round = 0; round < 2; round++) { // twice: interleavings differ between rounds
                    CountDownLatch start = new CountDownLatch(1);
                    Future<Map<String, float[]>>[] results = new Future[2];
                    for (int i = 0; i < 2; i++) {
                        int k = i;
                        results[i] = pool.submit(() -> {
                            try (Adapter a = methods.get(k).attach(model)) {
                                start.await();
                                new Trainer(OPTIONS).train(a, data.get(k));
                                return TrainingRuns.snapshot(a);
                            }
                        });
                    }
                    start.countDown();
                    for (int i = 0; i < 2; i++) {
                        TrainingRuns.assertBitwiseEqual(sequential[i], results[i].get(2, TimeUnit.MINUTES),
                                methods.get(i).name() + " trained concurrently, round " + round);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            TrainingRuns.assertBitwiseEqual(baseBefore, baseValues(model), "the shared base must not change");
        }
    }
}
