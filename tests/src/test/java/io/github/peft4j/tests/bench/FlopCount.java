package io.github.peft4j.tests.bench;

import java.util.Locale;

/**
 * Analytic FLOPs of one BERT sequence-classification training step (forward + backward), counted
 * the same way for peft4j and the Python peer so that GFLOP/s are comparable. Optimizer updates,
 * softmax, layer norms, GELU and embedding lookups are not counted (they are O(N·H), not O(N·H²)).
 *
 * <p>Notation: B batch, T tokens, N = B·T, H hidden, I intermediate, L layers, C labels, r LoRA rank.
 * A linear layer [in → out] costs {@code c = 2·N·in·out} forward. Its backward costs {@code c} for
 * the input gradient and {@code c} for the weight gradient, each only when needed. Attention's two
 * activation-by-activation matmuls (Q·Kᵀ and A·V) cost {@code 2·B·T²·H} each forward and the same
 * again for each operand whose gradient is needed.
 * <ul>
 *   <li><b>forward</b> F = L·(8NH² + 4NHI + 4BT²H) + head (pooler 2BH², classifier 2BHC).</li>
 *   <li><b>full</b>: every gradient is needed, backward = 2F, total 3F.</li>
 *   <li><b>head-only</b>: the encoder needs no backward; backward = head weight + input grads (≈ 0).</li>
 *   <li><b>sparse-random / shira</b> (targets Wv, Wo of every layer; both implementations take the
 *       dense gradient of the adapted weight and gather it at the support): layers 1..L-1 need all
 *       input gradients (8NH² + 4NHI + 8BT²H); layer 0 needs only what reaches Wv and Wo (FFN 4NHI,
 *       Wo input 2NH², dV of A·V 2BT²H, no Q/K/V input gradients since the embeddings are frozen);
 *       plus dense weight gradients of Wv and Wo in every layer (L·4NH²) and the head.</li>
 *   <li><b>lora</b> (r on Wv, Wo): the same input gradients as sparse, no dense weight gradients;
 *       each adapted linear adds 4NHr forward and 8NHr backward (dA, dB, and the two input grads).</li>
 * </ul>
 */
public final class FlopCount {
    private FlopCount() {}

    /** Model and batch shape for the count. */
    public record Shape(long batch, long tokens, long hidden, long intermediate, long layers, long labels) {}

    public static double forward(Shape s) {
        double n = (double) s.batch * s.tokens;
        double h = s.hidden;
        double perLayer = 8 * n * h * h + 4 * n * h * s.intermediate + 4.0 * s.batch * s.tokens * s.tokens * h;
        return s.layers * perLayer + head(s);
    }

    private static double head(Shape s) {
        return 2.0 * s.batch * s.hidden * s.hidden + 2.0 * s.batch * s.hidden * s.labels;
    }

    /** Total FLOPs of one training step for a method id ("full", "head-only", "sparse-random", "shira", "lora"). */
    public static double step(String method, Shape s, int loraRank) {
        double n = (double) s.batch * s.tokens;
        double h = s.hidden;
        double i = s.intermediate;
        double attention = 2.0 * s.batch * s.tokens * s.tokens * h;   // one of the two attention matmuls
        double fwd = forward(s);
        double headBackward = 2 * head(s);                              // weight + input grads of the head
        // input gradients shared by every method that adapts Wv/Wo in all layers
        double upperLayers = (s.layers - 1) * (8 * n * h * h + 4 * n * h * i + 4 * attention);
        double layerZero = 4 * n * h * i + 2 * n * h * h + attention;
        switch (method) {
            case "full":
                return 3 * fwd;
            case "head-only":
                return fwd + headBackward;
            case "sparse-random":
            case "shira":
                return fwd + upperLayers + layerZero + s.layers * 2 * (2 * n * h * h) + headBackward;
            case "lora": {
                double adapted = 2.0 * s.layers;
                return fwd + adapted * 4 * n * h * loraRank
                        + upperLayers + layerZero + adapted * 8 * n * h * loraRank + headBackward;
            }
            default:
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "no FLOP formula for method '%s'; known: full, head-only, sparse-random, shira, lora", method));
        }
    }
}
