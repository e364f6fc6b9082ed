package io.github.peft4j.core.methods;

import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.tensor.ParameterStore;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which base-model weights a method adapts, chosen by regex over HF parameter names.
 *
 * <p>The defaults follow the SpaRTA paper: only the attention value and output projections
 * (Wv, Wo). Per architecture that is
 * <ul>
 *   <li>BERT: {@code attention.self.value.weight}, {@code attention.output.dense.weight}</li>
 *   <li>Llama / Mistral / Gemma: {@code self_attn.v_proj.weight}, {@code self_attn.o_proj.weight}</li>
 *   <li>GPT-2: {@code attn.c_attn.weight} (fused Q/K/V: the V third is not a separate tensor, so
 *       the whole fused matrix is targeted) and {@code attn.c_proj.weight}</li>
 *   <li>GPT-NeoX / Pythia: {@code attention.query_key_value.weight} (fused) and {@code attention.dense.weight}</li>
 * </ul>
 * Only 2-D weight matrices are selected (no biases, norms or embeddings vectors) and the task
 * head is always excluded, because it is trained densely by every method.
 */
public final class Targets {
    /** Attention value + output projections across the supported architectures. */
    public static final List<String> VALUE_AND_OUTPUT = List.of(
            "attention\\.self\\.value\\.weight$",
            "attention\\.output\\.dense\\.weight$",
            "self_attn\\.v_proj\\.weight$",
            "self_attn\\.o_proj\\.weight$",
            "attn\\.c_attn\\.weight$",
            "attn\\.c_proj\\.weight$",
            "attention\\.query_key_value\\.weight$",
            "attention\\.dense\\.weight$");

    private Targets() {}

    /**
     * Resolves patterns to parameter names in checkpoint order.
     *
     * @param patterns     regexes with {@code find} semantics
     * @param eachMustMatch true for user-given patterns (a pattern matching nothing is an error);
     *                      false for the cross-architecture defaults (only the union must match)
     */
    public static List<String> resolve(Model model, List<String> patterns, boolean eachMustMatch) {
        if (patterns == null || patterns.isEmpty()) {
            throw new InvalidArgumentException("No target patterns given. Pass regexes over parameter names, e.g. "
                    + "\"attention\\\\.self\\\\.value\\\\.weight$\", or use the defaults (Targets.VALUE_AND_OUTPUT).");
        }
        ParameterStore store = model.parameters();
        Set<String> head = model.headParameters();
        Set<String> chosen = new LinkedHashSet<>();
        List<Pattern> compiled = new ArrayList<>();
        for (String p : patterns) {
            try {
                compiled.add(Pattern.compile(p));
            } catch (PatternSyntaxException e) {
                throw new InvalidArgumentException("Target pattern '" + p + "' is not a valid regular expression: "
                        + e.getDescription() + ". Escape dots as \\\\. in Java strings.");
            }
        }
        for (int i = 0; i < compiled.size(); i++) {
            Pattern p = compiled.get(i);
            int matched = 0;
            for (String name : store.names()) {
                if (head.contains(name) || store.shape(name).dimension() != 2 || !p.matcher(name).find()) {
                    continue;
                }
                chosen.add(name);
                matched++;
            }
            if (matched == 0 && eachMustMatch) {
                throw new InvalidArgumentException("Target pattern '" + patterns.get(i) + "' matches no 2-D weight of "
                        + model.modelId() + " (heads are excluded). Available parameters: " + store.describeNames(40));
            }
        }
        if (chosen.isEmpty()) {
            throw new InvalidArgumentException("None of the target patterns " + patterns + " matches a 2-D weight of "
                    + model.modelId() + " (architecture " + model.architecture()
                    + "). Pass targets explicitly. Available parameters: " + store.describeNames(40));
        }
        return List.copyOf(chosen);
    }

    /** Number of base-model scalars outside the task head (the reference total of a global budget). */
    public static long bodyCount(Model model) {
        ParameterStore store = model.parameters();
        long n = 0;
        for (String name : store.names()) {
            if (!model.headParameters().contains(name)) {
                n += store.numel(name);
            }
        }
        return n;
    }
}
