package io.github.peft4j.core.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.AdapterMismatchException;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.io.AtomicFiles;
import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.io.Json;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.core.methods.Adapter;
import io.github.peft4j.core.methods.TrainableTensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training checkpoint: everything needed to continue a run so that it ends bit-identical to one
 * that was never interrupted. One folder, replaced atomically on every save:
 * <ul>
 *   <li>{@value #TRAINABLE_FILE}: every trainable tensor (deltas / LoRA factors / head) by name;</li>
 *   <li>{@value #OPTIMIZER_FILE}: AdamW's two moments per trainable tensor;</li>
 *   <li>{@value #STATE_FILE}: next step, optimizer step count, data position (epoch, batch),
 *       learning-rate schedule position, seed, skipped steps, and the run's shape (total steps,
 *       batches per epoch, tensor names and shapes) so a resume with different settings is refused.</li>
 * </ul>
 * Dropout randomness needs no saved generator state: the trainer reseeds the engine at every step
 * from (seed, step), so step {@code s} draws the same masks whether or not the run was resumed.
 */
public final class Checkpoint {
    public static final String TRAINABLE_FILE = "trainable.safetensors";
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    public static final String STATE_FILE = "trainer_state.json";
    static final int FORMAT = 1;

    /** Where a saved run stands. */
    public record State(long nextStep, long totalSteps, int batchesPerEpoch, int epoch, int batchIndex,
                        double learningRate, long seed, long optimizerSteps, long skippedSteps, String method) {}

    private Checkpoint() {}

    static void save(Path dir, Adapter adapter, MaskedAdamW optimizer, State state) {
        Map<String, HostTensor> values = new LinkedHashMap<>();
        ObjectNode json = Json.mapper().createObjectNode();
        json.put("format", FORMAT);
        json.put("method", state.method());
        json.put("next_step", state.nextStep());
        json.put("total_steps", state.totalSteps());
        json.put("batches_per_epoch", state.batchesPerEpoch());
        json.put("epoch", state.epoch());
        json.put("batch_index", state.batchIndex());
        json.put("learning_rate", state.learningRate());
        json.put("seed", state.seed());
        json.put("optimizer_steps", state.optimizerSteps());
        json.put("skipped_steps", state.skippedSteps());
        ObjectNode shapes = json.putObject("trainable_shapes");
        for (TrainableTensor t : adapter.trainable()) {
            values.put(t.name(), HostTensor.of(t.value()));
            ArrayNode a = shapes.putArray(t.name());
            for (long d : t.value().getShape().getShape()) {
                a.add(d);
            }
        }
        Map<String, HostTensor> moments = optimizer.stateTensors();
        String text = Json.toJson(json);
        AtomicFiles.writeDirectory(dir, tmp -> {
            SafeTensors.write(tmp.resolve(TRAINABLE_FILE), values, Map.of("format", "peft4j-checkpoint"));
            SafeTensors.write(tmp.resolve(OPTIMIZER_FILE), moments, Map.of("format", "peft4j-checkpoint"));
            Files.writeString(tmp.resolve(STATE_FILE), text);
        });
    }

    /** Reads only the state file (e.g. to show where a run stopped). */
    public static State read(Path dir) {
        AtomicFiles.recoverDirectory(dir);
        Path file = dir.resolve(STATE_FILE);
        if (!Files.isRegularFile(file)) {
            throw new FileFormatException(file, "no checkpoint here; pass the folder given to Trainer.checkpointEvery");
        }
        JsonNode n = Json.readTree(file);
        int format = Json.requireInt(n, "format", file);
        if (format != FORMAT) {
            throw new FileFormatException(file, "checkpoint format " + format + " is not supported (expected " + FORMAT + ")");
        }
        return new State(requireLong(n, "next_step", file), requireLong(n, "total_steps", file),
                Json.requireInt(n, "batches_per_epoch", file), Json.requireInt(n, "epoch", file),
                Json.requireInt(n, "batch_index", file), Json.optDouble(n, "learning_rate", Double.NaN, file),
                requireLong(n, "seed", file), requireLong(n, "optimizer_steps", file),
                requireLong(n, "skipped_steps", file), Json.requireString(n, "method", file));
    }

    /**
     * Loads a checkpoint into a freshly attached adapter and a new optimizer, after checking that it
     * belongs to the same kind of run. Returns the saved state; training continues at {@code nextStep}.
     */
    static State restore(Path dir, Adapter adapter, MaskedAdamW optimizer, TrainingOptions options, long totalSteps,
                         int batchesPerEpoch) {
        State s = read(dir);
        Path stateFile = dir.resolve(STATE_FILE);
        if (!s.method().equals(adapter.method())) {
            throw new AdapterMismatchException("The checkpoint in " + dir + " is of a '" + s.method() + "' run; this adapter is '"
                    + adapter.method() + "'. Resume with the same method.");
        }
        if (s.totalSteps() != totalSteps || s.batchesPerEpoch() != batchesPerEpoch || s.seed() != options.seed()) {
            throw new InvalidArgumentException("The checkpoint in " + dir + " was written by a run of " + s.totalSteps()
                    + " steps, " + s.batchesPerEpoch() + " batches per epoch, seed " + s.seed() + "; this run has " + totalSteps
                    + ", " + batchesPerEpoch + ", seed " + options.seed() + ". Resume with the same data, options and seed.");
        }
        if (s.nextStep() < 0 || s.nextStep() > totalSteps || s.optimizerSteps() < 0 || s.optimizerSteps() > s.nextStep()) {
            throw new FileFormatException(stateFile, "next_step " + s.nextStep() + " / optimizer_steps " + s.optimizerSteps()
                    + " are inconsistent with total_steps " + totalSteps);
        }
        JsonNode shapes = Json.readTree(stateFile).path("trainable_shapes");
        Map<String, HostTensor> values = SafeTensors.read(dir.resolve(TRAINABLE_FILE));
        List<TrainableTensor> trainable = adapter.trainable();
        for (TrainableTensor t : trainable) {
            long[] shape = t.value().getShape().getShape();
            HostTensor v = values.get(t.name());
            JsonNode recorded = shapes.get(t.name());
            if (v == null || recorded == null) {
                throw new AdapterMismatchException("The checkpoint in " + dir + " has no tensor '" + t.name()
                        + "'. It was written for a different adapter (method settings, targets or model).");
            }
            if (!"F32".equals(v.dtype()) || !Arrays.equals(shape, v.shape())) {
                throw new AdapterMismatchException("The checkpoint in " + dir + " holds '" + t.name() + "' as " + v
                        + " but the adapter's is F32" + Arrays.toString(shape) + ". Resume with the same method settings.");
            }
        }
        if (values.size() != trainable.size()) {
            throw new AdapterMismatchException("The checkpoint in " + dir + " holds " + values.size()
                    + " trainable tensors but the adapter has " + trainable.size() + ". Resume with the same method settings.");
        }
        optimizer.restoreState(SafeTensors.read(dir.resolve(OPTIMIZER_FILE)), s.optimizerSteps(), dir.resolve(OPTIMIZER_FILE));
        for (TrainableTensor t : trainable) {
            t.value().set(values.get(t.name()).floats());
        }
        return s;
    }

    private static long requireLong(JsonNode n, String field, Path file) {
        JsonNode v = n.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new FileFormatException(file, "field '" + field + "' must be an integer");
        }
        return v.asLong();
    }
}
