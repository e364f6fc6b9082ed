/**
 * Files and downloads, all hardened against broken or hostile input (every problem is a
 * {@link io.github.peft4j.core.FileFormatException} or {@link io.github.peft4j.core.io.HubException}
 * naming the file and field, never a JVM abort or a half-written file).
 * <ul>
 *   <li>{@link io.github.peft4j.core.io.SafeTensors}, {@link io.github.peft4j.core.io.HostTensor},
 *       {@link io.github.peft4j.core.io.AtomicFiles}: weights in and out, atomic writes.</li>
 *   <li>{@link io.github.peft4j.core.io.Hub}: snapshots from the Hugging Face hub into the cache
 *       layout Python's huggingface_hub uses (resume, offline mode, token, path checks).</li>
 *   <li>{@link io.github.peft4j.core.io.EmbeddedMiniLm}: the default model, converted without
 *       network from the ONNX file in the langchain4j Maven artifact
 *       ({@link io.github.peft4j.core.io.OnnxGraph}, {@link io.github.peft4j.core.io.BertOnnxWeights}).</li>
 *   <li>{@link io.github.peft4j.core.io.TextTokenizer}: tokenizer.json through DJL's tokenizers binding.</li>
 *   <li>{@link io.github.peft4j.core.io.Json}: the bounded Jackson configuration for config files.</li>
 * </ul>
 */
package io.github.peft4j.core.io;
