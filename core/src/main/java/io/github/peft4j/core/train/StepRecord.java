package io.github.peft4j.core.train;

/** One optimizer step, as history rows and progress displays show it. */
public record StepRecord(long step, int epoch, double loss, double learningRate, double gradNorm,
                         double seconds, long totalSteps) {}
