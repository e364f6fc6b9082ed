package io.github.peft4j.core.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.peft4j.core.TrainingDivergedException;
import io.github.peft4j.core.methods.Adapter;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.ModelOutput;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The training loop: one NDManager scope per step (closed after it, so nothing accumulates),
 * gradients zeroed each step, masked AdamW over the adapter's trainable tensors, warm-up + decay,
 * gradient clipping, and a divergence check that runs before the update so parameters keep their
 * last good values.
 */
public final class Trainer {
    private final TrainingOptions options;
    private final List<TrainingListener> listeners = new ArrayList<>();

    public Trainer(TrainingOptions options) {
        this.options = options;
    }

    public Trainer listener(TrainingListener l) {
        listeners.add(l);
        return this;
    }

    public TrainingResult train(Adapter adapter, BatchSource data) {
        Model model = adapter.model();
        int perEpoch = data.batchesPerEpoch();
        long total = options.totalSteps(perEpoch);
        LrSchedule schedule = new LrSchedule(options.schedule(), options.learningRate(), options.warmupSteps(), total);
        Engine.getInstance().setRandomSeed((int) options.seed());
        List<StepRecord> history = new ArrayList<>();
        long started = System.nanoTime();
        try (MaskedAdamW optimizer = new MaskedAdamW(adapter.trainable(), options.beta1(), options.beta2(),
                options.eps(), options.weightDecay());
             NDManager run = NDManager.newBaseManager(model.parameters().manager().getDevice())) {
            String summary = adapter.method() + ": " + adapter.count() + ", " + total + " steps";
            listeners.forEach(l -> l.onStart(total, summary));
            for (long step = 0; step < total; step++) {
                int epoch = (int) (step / perEpoch);
                int index = (int) (step % perEpoch);
                double lr = schedule.at(step);
                double loss;
                double gradNorm;
                try (NDManager scope = run.newSubManager()) {
                    optimizer.zeroGrad();
                    Batch batch = data.batch(epoch, index, scope);
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        ModelOutput out = model.forward(batch, adapter.view(scope, true), true, scope);
                        NDArray lossArray = Losses.forTask(model.task(), out.logits(), batch.labels());
                        loss = lossArray.getFloat();
                        if (!Double.isFinite(loss)) {
                            throw diverged(step, "loss", loss, lr);
                        }
                        collector.backward(lossArray);
                    }
                    gradNorm = optimizer.clipGradNorm(options.clipNorm());
                    if (!Double.isFinite(gradNorm)) {
                        throw diverged(step, "gradient norm", gradNorm, lr);
                    }
                    optimizer.step(lr);
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                StepRecord record = new StepRecord(step + 1, epoch, loss, lr, gradNorm, seconds, total);
                history.add(record);
                if ((step + 1) % options.logEvery() == 0 || step + 1 == total) {
                    listeners.forEach(l -> l.onStep(record));
                }
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        listeners.forEach(l -> l.onEnd(history.size(), seconds));
        return new TrainingResult(history, seconds);
    }

    private static TrainingDivergedException diverged(long step, String what, double value, double lr) {
        return new TrainingDivergedException(step + 1, String.format(Locale.ROOT,
                "Training diverged at step %d: the %s is %s (learning rate %.3g). The parameters keep their values"
                        + " from before this step. Lower the learning rate (try 10x smaller), keep gradient clipping on"
                        + " (clipNorm 1.0) or use more warm-up steps.", step + 1, what, value, lr));
    }
}
