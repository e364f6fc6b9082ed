package io.github.peft4j;

import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.methods.Budgets;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.dsl.Comparison;
import io.github.peft4j.dsl.MethodChoice;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.Table;

import java.util.List;

/**
 * Entry point of the fluent API:
 * <pre>{@code
 * TrainingRun run = Peft.on(model).sparseRandom(0.005).seed(7).train(split.train());
 * }</pre>
 */
public final class Peft {
    private Peft() {}

    /** Starts a fine-tuning setup on {@code model}; the next call picks the method. */
    public static MethodChoice on(PeftModel model) {
        if (model == null) {
            throw new InvalidArgumentException("Peft.on(null): load a model first, e.g. Models.miniLM().forClassification(2).");
        }
        return new MethodChoice(model);
    }

    /** Equal-parameter table for the default targets (attention value + output projections); printed and returned. */
    public static Table budget(PeftModel model) {
        return budget(model, null);
    }

    /**
     * For LoRA ranks 1..64: LoRA's trainable count on the targets and the SpaRTA densities with the
     * same count — per-tensor (relative to the targeted weights) and global (relative to the whole
     * body, the paper's convention). Printed to stdout and returned.
     */
    public static Table budget(PeftModel model, List<String> targets) {
        Model core = model.base();
        Budgets b = Budgets.of(core, targets);
        IntColumn rank = IntColumn.create("lora_rank");
        LongColumn params = LongColumn.create("trainable");
        DoubleColumn perTensor = DoubleColumn.create("sparta_density_per_tensor");
        DoubleColumn global = DoubleColumn.create("sparta_density_global");
        DoubleColumn percent = DoubleColumn.create("percent_of_model");
        for (int r : new int[] {1, 2, 4, 8, 16, 32, 64}) {
            long n = b.loraParameters(r);
            if (n > b.targetedTotal()) {
                break;
            }
            rank.append(r);
            params.append(n);
            perTensor.append(b.perTensorDensityForRank(r));
            global.append(b.globalDensityForRank(r));
            percent.append(100.0 * n / b.bodyTotal());
        }
        Table table = Table.create("Equal budgets on " + model.id() + " (" + b.targets().size() + " target tensors, "
                + String.format(java.util.Locale.ROOT, "%,d", b.targetedTotal()) + " entries; body "
                + String.format(java.util.Locale.ROOT, "%,d", b.bodyTotal()) + ")", rank, params, perTensor, global, percent);
        System.out.println(table.printAll());
        return table;
    }

    /** SpaRTA density (per-tensor, default targets) with the same trainable count as LoRA at {@code rank}. */
    public static double densityForRank(PeftModel model, int rank) {
        return Budgets.of(model.base(), null).perTensorDensityForRank(rank);
    }

    /** Runs several methods on one split with the same seed: {@code Peft.compare(model).steps(200).on(split)}. */
    public static Comparison compare(PeftModel model) {
        return new Comparison(model);
    }
}
