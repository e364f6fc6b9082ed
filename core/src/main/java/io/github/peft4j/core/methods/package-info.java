/**
 * Adaptation methods: what is trainable, how the forward pass sees it, and how it is saved.
 *
 * <p>Every method is a small immutable config ({@link io.github.peft4j.core.methods.AdaptationMethod})
 * whose {@code attach(model)} returns an {@link io.github.peft4j.core.methods.Adapter} that owns its
 * arrays in its own NDManager and never writes into the base weights (only {@code merge()} does,
 * and {@code unmerge()} restores them bit-exactly). The task head is always a dense, trainable
 * copy owned by the adapter, so several adapters can share one base model.
 *
 * <table>
 *   <caption>Methods and their saved folders</caption>
 *   <tr><th>method id</th><th>package</th><th>trainable</th><th>files</th></tr>
 *   <tr><td>sparse-random</td><td>{@code sparse}</td><td>k random entries per targeted matrix (SpaRTA)</td>
 *       <td>{@code sparse_deltas.safetensors} (peft-sparta layout) + {@code adapter_config.json}</td></tr>
 *   <tr><td>lora</td><td>{@code lora}</td><td>A [r,in], B [out,r] per targeted matrix</td>
 *       <td>PEFT's {@code adapter_model.safetensors} + {@code adapter_config.json}</td></tr>
 *   <tr><td>full</td><td>{@code full}</td><td>copies of all parameters</td>
 *       <td>{@code model.safetensors} (a complete HF checkpoint) + {@code adapter_config.json}</td></tr>
 *   <tr><td>head-only</td><td>{@code head}</td><td>the task head</td>
 *       <td>{@code model.safetensors} + {@code adapter_config.json}</td></tr>
 * </table>
 *
 * <p>{@link io.github.peft4j.core.methods.Adapters#load} reads any of them back;
 * {@link io.github.peft4j.core.methods.Budgets} converts LoRA rank ↔ SpaRTA density at equal
 * trainable counts; {@link io.github.peft4j.core.methods.Targets} holds the default targets.
 */
package io.github.peft4j.core.methods;
