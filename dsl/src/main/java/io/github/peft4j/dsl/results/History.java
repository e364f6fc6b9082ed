package io.github.peft4j.dsl.results;

import io.github.peft4j.core.train.StepRecord;
import io.github.peft4j.core.train.TrainingListener;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.Table;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Collects step records while training; {@link #table()} gives the history as Tablesaw rows. */
public final class History implements TrainingListener {
    private final List<StepRecord> records = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void onStep(StepRecord record) {
        records.add(record);
    }

    public List<StepRecord> records() {
        synchronized (records) {
            return List.copyOf(records);
        }
    }

    /** Columns step, epoch, loss, lr, grad_norm, seconds (since the start of training). */
    public Table table() {
        return table(records());
    }

    public static Table table(List<StepRecord> records) {
        LongColumn step = LongColumn.create("step");
        IntColumn epoch = IntColumn.create("epoch");
        DoubleColumn loss = DoubleColumn.create("loss");
        DoubleColumn lr = DoubleColumn.create("lr");
        DoubleColumn gradNorm = DoubleColumn.create("grad_norm");
        DoubleColumn seconds = DoubleColumn.create("seconds");
        for (StepRecord r : records) {
            step.append(r.step());
            epoch.append(r.epoch());
            loss.append(r.loss());
            lr.append(r.learningRate());
            gradNorm.append(r.gradNorm());
            seconds.append(r.seconds());
        }
        return Table.create("history", step, epoch, loss, lr, gradNorm, seconds);
    }
}
