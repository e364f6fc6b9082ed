package io.github.peft4j.tests.methods;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.methods.Adapter;
import io.github.peft4j.core.methods.Adapters;
import io.github.peft4j.core.methods.BaseAdapter;
import io.github.peft4j.core.methods.lora.Lora;
import io.github.peft4j.core.methods.sparse.SparseAdapter;
import io.github.peft4j.core.methods.sparse.SparseRandom;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.Models;
import io.github.peft4j.core.models.Task;
import io.github.peft4j.core.models.WeightView;
import io.github.peft4j.core.train.BatchSource;
import io.github.peft4j.core.train.Evaluator;
import io.github.peft4j.core.train.Trainer;
import io.github.peft4j.core.train.TrainingOptions;
import io.github.peft4j.core.train.TrainingResult;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

/**
 * SpaRTA and LoRA on the real architectures (tiny random HF checkpoints from tests/fixtures): the
 * default targets find Wv/Wo under each architecture's names, a fresh adapter equals the base,
 * training leaks no arrays into the weights' or the adapter's manager, merge equals the unmerged
 * forward, unmerge restores the base bit-exactly, and save → load reproduces the outputs.
 */
class RealModelMethodsTest {

    static Path folder(String name) {
        try {
            return Path.of(RealModelMethodsTest.class.getResource("/fixtures/" + name + "/config.json").toURI()).getParent();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("fixture " + name + " missing: run tests/fixtures/make_fixtures.py", e);
        }
    }

