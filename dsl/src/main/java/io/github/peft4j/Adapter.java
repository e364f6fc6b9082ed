package io.github.peft4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.io.AtomicFiles;
import io.github.peft4j.core.methods.Adapters;
import io.github.peft4j.core.methods.ParameterCount;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.Task;
import io.github.peft4j.dsl.data.Encoder;
import io.github.peft4j.dsl.data.LabelMap;
import io.github.peft4j.dsl.train.Inference;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A trained (or loaded) adapter on a {@link PeftModel}: predicts, generates, evaluates, merges,
 * saves. Besides the method's own files (peft-sparta / PEFT format) the folder gets
 * {@value #TASK_FILE} with the task, label names and max length, so a reload predicts label names.
 */
public final class Adapter implements AutoCloseable {
    public static final String TASK_FILE = "peft4j-task.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PeftModel model;
    private final io.github.peft4j.core.methods.Adapter core;
    private final LabelMap labels;
    private final int maxLength;

    Adapter(PeftModel model, io.github.peft4j.core.methods.Adapter core, LabelMap labels, int maxLength) {
        this.model = model;
        this.core = core;
        this.labels = labels;
        this.maxLength = maxLength;
    }

    /** An adapter folder not yet bound to a model: {@code Adapter.load(dir).applyTo(model)}. */
    public record Saved(Path dir) {
        /** Loads the adapter onto {@code model} (same base weights as it was trained on). */
        public Adapter applyTo(PeftModel model) {
            TaskInfo info = TaskInfo.read(dir);
            PeftModel target = model;
            LabelMap labels = null;
            if (info != null && info.task() == Task.CLASSIFICATION) {
                labels = info.labels();
                target = model.task() == Task.CLASSIFICATION && model.numLabels() == labels.numLabels()
                        ? model : model.forClassification(labels.numLabels());
            } else if (info != null && info.task() == Task.CAUSAL_LM && model.task() != Task.CAUSAL_LM) {
                target = model.forCausalLM();
            } else if (model.task() == Task.CLASSIFICATION) {
                labels = LabelMap.integers(model.numLabels());
            }
            Model coreModel = target.coreFor(PeftModel.DEFAULT_HEAD_SEED);
            io.github.peft4j.core.methods.Adapter loaded = Adapters.load(dir, coreModel);
            Adapter adapter = new Adapter(target, loaded, labels, info == null ? 512 : info.maxLength());
            model.use(adapter);
            return adapter;
        }
    }

    /** Points at a saved adapter folder; nothing is read until {@link Saved#applyTo}. */
    public static Saved load(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new FileFormatException(dir, "no adapter folder here. Pass the folder that adapter().save(...) wrote.");
        }
        return new Saved(dir);
    }

    public PeftModel model() {
        return model;
    }

    /** The core adapter (trainable tensors, views). */
    public io.github.peft4j.core.methods.Adapter core() {
        return core;
    }

    public String method() {
        return core.method();
    }

    public ParameterCount count() {
        return core.count();
    }

    /** Label mapping for classifiers, null for language models. */
    public LabelMap labels() {
        return labels;
    }

    public int maxLength() {
        return maxLength;
    }

    /** Predicted label names for each text. */
    public List<String> predict(List<String> texts) {
        List<String> out = new ArrayList<>();
        for (int id : predictIds(texts)) {
            out.add(labels == null ? Integer.toString(id) : labels.name(id));
        }
        return out;
    }

    public String predict(String text) {
        return predict(List.of(text)).get(0);
    }

    /** Predicted class ids for each text. */
    public int[] predictIds(List<String> texts) {
        return Inference.predictTexts(core.model(), scope -> core.view(scope, false), model.tokenizer(), texts, maxLength);
    }

    /** Greedy continuation of {@code prompt} through this adapter (causal LMs). */
    public String generate(String prompt, int maxNewTokens) {
        return Inference.generate(core.model(), scope -> core.view(scope, false), model.tokenizer(), prompt, maxNewTokens,
                Math.max(maxLength, 2048));
    }

    /** Accuracy, F1, MCC ... on labelled data (labels mapped through this adapter's label names). */
    public EvalResult evaluate(TextDataset data) {
        if (labels == null) {
            throw new InvalidArgumentException("Evaluation with accuracy/F1/MCC needs a classification adapter; this one is "
                    + core.model().task() + ".");
        }
        var examples = Encoder.classification(data, labels, model.tokenizer(), maxLength);
        int[] predicted = Inference.predict(core.model(), scope -> core.view(scope, false), examples, model.tokenizer().padId());
        int[] gold = examples.stream().mapToInt(e -> e.label()).toArray();
        return EvalResult.of(gold, predicted, labels.names());
    }

    /** Writes the adapted weights into the model (faster inference); {@link #unmerge} restores them exactly. */
    public Adapter merge() {
        core.merge();
        return this;
    }

    public Adapter unmerge() {
        core.unmerge();
        return this;
    }

    public boolean merged() {
        return core.merged();
    }

    /** Saves the adapter folder (method files + {@value #TASK_FILE}); returns the folder. */
    public Path save(Path dir) {
        core.save(dir);
        new TaskInfo(core.model().task(), labels, maxLength, model.id()).write(dir.resolve(TASK_FILE));
        return dir;
    }

    @Override
    public void close() {
        if (model.active() == this) {
            model.use(null);
        }
        core.close();
    }

    @Override
    public String toString() {
        return "Adapter " + core.method() + " on " + model.id() + ": " + core.count() + (labels == null ? "" : ", " + labels);
    }

    /** The DSL's sidecar file: what the adapter predicts. */
    record TaskInfo(Task task, LabelMap labels, int maxLength, String baseModel) {
        void write(Path file) {
            ObjectNode root = JSON.createObjectNode();
            root.put("task", task.name());
            root.put("max_length", maxLength);
            root.put("base_model", baseModel);
            if (labels != null) {
                root.put("label_kind", labels.isInteger() ? "integer" : "string");
                var names = root.putArray("labels");
                labels.names().forEach(names::add);
            }
            AtomicFiles.writeString(file, root.toPrettyString());
        }

        static TaskInfo read(Path dir) {
            Path file = dir.resolve(TASK_FILE);
            if (!Files.isRegularFile(file)) {
                return null;
            }
            try {
                JsonNode root = JSON.readTree(file.toFile());
                Task task = Task.valueOf(root.path("task").asText("CLASSIFICATION"));
                LabelMap labels = null;
                if (root.has("labels")) {
                    List<String> names = new ArrayList<>();
                    root.get("labels").forEach(n -> names.add(n.asText()));
                    labels = "integer".equals(root.path("label_kind").asText()) ? LabelMap.integers(names.size()) : LabelMap.named(names);
                }
                return new TaskInfo(task, labels, root.path("max_length").asInt(512), root.path("base_model").asText(""));
            } catch (IOException | IllegalArgumentException e) {
                throw new FileFormatException(file, "unreadable (" + e.getMessage() + "). Delete it to load the adapter without label names.", e);
            }
        }
    }
}
