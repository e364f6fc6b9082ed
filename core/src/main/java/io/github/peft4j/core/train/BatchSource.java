package io.github.peft4j.core.train;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.models.Batch;

/**
 * Batches for training or evaluation. The order within an epoch is fixed by the source
 * (shuffled by its seed and the epoch number), so a run is reproducible and resumable.
 */
public interface BatchSource {

    /** Number of batches in one epoch. */
    int batchesPerEpoch();

    /** Batch {@code index} of {@code epoch}, its arrays created in {@code scope}. */
    Batch batch(int epoch, int index, NDManager scope);
}
