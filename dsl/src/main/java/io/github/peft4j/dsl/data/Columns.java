package io.github.peft4j.dsl.data;

import io.github.peft4j.core.InvalidArgumentException;

/**
 * Which table columns play which role. Classification uses {@code text} (+ optional {@code textPair})
 * and {@code label}; causal-LM fine-tuning uses either {@code text} alone (loss on every token) or
 * {@code prompt} + {@code completion} (loss on completion tokens only). Unused roles are null.
 */
public record Columns(String text, String textPair, String label, String prompt, String completion) {

    public static final Columns DEFAULT = new Columns("text", null, "label", null, null);

    public static Columns classification(String text, String label) {
        return new Columns(require(text, "text"), null, require(label, "label"), null, null);
    }

    public static Columns pairs(String text, String textPair, String label) {
        return new Columns(require(text, "text"), require(textPair, "text pair"), require(label, "label"), null, null);
    }

    /** Plain language-model text: loss on every token. */
    public static Columns causalLM(String text) {
        return new Columns(require(text, "text"), null, null, null, null);
    }

    /** Instruction data: the loss covers only the completion's tokens. */
    public static Columns promptCompletion(String prompt, String completion) {
        return new Columns(null, null, null, require(prompt, "prompt"), require(completion, "completion"));
    }

    public Columns withText(String name) {
        return new Columns(require(name, "text"), textPair, label, prompt, completion);
    }

    public Columns withTextPair(String name) {
        return new Columns(text, require(name, "text pair"), label, prompt, completion);
    }

    public Columns withLabel(String name) {
        return new Columns(text, textPair, require(name, "label"), prompt, completion);
    }

    public boolean hasLabels() {
        return label != null;
    }

    public boolean isPromptCompletion() {
        return prompt != null;
    }

    private static String require(String name, String role) {
        if (name == null || name.isBlank()) {
            throw new InvalidArgumentException("The " + role + " column name is empty: pass the name of a column of your table.");
        }
        return name;
    }
}
