package io.github.peft4j.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Gradient recording for one training step, usable from several threads at once. DJL's
 * {@code GradientCollector} allows only one collector per process (a static flag: a second thread
 * gets IllegalStateException), although libtorch's grad mode is per thread and each adapter's
 * tensors have their own autograd graph. This does what the collector does (grad mode on for this
 * thread, backward from a ones seed, grad mode restored) without the process-wide flag, so two
 * adapters on one shared frozen base can train in parallel threads.
 */
final class Autograd implements AutoCloseable {
    private final boolean previous;

    private Autograd(boolean enabled) {
        previous = JniUtils.isGradMode();
        JniUtils.setGradMode(enabled);
    }

    /** Records gradients on this thread until closed. */
    Autograd() {
        this(true);
    }

    /**
     * Grad mode off on this thread until closed. libtorch starts new threads with grad mode on
     * (DJL switches it off only on the thread that starts the engine); in-place optimizer updates
     * of tensors that require gradients must run with it off.
     */
    static Autograd off() {
        return new Autograd(false);
    }

    /** Backpropagates a scalar loss into every tensor that requires a gradient. */
    void backward(NDArray loss) {
        try (NDArray seed = loss.onesLike()) {
            JniUtils.backward((PtNDArray) loss, (PtNDArray) seed, false, false);
        }
    }

    @Override
    public void close() {
        JniUtils.setGradMode(previous);
    }
}
