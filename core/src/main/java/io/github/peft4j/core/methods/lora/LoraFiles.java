package io.github.peft4j.core.methods.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.AdapterMismatchException;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.core.methods.AdapterConfigs;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.ModelWriter;
import io.github.peft4j.core.models.Task;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * LoRA adapter folder in Hugging Face PEFT's format, loadable by {@code PeftModel.from_pretrained}:
 * {@code adapter_model.safetensors} with {@code base_model.model.<module>.lora_A.weight} [r, in] and
 * {@code .lora_B.weight} [out, r]; the head (PEFT {@code modules_to_save}) saved under its plain
 * name {@code base_model.model.<head param>} as PEFT 0.21 does; and {@code adapter_config.json}
 * with PEFT's LoraConfig fields plus our own keys under a {@code peft4j} object (PEFT ignores
 * unknown keys with a warning).
 */
public final class LoraFiles {
    public static final String TENSORS_FILE = "adapter_model.safetensors";
    private static final String PREFIX = "base_model.model.";

    private LoraFiles() {}

    static void save(LoraAdapter adapter, Path dir) {
        Lora c = adapter.config();
        Model model = adapter.model();
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        adapter.factors().forEach((name, f) -> {
            // PEFT keys follow transformers' module names (bert.encoder... for a bare-encoder BERT classifier)
            String module = LoraAdapter.peftModule(ModelWriter.transformersName(model, name));
            tensors.put(module + ".lora_A.weight", HostTensor.of(f.a()));
            tensors.put(module + ".lora_B.weight", HostTensor.of(f.b()));
        });
        Set<String> headModules = new LinkedHashSet<>();
        adapter.headTensors().forEach((peft4jName, a) -> {
            String name = ModelWriter.transformersName(model, peft4jName);
            tensors.put(PREFIX + name, HostTensor.of(a));
            int dot = name.lastIndexOf('.');
            headModules.add(dot < 0 ? name : name.substring(0, dot));
        });

        ObjectNode config = AdapterConfigs.newConfig();
        config.put("peft_type", "LORA");
        config.put("base_model_name_or_path", model.modelId());
        config.put("r", c.rank());
        config.put("lora_alpha", c.alpha());
        config.put("lora_dropout", c.dropout());
        ArrayNode modules = config.putArray("target_modules");
        adapter.factors().keySet().forEach(n -> modules.add(
                LoraAdapter.peftModule(ModelWriter.transformersName(model, n)).substring(PREFIX.length())));
        config.put("fan_in_fan_out", adapter.fanInFanOut());
        config.put("bias", "none");
        config.put("use_rslora", false);
        config.put("use_dora", false);
        config.put("init_lora_weights", true);
        String taskType = model.task() == Task.CLASSIFICATION ? "SEQ_CLS" : model.task() == Task.CAUSAL_LM ? "CAUSAL_LM" : null;
        if (taskType == null) {
            config.putNull("task_type");
        } else {
            config.put("task_type", taskType);
        }
        if (headModules.isEmpty()) {
            config.putNull("modules_to_save");
        } else {
            ArrayNode mts = config.putArray("modules_to_save");
            headModules.forEach(mts::add);
        }
        config.put("inference_mode", true);
        ObjectNode ours = config.putObject("peft4j");
        ours.put("method", Lora.NAME);
        ours.put("seed", c.seed());
        ArrayNode targets = ours.putArray("targets");
        c.targets().forEach(targets::add);
        AdapterConfigs.putBase(ours, adapter);
        ObjectNode shapes = ours.putObject("shapes");
        adapter.factors().keySet().forEach(n -> AdapterConfigs.putShape(shapes, n, model.parameters().shape(n)));

        AdapterConfigs.writeFolder(dir, tmp -> {
            SafeTensors.write(tmp.resolve(TENSORS_FILE), tensors, Map.of("format", "pt"));
            AdapterConfigs.write(tmp, config);
        });
    }

