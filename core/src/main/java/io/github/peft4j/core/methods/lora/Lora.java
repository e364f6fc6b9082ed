package io.github.peft4j.core.methods.lora;

import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.methods.AdaptationMethod;
import io.github.peft4j.core.methods.Targets;
import io.github.peft4j.core.models.Model;

import java.util.List;

/**
 * LoRA (Hu et al. 2021) as Hugging Face PEFT implements it: for a targeted weight W [out, in],
 * {@code y = x·Wᵀ + b + (alpha/r) · dropout(x)·Aᵀ·Bᵀ} with A [r, in] Kaiming-uniform(a=√5) and
 * B [out, r] zero, so a fresh adapter equals the base model.
 *
 * @param rank        r ≥ 1
 * @param alpha       scaling numerator; scaling = alpha / r
 * @param dropout     dropout on the LoRA input while training, in [0, 1)
 * @param targets     regexes over parameter names; default {@link Targets#VALUE_AND_OUTPUT}
 * @param fanInFanOut weights stored [in, out] (GPT-2 Conv1D); null = auto (true for gpt2)
 * @param seed        initialisation seed of A
 */
public record Lora(int rank, float alpha, float dropout, List<String> targets, Boolean fanInFanOut, long seed)
        implements AdaptationMethod {
    public static final String NAME = "lora";

    public Lora {
        if (rank < 1) {
            throw new InvalidArgumentException("LoRA rank must be at least 1, got " + rank + ". Typical values: 4, 8, 16.");
        }
        if (!Float.isFinite(alpha) || alpha <= 0) {
            throw new InvalidArgumentException("LoRA alpha must be a positive number, got " + alpha + ". PEFT's usual choice is 2·r.");
        }
        if (Float.isNaN(dropout) || dropout < 0 || dropout >= 1) {
            throw new InvalidArgumentException("LoRA dropout must be in [0, 1), got " + dropout + ". Use 0 to disable it.");
        }
        targets = targets == null ? Targets.VALUE_AND_OUTPUT : List.copyOf(targets);
    }

    /** The SpaRTA paper's LoRA baseline shape: alpha = 2r, no dropout, value + output projections. */
    public static Lora of(int rank) {
        return new Lora(rank, 2f * rank, 0f, null, null, 42);
    }

    public Lora withAlpha(float a) {
        return new Lora(rank, a, dropout, targets, fanInFanOut, seed);
    }

    public Lora withDropout(float p) {
        return new Lora(rank, alpha, p, targets, fanInFanOut, seed);
    }

    public Lora withTargets(List<String> patterns) {
        return new Lora(rank, alpha, dropout, patterns, fanInFanOut, seed);
    }

    public Lora withSeed(long s) {
        return new Lora(rank, alpha, dropout, targets, fanInFanOut, s);
    }

    public float scaling() {
        return alpha / rank;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Whether weights of {@code model} are stored [in, out]. */
    public boolean fanInFanOut(Model model) {
        return fanInFanOut != null ? fanInFanOut : "gpt2".equals(model.architecture());
    }

    @Override
    public LoraAdapter attach(Model model) {
        List<String> names = Targets.resolve(model, targets, !targets.equals(Targets.VALUE_AND_OUTPUT));
        return LoraAdapter.create(this, model, names);
    }
}
