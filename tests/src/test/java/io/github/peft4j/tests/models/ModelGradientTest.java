package io.github.peft4j.tests.models;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.models.Models;
import io.github.peft4j.core.models.TransformerModel;
import io.github.peft4j.core.models.WeightView;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Training needs backward through forward: the per-layer managers, attach/close and in-place ops
 * must leave autograd intact. Autograd gradients of a fixed linear function of the logits w.r.t.
 * an inner weight are compared with central finite differences.
 */
class ModelGradientTest {

    @ParameterizedTest
    @CsvSource({
            "bert_cls, bert.encoder.layer.0.attention.self.value.weight",
            "llama, model.layers.0.self_attn.v_proj.weight",
            "gemma, model.layers.0.input_layernorm.weight",
            "granite, model.layers.1.self_attn.o_proj.weight",
            "gpt2, transformer.h.0.attn.c_proj.weight",
            "gpt_neox_cls, gpt_neox.layers.0.attention.query_key_value.weight"})
    void autogradMatchesFiniteDifferences(String fixture, String target) {
        try (TransformerModel model = Models.load(Fixtures.folder(fixture)); NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> ref = Fixtures.reference(fixture, m);
            Batch batch = Fixtures.batch(ref, "right");
            NDArray trainable = model.parameters().get(target).duplicate();
            trainable.attach(m);
            trainable.setRequiresGradient(true);
            WeightView view = name -> name.equals(target) ? trainable : model.parameters().get(name);

            long logitCount;
            try (NDManager probe = m.newSubManager()) {
                logitCount = model.forward(batch, view, false, probe).logits().size();
            }
            float[] mix = new float[(int) logitCount];
            Random random = new Random(3);
            for (int i = 0; i < mix.length; i++) {
                mix[i] = (float) random.nextGaussian();
            }
            float[] grad;
            try (NDManager step = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = model.forward(batch, view, true, step).logits();
                NDArray loss = logits.mul(step.create(mix, logits.getShape())).sum();
                gc.backward(loss);
                try (NDArray g = trainable.getGradient()) {
                    grad = g.toFloatArray();
                }
            }
            float[] base = trainable.toFloatArray();
            double h = 1e-2;
            double worst = 0;
            int[] probes = {0, 7, base.length / 2, base.length - 1};
            for (int idx : probes) {
                double up = lossWith(model, batch, target, base, idx, h, mix, m);
                double down = lossWith(model, batch, target, base, idx, -h, mix, m);
                double numeric = (up - down) / (2 * h);
                double err = Math.abs(numeric - grad[idx]) / Math.max(1e-2, Math.abs(numeric));
                worst = Math.max(worst, err);
                assertTrue(err < 2e-2, fixture + " d/d" + target + "[" + idx + "]: autograd " + grad[idx] + " vs numeric " + numeric);
            }
            double norm = 0;
            for (float g : grad) {
                norm += g * g;
            }
            System.out.printf("gradient %-12s |g| %.3f, worst relative error vs finite differences %.1e%n", fixture, Math.sqrt(norm), worst);
            assertTrue(norm > 0);
        }
    }

    private static double lossWith(TransformerModel model, Batch batch, String target, float[] base, int idx, double h, float[] mix, NDManager m) {
        try (NDManager scope = m.newSubManager()) {
            float[] moved = base.clone();
            moved[idx] += (float) h;
            NDArray w = scope.create(moved, model.parameters().shape(target));
            WeightView view = name -> name.equals(target) ? w : model.parameters().get(name);
            float[] logits = model.forward(batch, view, false, scope).logits().toFloatArray();
            double loss = 0;
            for (int i = 0; i < logits.length; i++) {
                loss += (double) logits[i] * mix[i];
            }
            return loss;
        }
    }
}
