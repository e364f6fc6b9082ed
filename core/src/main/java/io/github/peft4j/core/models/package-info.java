/**
 * Transformer architectures with Hugging Face checkpoint names, and their loading.
 *
 * <p>One readable file per architecture, each forward pass on about a screen:
 * {@link io.github.peft4j.core.models.Bert} (BERT, MiniLM), {@link io.github.peft4j.core.models.Llama}
 * (Llama, Qwen2, Mistral, Gemma, Granite), {@link io.github.peft4j.core.models.Gpt2}, {@link io.github.peft4j.core.models.GptNeoX}
 * (Pythia). {@link io.github.peft4j.core.models.Models#load} reads an HF folder ({@code config.json},
 * {@code model.safetensors} or a sharded index; never pickles), checks every tensor's shape against
 * the config, and picks the task from the checkpoint's head: classifier/score → classification,
 * LM head (or tied embeddings) → causal LM, else encoder. {@code forClassification(n, seed)} adds a
 * fresh head on the same frozen weights.
 *
 * <p>Conventions every architecture follows:
 * <ul>
 *   <li>Forward reads weights only through the {@link io.github.peft4j.core.models.WeightView}, so
 *       adaptation methods can substitute (SpaRTA) or extend (LoRA) any named weight.</li>
 *   <li>Memory: the batch is copied into the caller's scope; each layer runs in its own sub-manager
 *       that is closed once its output is attached to the scope, and every op takes the activation
 *       as its first operand, so nothing ever lands in the weights' manager (tested by counting).</li>
 *   <li>Padding: additive masks hide padded keys (left or right padding); decoders also mask future
 *       tokens and take position ids from the mask (cumsum − 1) as transformers' generate does, so a
 *       left-padded row gives the same result as the unpadded sequence.</li>
 *   <li>Dropout (hidden states and attention probabilities) acts only with {@code training = true}
 *       and {@code setDropout(p > 0)}; the default is 0 because it costs ~40% of a CPU step.</li>
 *   <li>fp32 throughout; F16/BF16 checkpoints are widened to F32 when read.</li>
 * </ul>
 * Parity with transformers (≤ 1e-4 on logits and hidden states, token-exact greedy decoding) is
 * proven on tiny checkpoints in the {@code tests} module ({@code tests/fixtures/make_fixtures.py}).
 */
package io.github.peft4j.core.models;
