package io.github.peft4j.core.models;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

/**
 * Keys and values of the tokens a decoder has already seen, per layer, so that generating a token
 * costs one position instead of the whole sequence. Owns its arrays in its own manager: each
 * append replaces (and frees) the layer's previous arrays, so the count stays 2 × layers.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    public KvCache(int layers, Device device) {
        this.manager = NDManager.newBaseManager(device);
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /** Tokens already cached (the position of the next one). */
    public int length() {
        return length;
    }

    /** Arrays currently held (2 × layers once filled); for leak tests. */
    public int arrayCount() {
        return manager.getManagedArrays().size();
    }

    /** Appends this step's keys [B, kvHeads, T, D] of {@code layer}; returns all cached keys as a handle owned by {@code into}. */
    NDArray keys(int layer, NDArray k, NDManager into) {
        return append(keys, layer, k, into);
    }

    NDArray values(int layer, NDArray v, NDManager into) {
        return append(values, layer, v, into);
    }

    private NDArray append(NDArray[] slots, int layer, NDArray step, NDManager into) {
        NDArray past = slots[layer];
        NDArray all = past == null ? step.duplicate() : past.concat(step, 2);
        all.attach(manager);
        slots[layer] = all;
        if (past != null) {
            past.close();
        }
        // a view owned by the layer's scope: ops reading it must not allocate in the cache's manager
        return all.get(into, new NDIndex("..."));
    }

    /** Called once all layers have appended {@code tokens} new positions. */
    void advance(int tokens) {
        length += tokens;
    }

    @Override
    public void close() {
        manager.close();
    }
}
