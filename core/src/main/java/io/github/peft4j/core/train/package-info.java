/**
 * Training: {@link io.github.peft4j.core.train.Trainer} runs one NDManager scope per step over a
 * {@link io.github.peft4j.core.train.BatchSource}, with {@link io.github.peft4j.core.train.MaskedAdamW}
 * (state only for trainable entries: 2 floats each), {@link io.github.peft4j.core.train.LrSchedule}
 * (HF-style warm-up then linear/cosine/constant), {@link io.github.peft4j.core.train.Losses}
 * (log-softmax cross-entropy for classification and causal LM) and gradient clipping. A NaN/Inf
 * loss or gradient norm stops the run before the update with a
 * {@link io.github.peft4j.core.TrainingDivergedException}. {@link io.github.peft4j.core.train.Evaluator}
 * computes predictions, accuracy and loss with dropout off.
 *
 * <p>Performance note: on small models and on machines whose cores are shared, run the PyTorch
 * engine with one intra-op thread ({@code -Dai.djl.pytorch.num_threads=1}); two threads made the
 * tiny test models' steps 10x slower on a loaded 2-core machine.
 */
package io.github.peft4j.core.train;
