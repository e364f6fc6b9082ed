package io.github.peft4j.core.methods;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.WeightView;

import java.nio.file.Path;
import java.util.List;

/**
 * The trainable state of one method on one base model. Several adapters may share one base;
 * none writes into the base weights except through {@link #merge()}.
 */
public interface Adapter extends AutoCloseable {

    /** Same id as {@link AdaptationMethod#name()}. */
    String method();

    Model model();

    /**
     * The weights a forward pass should see for one step. Adapted arrays it creates belong to
     * {@code scope}; {@code training} turns on delta/LoRA dropout where configured.
     */
    WeightView view(NDManager scope, boolean training);

    /** The tensors an optimizer updates (gradients attached), head tensors included. */
    List<TrainableTensor> trainable();

    /** Trainable count, share of the model, optimizer-state bytes (AdamW: 2 floats per trainable entry). */
    ParameterCount count();

    /** Writes the adapted weights into the model's store (W + delta, W + s·B·A). */
    void merge();

    /** Restores the base weights saved by {@link #merge()} (bit-exact for SpaRTA). */
    void unmerge();

    boolean merged();

    /** Saves config + tensors into {@code dir} (created; written to a temp folder then renamed). */
    void save(Path dir);

    @Override
    void close();
}
