package io.github.peft4j.core.methods;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.WeightView;
import io.github.peft4j.core.tensor.ParameterStore;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every adapter shares: its own NDManager (so several adapters can sit on one base and
 * closing one frees exactly its arrays), a trainable dense copy of the task head, and the
 * merge/unmerge bookkeeping. Subclasses say which weights they adapt and how.
 */
public abstract class BaseAdapter implements Adapter {
    protected final Model model;
    /** Owns every array of this adapter: deltas, LoRA factors, head copies, optimizer-free state. */
    protected final NDManager manager;
    /** Trainable copies of the task head, by parameter name (empty for models without a head). */
    protected final Map<String, NDArray> head = new LinkedHashMap<>();
    /**
     * Fingerprint of the base weights (recorded in saved configs). Hashing every weight is slow on
     * big models, so it is computed on first need: at save, or before merge changes the store.
     */
    private String baseFingerprint;
    /** Base arrays replaced by {@link #merge()}, restored by {@link #unmerge()}. */
    private final Map<String, NDArray> originals = new LinkedHashMap<>();
    private boolean closed;

    protected BaseAdapter(Model model) {
        this.model = model;
        ParameterStore store = model.parameters();
        this.manager = NDManager.newBaseManager(store.manager().getDevice());
        // Checkpoint order, not the head set's: Set.of iterates in an order salted per JVM run, and the
        // order of the trainable list decides the summation order of the gradient norm, so a run
        // would differ in the last bits from one process to the next.
        for (String name : store.names()) {
            if (model.headParameters().contains(name)) {
                head.put(name, trainableCopy(store.get(name)));
            }
        }
        for (String name : model.headParameters()) {
            if (!head.containsKey(name)) {
                head.put(name, trainableCopy(store.get(name))); // throws the store's "no parameter" error
            }
        }
    }

    /** A copy of {@code source} owned by this adapter with gradients enabled. */
    protected final NDArray trainableCopy(NDArray source) {
        NDArray copy = source.duplicate();
        copy.attach(manager);
        copy.setRequiresGradient(true);
        return copy;
    }

    /** Copies saved head values into the head copies (loading; shapes already checked). */
    protected final void loadHead(Map<String, io.github.peft4j.core.io.HostTensor> saved) {
        saved.forEach((name, t) -> head.get(name).set(t.floats()));
    }

    /** Native arrays this adapter currently owns; constant while training (a leak check). */
    public int arrayCount() {
        return manager.getManagedArrays().size();
    }

    @Override
    public Model model() {
        return model;
    }

    public synchronized String baseFingerprint() {
        if (baseFingerprint == null) {
            if (merged()) {
                throw new IllegalStateException("fingerprint requested while merged");
            }
            baseFingerprint = model.parameters().fingerprint(model.headParameters());
        }
        return baseFingerprint;
    }

    /** Names of the base weights this adapter changes (head excluded), in checkpoint order. */
    public abstract List<String> adaptedNames();

    /** The adapted value of one of {@link #adaptedNames()}, created in {@code scope}, without dropout. */
    protected abstract NDArray mergedValue(String name, NDManager scope);

    /** The view while not merged; head names resolve to the trainable copies. */
    protected abstract WeightView trainingView(NDManager scope, boolean training);

    @Override
    public final WeightView view(NDManager scope, boolean training) {
        checkOpen();
        if (merged()) {
            if (training) {
                throw new InvalidArgumentException("This " + method() + " adapter is merged into the base weights and"
                        + " cannot be trained. Call unmerge() before training.");
            }
            return WeightView.of(model.parameters());
        }
        return trainingView(scope, training);
    }

    /** The head copy for a head name, or null. */
    protected final NDArray headOrNull(String name) {
        return head.get(name);
    }

    protected final List<TrainableTensor> headTrainables(String prefix) {
        List<TrainableTensor> out = new ArrayList<>();
        head.forEach((name, value) -> out.add(new TrainableTensor(prefix + name, value, false, true)));
        return out;
    }

    /** Head parameter names in checkpoint order. */
    public final List<String> headNames() {
        return List.copyOf(head.keySet());
    }

    /** Read-only access to the head copies (for saving). */
    public final Map<String, NDArray> headTensors() {
        return Collections.unmodifiableMap(head);
    }

    @Override
    public ParameterCount count() {
        long trainable = 0;
        for (TrainableTensor t : trainable()) {
            trainable += t.value().size();
        }
        return ParameterCount.adamW(trainable, model.parameters().totalCount());
    }

    @Override
    public synchronized void merge() {
        checkOpen();
        if (merged()) {
            return;
        }
        baseFingerprint();   // of the unmerged base, before the store changes
        ParameterStore store = model.parameters();
        try (NDManager scope = manager.newSubManager()) {
            List<String> names = new ArrayList<>(adaptedNames());
            names.addAll(head.keySet());
            for (String name : names) {
                NDArray original = store.get(name).duplicate();   // the store closes what it replaces
                original.attach(manager);
                NDArray value = head.containsKey(name) ? head.get(name).duplicate() : mergedValue(name, scope);
                NDArray detached = value.stopGradient();   // no autograd history inside the store
                if (detached != value) {
                    value.close();
                }
                originals.put(name, original);
                store.put(name, detached);   // attaches to the store's manager
            }
        }
    }

    @Override
    public synchronized void unmerge() {
        checkOpen();
        ParameterStore store = model.parameters();
        for (Map.Entry<String, NDArray> e : originals.entrySet()) {
            store.put(e.getKey(), e.getValue());
        }
        originals.clear();
    }

    @Override
    public boolean merged() {
        return !originals.isEmpty();
    }

    protected final void checkOpen() {
        if (closed) {
            throw new InvalidArgumentException("This " + method() + " adapter was closed; create or load it again.");
        }
    }

    /** Restores the base if merged, then frees every array the adapter owns. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (merged()) {
            unmerge();
        }
        closed = true;
        manager.close();
    }
}
