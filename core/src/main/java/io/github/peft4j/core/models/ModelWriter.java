package io.github.peft4j.core.models;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.io.AtomicFiles;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.core.tensor.ParameterStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Saves a model (typically after {@code adapter.merge()}) as a Hugging Face folder that
 * {@code AutoModelFor….from_pretrained(dir)} and {@link Models#load} read: {@code config.json}
 * (the checkpoint's own, with {@code architectures} and labels set for the task),
 * {@code model.safetensors} with every parameter under its HF name, and {@code tokenizer.json}
 * when the model came with one. The folder is written to a temp folder and renamed into place.
 */
public final class ModelWriter {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ModelWriter() {}

    public static void save(Model model, Path dir) {
        if (!(model instanceof TransformerModel tm)) {
            throw new InvalidArgumentException("Only models loaded with Models.load can be saved in HF layout; got "
                    + model.getClass().getName() + ".");
        }
        if (tm instanceof Bert bert && tm.task() == Task.CLASSIFICATION && bert.pooling() == Bert.Pooling.MEAN) {
            throw new InvalidArgumentException("This BERT classifier averages token states (sentence-transformers"
                    + " pooling), but transformers' BertForSequenceClassification reads [CLS] through the pooler, so the"
                    + " saved folder would compute different logits. Train with forClassification(numLabels, seed,"
                    + " Bert.Pooling.POOLER) to save a model transformers runs identically.");
        }
        ObjectNode config = config(tm);
        Map<String, NDArray> tensors = tensors(tm);
        Optional<Path> tokenizer = tm.tokenizerFile();
        AtomicFiles.writeDirectory(dir, tmp -> {
            SafeTensors.writeArrays(tmp.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
            Files.writeString(tmp.resolve("config.json"), JSON.writeValueAsString(config));
            if (tokenizer.isPresent() && Files.isRegularFile(tokenizer.get())) {
                Files.copy(tokenizer.get(), tmp.resolve("tokenizer.json"));
            }
        });
    }

    /** The checkpoint's config with the class transformers should instantiate for this task. */
    static ObjectNode config(TransformerModel model) {
        ObjectNode config = ((ObjectNode) model.config().json()).deepCopy();
        ArrayNode architectures = config.putArray("architectures");
        architectures.add(hfClass(model.architecture(), model.task()));
        if (model.task() == Task.CLASSIFICATION) {
            int labels = model.numLabels();
            boolean keep = config.path("id2label").isObject() && config.path("id2label").size() == labels;
            if (!keep) {
                ObjectNode id2label = config.putObject("id2label");
                ObjectNode label2id = config.putObject("label2id");
                for (int i = 0; i < labels; i++) {
                    id2label.put(String.valueOf(i), "LABEL_" + i);
                    label2id.put("LABEL_" + i, i);
                }
            }
            config.remove("num_labels");   // transformers derives it from id2label
        }
        return config;
    }

    static String hfClass(String architecture, Task task) {
        String base;
        switch (architecture) {
            case "bert": base = "Bert"; break;
            case "llama": base = "Llama"; break;
            case "qwen2": base = "Qwen2"; break;
            case "gpt2": base = "GPT2"; break;
            case "gpt_neox": base = "GPTNeoX"; break;
            default: throw new InvalidArgumentException("No transformers class known for model_type '" + architecture + "'.");
        }
        switch (task) {
            case CLASSIFICATION: return base + "ForSequenceClassification";
            case CAUSAL_LM: return base.equals("GPT2") ? "GPT2LMHeadModel" : base + "ForCausalLM";
            default: return base + "Model";
        }
    }

    /**
     * Parameters under the names transformers expects. A BERT classifier built on a bare encoder
     * checkpoint (MiniLM stores {@code embeddings.*}, not {@code bert.embeddings.*}) gets the
     * {@code bert.} prefix on its body, because a checkpoint mixing prefixed head and bare body
     * names is not what BertForSequenceClassification.save_pretrained writes.
     */
    static Map<String, NDArray> tensors(TransformerModel model) {
        ParameterStore store = model.parameters();
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String name : store.names()) {
            out.put(transformersName(model, name), store.get(name));
        }
        return out;
    }

    /**
     * The name transformers' class for this model's task gives parameter {@code name}. Differs only
     * for a BERT classifier on a bare-encoder checkpoint: {@code encoder.layer.0...} is
     * {@code bert.encoder.layer.0...} inside BertForSequenceClassification (the classifier keeps its
     * name). PEFT adapter files key tensors by these names, so exporters must use them.
     */
    public static String transformersName(Model model, String name) {
        if (bareBertClassifier(model) && !name.startsWith("classifier.")) {
            return "bert." + name;
        }
        return name;
    }

    /** Inverse of {@link #transformersName}: the parameter of {@code model} a transformers name refers to. */
    public static String peft4jName(Model model, String transformersName) {
        if (bareBertClassifier(model) && transformersName.startsWith("bert.")
                && !model.parameters().contains(transformersName)) {
            return transformersName.substring("bert.".length());
        }
        return transformersName;
    }

    private static boolean bareBertClassifier(Model model) {
        return model instanceof Bert && model.task() == Task.CLASSIFICATION
                && Bert.prefix(model.parameters().names()).isEmpty();
    }
}
