package io.github.peft4j;

import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.dsl.data.CoreTokenizer;
import io.github.peft4j.dsl.data.Tokenizer;

import java.nio.file.Path;

/** Loads models together with their tokenizers, ready for {@link Peft#on}. */
public final class Models {
    private Models() {}

    /**
     * all-MiniLM-L6-v2 (22.7M parameters, BERT, 384 hidden, 6 layers) extracted once from the jar
     * that ships it; no network. Call {@code .forClassification(n)} before training a classifier.
     */
    public static PeftModel miniLM() {
        return withTokenizer(io.github.peft4j.core.models.Models.miniLM());
    }

    /** A Hugging Face model folder: config.json, model.safetensors (or shards), tokenizer.json. */
    public static PeftModel load(Path folder) {
        return withTokenizer(io.github.peft4j.core.models.Models.load(folder));
    }

    /** A Hugging Face hub model (downloaded once into the HF cache; honours HF_TOKEN, HF_HUB_OFFLINE). */
    public static PeftModel fromHub(String repoId) {
        return withTokenizer(io.github.peft4j.core.models.Models.fromHub(repoId));
    }

    /** A built-in name ("minilm") or a model folder. */
    public static PeftModel load(String nameOrFolder) {
        if (nameOrFolder.equalsIgnoreCase("minilm") || nameOrFolder.equalsIgnoreCase("all-MiniLM-L6-v2")) {
            return miniLM();
        }
        return load(Path.of(nameOrFolder));
    }

    /** A core model with a tokenizer of your own. */
    public static PeftModel of(Model model, Tokenizer tokenizer) {
        return PeftModel.of(model, tokenizer);
    }

    private static PeftModel withTokenizer(Model model) {
        Path tokenizer = model.tokenizerFile().orElseThrow(() -> new FileFormatException(null, model.modelId()
                + " has no tokenizer.json next to its weights. Save one with transformers' tokenizer.save_pretrained(folder)."));
        return PeftModel.of(model, new CoreTokenizer(tokenizer));
    }
}