    /** Random token ids valid in every fixture, full attention mask, random labels. */
    static BatchSource randomBatches(int numLabels) {
        return new BatchSource() {
            @Override
            public int batchesPerEpoch() {
                return 4;
            }

            @Override
            public Batch batch(int epoch, int index, NDManager scope) {
                Random r = new Random(index);
                long[] ids = new long[4 * 8];
                long[] mask = new long[ids.length];
                long[] labels = new long[4];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = 3 + r.nextInt(90);   // the smallest fixture vocabulary is 100
                    mask[i] = 1;
                }
                for (int i = 0; i < labels.length; i++) {
                    labels[i] = r.nextInt(numLabels);
                }
                return new Batch(scope.create(ids, new Shape(4, 8)), scope.create(mask, new Shape(4, 8)), null,
                        scope.create(labels));
            }
        };
    }

    static float[] logits(Model model, BatchSource data, Function<NDManager, WeightView> view) {
        try (NDManager scope = NDManager.newBaseManager()) {
            return model.forward(data.batch(0, 0, scope), view.apply(scope), false, scope).logits().toFloatArray();
        }
    }

    static float maxDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    static final List<String> EXPECTED_SUFFIXES = List.of("attention.self.value.weight", "attention.output.dense.weight",
            "self_attn.v_proj.weight", "self_attn.o_proj.weight", "attn.c_attn.weight", "attn.c_proj.weight",
            "attention.query_key_value.weight", "attention.dense.weight");

    @ParameterizedTest
    @ValueSource(strings = {"bert_cls", "gpt2_cls", "llama_cls", "gpt_neox_cls"})
    void spartaAndLoraOnRealArchitectures(String fixture, @TempDir Path tmp) {
        try (Model model = Models.load(folder(fixture))) {
            BatchSource data = randomBatches(model.numLabels());
            float[] base = logits(model, data, s -> WeightView.of(model.parameters()));
            int weightArrays = model.parameters().manager().getManagedArrays().size();
            TrainingOptions opts = TrainingOptions.defaults().withSteps(12).withWarmup(2).withLearningRate(1e-2).withLogEvery(1);

            for (BaseAdapter adapter : List.<BaseAdapter>of(SparseRandom.of(0.1).withDropout(0.1f).attach(model),
                    Lora.of(2).withDropout(0.1f).attach(model))) {
                try (adapter) {
                    String label = fixture + "/" + adapter.method();
                    assertEquals(4, adapter.adaptedNames().size(), label + ": Wv and Wo in 2 layers: " + adapter.adaptedNames());
                    for (String n : adapter.adaptedNames()) {
                        assertTrue(EXPECTED_SUFFIXES.stream().anyMatch(n::endsWith), label + ": unexpected target " + n);
                    }
                    assertEquals(0f, maxDiff(base, logits(model, data, s -> adapter.view(s, false))), label + ": fresh = base");

                    int adapterArrays = adapter.arrayCount();
                    int[] grew = new int[2];
                    Trainer trainer = new Trainer(opts).listener(r -> {
                        grew[0] = Math.max(grew[0], model.parameters().manager().getManagedArrays().size() - weightArrays);
                        grew[1] = Math.max(grew[1], adapter.arrayCount() - adapterArrays);
                    });
                    TrainingResult result = trainer.train(adapter, data);
                    assertEquals(0, grew[0], label + ": arrays piled up in the weights' manager");
                    assertEquals(0, grew[1], label + ": arrays piled up in the adapter's manager");
                    assertTrue(Double.isFinite(result.finalLoss()));

                    float[] trained = logits(model, data, s -> adapter.view(s, false));
                    assertTrue(maxDiff(base, trained) > 1e-4, label + ": training changed the outputs");
                    String target = adapter.adaptedNames().get(0);
                    float[] before = model.parameters().get(target).toFloatArray();
                    adapter.merge();
                    float[] merged = logits(model, data, s -> WeightView.of(model.parameters()));
                    assertTrue(maxDiff(trained, merged) < 1e-5, label + ": merged = unmerged, diff " + maxDiff(trained, merged));
                    adapter.unmerge();
                    assertArrayEquals(before, model.parameters().get(target).toFloatArray(), 0f, label + ": unmerge exact");
                    assertEquals(0f, maxDiff(base, logits(model, data, s -> WeightView.of(model.parameters()))), label);

                    Path dir = tmp.resolve(adapter.method());
                    adapter.save(dir);
                    try (Adapter loaded = Adapters.load(dir, model, true)) {
                        // SpaRTA stores the head as a delta against the base head (peft-sparta layout): float rounding only
                        assertTrue(maxDiff(trained, logits(model, data, s -> loaded.view(s, false))) < 1e-6, label + ": save/load");
                    }
                    System.out.printf("%s: %s, 12 steps %.2f s, loss %.3f -> %.3f%n", label, adapter.count(), result.seconds(),
                            result.history().get(0).loss(), result.finalLoss());
                }
            }
        }
    }

    /** A causal LM memorises one repeated sequence with SpaRTA: the next-token loss must fall by half. */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void spartaTrainsACausalLm(String fixture) {
        try (Model model = Models.load(folder(fixture));
             SparseAdapter adapter = SparseRandom.of(0.2).attach(model)) {
            assertEquals(Task.CAUSAL_LM, model.task());
            BatchSource data = new BatchSource() {
                @Override
                public int batchesPerEpoch() {
                    return 1;
                }

                @Override
                public Batch batch(int epoch, int index, NDManager scope) {
                    long[] ids = {5, 17, 42, 8, 99, 23, 61, 4, 77, 30, 12, 50};
                    long[] labels = ids.clone();
                    labels[0] = -100;   // nothing predicts the first token; also exercises the ignore index
                    long[] mask = new long[ids.length];
                    java.util.Arrays.fill(mask, 1);
                    Shape s = new Shape(1, ids.length);
                    return new Batch(scope.create(ids, s), scope.create(mask, s), null, scope.create(labels, s));
                }
            };
            double before = Evaluator.evaluate(adapter, data).meanLoss();
            new Trainer(TrainingOptions.defaults().withSteps(40).withWarmup(0).withLearningRate(3e-2)).train(adapter, data);
            double after = Evaluator.evaluate(adapter, data).meanLoss();
            System.out.printf("%s causal LM with SpaRTA: loss %.3f -> %.3f (perplexity %.1f -> %.1f)%n", fixture, before, after,
                    Math.exp(before), Math.exp(after));
            assertTrue(after < 0.5 * before, fixture + ": loss " + before + " -> " + after);
        }
    }
}
