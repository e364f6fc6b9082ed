package io.github.peft4j.tests.reliability;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.methods.AdaptationMethod;
import io.github.peft4j.core.methods.Adapter;
import io.github.peft4j.core.methods.BaseAdapter;
import io.github.peft4j.core.methods.lora.Lora;
import io.github.peft4j.core.methods.sparse.SparseRandom;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.train.Trainer;
import io.github.peft4j.core.train.TrainingOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * Child process for {@link NativeLeakTest}: trains the tiny BERT for N steps and prints, at the
 * probe steps, the process's resident memory and the live native array counts:
 * {@code probe <step> <rssKb> <allArrays> <modelArrays> <adapterArrays>}.
 *
 * <p>Usage: {@code LeakProbeMain sparta|lora STEPS PROBE_STEP...}
 */
public final class LeakProbeMain {
    /** The engine's root manager: every base manager is its child, so it counts all live arrays. */
    private static final NDManager SYSTEM;
    private static final float DROPOUT = Float.parseFloat(System.getProperty("peft4j.probe.dropout", "0.1"));

    static {
        try (NDManager probe = NDManager.newBaseManager()) {
            SYSTEM = probe.getParentManager();
        }
    }

    public static void main(String[] args) throws Exception {
        AdaptationMethod method = args[0].equals("lora") ? Lora.of(4).withDropout(DROPOUT) : SparseRandom.of(0.05).withDropout(DROPOUT);
        long steps = Long.parseLong(args[1]);
        Set<Long> probes = new java.util.HashSet<>();
        for (int i = 2; i < args.length; i++) {
            probes.add(Long.parseLong(args[i]));
        }
        try (Model model = TinyFixtures.bert(); Adapter adapter = method.attach(model)) {
            model.setDropout(DROPOUT);
            TrainingOptions options = TrainingOptions.defaults().withSteps(steps).withLearningRate(3e-4).withWarmup(10)
                    .withLogEvery(1);
            new Trainer(options).listener(r -> {
                if (probes.contains(r.step())) {
                    System.gc();
                    System.out.printf("probe %d %d %d %d %d%n", r.step(), rssKb(), SYSTEM.getManagedArrays().size(),
                            model.parameters().manager().getManagedArrays().size(), ((BaseAdapter) adapter).arrayCount());
                    System.out.flush();
                }
            }).train(adapter, TinyFixtures.randomTokens(64, 8, 4, 9));
            // A digest of the result: equal runs in two processes print the same line.
            System.out.println("digest " + java.util.Arrays.deepHashCode(TrainingRuns.snapshot(adapter).values().toArray()));
        }
        System.out.println("done");
    }

    static long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    private LeakProbeMain() {}
}
