package io.github.peft4j.core.tensor;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.github.peft4j.core.InvalidArgumentException;

/**
 * Device choice: the GPU when the engine reports one, else the CPU; {@code -Dpeft4j.device=cpu|gpu}
 * (or env {@code PEFT4J_DEVICE}) overrides.
 */
public final class Devices {
    private Devices() {}

    public static Device choose() {
        String forced = System.getProperty("peft4j.device", System.getenv("PEFT4J_DEVICE"));
        return choose(forced);
    }

    public static Device choose(String forced) {
        Engine engine = Engine.getEngine("PyTorch");
        if (forced == null || forced.isBlank() || forced.equalsIgnoreCase("auto")) {
            return engine.getGpuCount() > 0 ? Device.gpu() : Device.cpu();
        }
        switch (forced.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "cpu":
                return Device.cpu();
            case "gpu":
            case "cuda":
                if (engine.getGpuCount() == 0) {
                    throw new InvalidArgumentException("peft4j.device=gpu was requested but the PyTorch engine sees no GPU."
                            + " Use -Dpeft4j.device=cpu, or build with -Pcuda on a machine with CUDA.");
                }
                return Device.gpu();
            default:
                throw new InvalidArgumentException("Unknown device '" + forced + "': use cpu, gpu or auto.");
        }
    }
}
