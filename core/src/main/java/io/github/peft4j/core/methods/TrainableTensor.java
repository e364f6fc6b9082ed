package io.github.peft4j.core.methods;

import ai.djl.ndarray.NDArray;

/**
 * One tensor an optimizer updates.
 *
 * @param name   saved name (e.g. "deltas.bert.encoder.layer.0.attention.self.value.weight", "classifier.weight")
 * @param value  the trainable array; gradients are attached to it
 * @param decay  whether weight decay applies (heads and biases are exempt, as in the paper)
 * @param head   true for the densely-trained classification head
 */
public record TrainableTensor(String name, NDArray value, boolean decay, boolean head) {}