    public static LoraAdapter load(Path dir, ObjectNode config, Model model, boolean strict) {
        Path file = dir.resolve(TENSORS_FILE);
        Path configFile = dir.resolve(AdapterConfigs.CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new FileFormatException(file, "missing; a PEFT LoRA adapter folder holds " + TENSORS_FILE
                    + " (pickled adapter_model.bin files are not loaded: convert them with safetensors first).");
        }
        if (config.path("use_dora").asBoolean(false) || config.path("use_rslora").asBoolean(false)) {
            throw new FileFormatException(configFile, "uses DoRA or rsLoRA, which peft4j does not implement yet;"
                    + " only plain LoRA adapters can be loaded.");
        }
        for (String perModule : new String[] {"rank_pattern", "alpha_pattern"}) {
            JsonNode pattern = config.get(perModule);
            if (pattern != null && pattern.isObject() && pattern.size() > 0) {
                throw new FileFormatException(configFile, "sets a per-module '" + perModule + "' " + pattern
                        + "; peft4j loads LoRA adapters with one rank and alpha for all modules.");
            }
        }
        int rank = AdapterConfigs.require(config, dir, "r").asInt();
        float alpha = (float) config.path("lora_alpha").asDouble(rank);
        float dropout = (float) config.path("lora_dropout").asDouble(0);
        JsonNode ours = config.path("peft4j");
        Boolean fanInFanOut = config.has("fan_in_fan_out") ? config.get("fan_in_fan_out").asBoolean() : null;

        Map<String, HostTensor> tensors = SafeTensors.read(file);
        Map<String, float[][]> factors = new LinkedHashMap<>();
        Map<String, HostTensor> head = new LinkedHashMap<>();
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            String key = e.getKey();
            if (!key.startsWith(PREFIX)) {
                throw new FileFormatException(file, "unexpected tensor '" + key + "'; PEFT keys start with '" + PREFIX + "'.");
            }
            String rest = key.substring(PREFIX.length());
            if (rest.endsWith(".lora_A.weight")) {
                String module = rest.substring(0, rest.length() - ".lora_A.weight".length());
                String weight = ModelWriter.peft4jName(model, module + ".weight");
                HostTensor b = tensors.get(PREFIX + module + ".lora_B.weight");
                if (b == null) {
                    throw new FileFormatException(file, "'" + key + "' has no matching lora_B tensor.");
                }
                factors.put(weight, new float[][] {e.getValue().floats(), b.floats()});
                checkFactors(model, weight, e.getValue(), b, rank, fanInFanOut, dir);
            } else if (!rest.endsWith(".lora_B.weight")) {
                // modules_to_save: plain name (PEFT 0.21) or the in-memory wrapper name
                String name = rest.replace(".modules_to_save.default.", ".").replace(".modules_to_save.", ".");
                head.put(ModelWriter.peft4jName(model, name), e.getValue());
            }
        }
        if (factors.isEmpty()) {
            throw new FileFormatException(file, "holds no lora_A/lora_B tensors; it is not a LoRA adapter.");
        }
        AdapterConfigs.checkHead(model, head, dir);
        // structure first (always fatal), then the softer fingerprint check
        AdapterConfigs.checkFingerprint(ours.path("base_fingerprint").asText(null), model, dir, strict);
        List<String> targets = new ArrayList<>();
        factors.keySet().forEach(n -> targets.add(Pattern.quote(n) + "$"));
        Lora settings = new Lora(rank, alpha, dropout, targets, fanInFanOut, ours.path("seed").asLong(0));
        LoraAdapter adapter = LoraAdapter.restore(settings, model, factors);
        adapter.restoreHead(head);
        return adapter;
    }

    private static void checkFactors(Model model, String weight, HostTensor a, HostTensor b, int rank, Boolean fanInFanOut, Path dir) {
        if (!model.parameters().contains(weight)) {
            throw new AdapterMismatchException("The LoRA adapter in " + dir + " adapts '" + weight + "', which "
                    + model.modelId() + " does not have. Parameters of this model: " + model.parameters().describeNames(20));
        }
        long[] w = model.parameters().shape(weight).getShape();
        boolean conv = fanInFanOut != null ? fanInFanOut : "gpt2".equals(model.architecture());
        long in = conv ? w[0] : w[1];
        long out = conv ? w[1] : w[0];
        if (!Arrays.equals(a.shape(), new long[] {rank, in}) || !Arrays.equals(b.shape(), new long[] {out, rank})) {
            throw new AdapterMismatchException("The LoRA factors of '" + weight + "' in " + dir + " have shapes A "
                    + Arrays.toString(a.shape()) + ", B " + Arrays.toString(b.shape()) + " but rank " + rank + " on "
                    + model.modelId() + " needs A [" + rank + ", " + in + "] and B [" + out + ", " + rank
                    + "]. Load the adapter onto the model size it was trained on.");
        }
    }
}
