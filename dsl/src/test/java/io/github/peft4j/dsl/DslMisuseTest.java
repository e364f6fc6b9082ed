package io.github.peft4j.dsl;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.Datasets;
import io.github.peft4j.Peft;
import io.github.peft4j.PeftModel;
import io.github.peft4j.TextDataset;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.Peft4jException;
import io.github.peft4j.core.models.Batch;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.ModelOutput;
import io.github.peft4j.core.models.Task;
import io.github.peft4j.core.models.WeightView;
import io.github.peft4j.core.tensor.ParameterStore;
import io.github.peft4j.dsl.data.Columns;
import io.github.peft4j.dsl.data.WordTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Mistakes a user can make with the fluent API fail early with a message that says what to do. */
class DslMisuseTest {
    static ParameterStore store;
    static PeftModel model;

    /** An encoder that must never run in these tests: every check happens before the forward pass. */
    record NoForwardEncoder(ParameterStore parameters) implements Model {
        public String architecture() { return "bert"; }
        public String modelId() { return "fake/encoder"; }
        public Task task() { return Task.ENCODER; }
        public int numLabels() { return 0; }
        public Set<String> headParameters() { return Set.of(); }
        public float dropout() { return 0; }
        public void setDropout(float p) { }
        public long padTokenId() { return 0; }
        public ModelOutput forward(Batch batch, WeightView weights, boolean training, NDManager scope) {
            throw new AssertionError("forward must not run");
        }
    }

    @BeforeAll
    static void setUp() {
        store = new ParameterStore(NDManager.newBaseManager());
        store.put("encoder.layer.0.attention.self.value.weight", store.manager().zeros(new ai.djl.ndarray.types.Shape(4, 4)));
        model = PeftModel.of(new NoForwardEncoder(store), new WordTokenizer());
    }

    @AfterAll
    static void tearDown() {
        store.close();
    }

    @Test
    void densityOutOfRange() {
        var on = Peft.on(model.forClassification(2));
        for (double bad : new double[] {2, 0, -0.1, Double.NaN}) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> on.sparseRandom(bad));
            assertTrue(e.getMessage().contains("(0, 1]"), e.getMessage());
        }
        assertThrows(InvalidArgumentException.class, () -> on.lora(0));
        assertThrows(InvalidArgumentException.class, () -> on.lora(8).alpha(-1));
        assertThrows(InvalidArgumentException.class, () -> on.sparseRandom(0.01).steps(0));
        assertThrows(InvalidArgumentException.class, () -> on.sparseRandom(0.01).learningRate(0));
        assertThrows(InvalidArgumentException.class, () -> on.full().schedule("exponential"));
        assertThrows(InvalidArgumentException.class, () -> Peft.on(null));
        assertThrows(InvalidArgumentException.class, () -> model.forClassification(1));
    }

    @Test
    void emptyTableAndUnknownColumn() {
        Table empty = Table.create("empty", StringColumn.create("text"), IntColumn.create("label"));
        Peft4jException e = assertThrows(Peft4jException.class,
                () -> Peft.on(model.forClassification(2)).headOnly().train(Datasets.fromTable(empty)));
        assertTrue(e.getMessage().contains("no rows"), e.getMessage());
        TextDataset data = Datasets.fromLists(List.of("a", "b"), List.of(0, 1));
        e = assertThrows(Peft4jException.class, () -> data.label("y"));
        assertTrue(e.getMessage().contains("'y'") && e.getMessage().contains("[text, label]"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> Peft.on(model.forClassification(2)).headOnly().train(null));
    }

    @Test
    void dataThatDoesNotFitTheModel() {
        TextDataset threeClasses = Datasets.fromLists(List.of("a", "b", "c"), List.of("x", "y", "z"));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> Peft.on(model.forClassification(2)).sparseRandom(0.01).train(threeClasses));
        assertTrue(e.getMessage().contains("forClassification(3)"), e.getMessage());
        TextDataset unlabelled = Datasets.texts(List.of("just text"));
        e = assertThrows(InvalidArgumentException.class, () -> Peft.on(model.forClassification(2)).headOnly().train(unlabelled));
        assertTrue(e.getMessage().contains("label"), e.getMessage());
        e = assertThrows(InvalidArgumentException.class, () -> Peft.on(model).headOnly().train(threeClasses));
        assertTrue(e.getMessage().contains("forClassification"), e.getMessage());
        assertThrows(InvalidArgumentException.class, model::forCausalLM);
        assertThrows(InvalidArgumentException.class,
                () -> Datasets.fromLists(List.of("a"), List.of(0)).withColumns(Columns.classification("text", "")));
    }
}
