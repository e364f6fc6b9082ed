package io.github.peft4j.core.train;

import io.github.peft4j.core.methods.Adapter;
import io.github.peft4j.core.methods.AdaptationMethod;
import io.github.peft4j.core.methods.full.FullFineTuning;
import io.github.peft4j.core.methods.head.HeadOnly;
import io.github.peft4j.core.methods.lora.Lora;
import io.github.peft4j.core.methods.sparse.SparseRandom;
import io.github.peft4j.core.testing.ArrayBatches;
import io.github.peft4j.core.testing.Fixtures;
import io.github.peft4j.core.testing.TinyModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class TrainerTest {
    static final List<String> LAYERS = List.of("layers\\.\\d\\.weight$");
    static TinyModel mlp;
    static ArrayBatches train;
    static ArrayBatches test;

    /**
     * A task a frozen random body cannot solve: every token embedding lies in the null space of the
     * first layer's weight W1, so the frozen first layer maps every input to the same vector and the
     * head sees constant features (head-only stays at the majority-class rate). The label is the sign
     * of the pooled embedding's component along one null-space direction u; adapting the layers
     * (full, LoRA, SpaRTA) makes it visible.
     */
    @BeforeAll
    static void buildTask() {
        int vocab = 32;
        int dim = 16;
        int hidden = 8;
        mlp = TinyModel.mlp(vocab, dim, hidden, 2, 21);
        float[] w1 = Fixtures.param(mlp, "layers.0.weight");   // [8, 16]
        Random rng = new Random(5);
        List<double[]> rowSpace = new ArrayList<>();
        for (int r = 0; r < hidden; r++) {
            double[] v = new double[dim];
            for (int j = 0; j < dim; j++) {
                v[j] = w1[r * dim + j];
            }
            rowSpace.add(orthonormalise(v, rowSpace));
        }
        double[] u = orthonormalise(gaussian(dim, rng), rowSpace);
        List<double[]> excluded = new ArrayList<>(rowSpace);
        excluded.add(u);
        float[] emb = new float[vocab * dim];
        double[] tokenScore = new double[vocab];
        double mean = 0;
        for (int t = 0; t < vocab; t++) {
            tokenScore[t] = rng.nextGaussian();
            mean += tokenScore[t] / vocab;
        }
        for (int t = 0; t < vocab; t++) {
            double[] noise = orthonormalise(gaussian(dim, rng), excluded);   // null space, orthogonal to u
            tokenScore[t] -= mean;   // centred scores keep the two classes balanced
            for (int j = 0; j < dim; j++) {
                emb[t * dim + j] = (float) (tokenScore[t] * u[j] + 0.5 * noise[j]);
            }
        }
        mlp.parameters().put("embeddings.weight",
                mlp.parameters().manager().create(emb, new ai.djl.ndarray.types.Shape(vocab, dim)));
        train = examples(640, tokenScore, new Random(1));
        test = examples(256, tokenScore, new Random(2));
    }

    static double[] gaussian(int n, Random rng) {
        double[] v = new double[n];
        for (int j = 0; j < n; j++) {
            v[j] = rng.nextGaussian();
        }
        return v;
    }

    static double[] orthonormalise(double[] v, List<double[]> basis) {
        for (double[] b : basis) {
            double dot = 0;
            for (int j = 0; j < v.length; j++) {
                dot += v[j] * b[j];
            }
            for (int j = 0; j < v.length; j++) {
                v[j] -= dot * b[j];
            }
        }
        double norm = 0;
        for (double x : v) {
            norm += x * x;
        }
        norm = Math.sqrt(norm);
        for (int j = 0; j < v.length; j++) {
            v[j] /= norm;
        }
        return v;
    }

    static ArrayBatches examples(int n, double[] tokenScore, Random r) {
        long[][] ids = new long[n][4];
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int t = 0; t < 4; t++) {
                ids[i][t] = r.nextInt(tokenScore.length);
                s += tokenScore[(int) ids[i][t]];
            }
            labels[i] = s > 0 ? 1 : 0;
        }
        return new ArrayBatches(ids, labels, 32, 3, true);
    }

    @AfterAll
    static void close() {
        mlp.close();
    }

    static final TrainingOptions LEARN = TrainingOptions.defaults().withEpochs(10).withWarmup(20)
            .withLearningRate(2e-2).withLogEvery(1000);

    double[] trainAndEvaluate(AdaptationMethod method) {
        try (Adapter a = method.attach(mlp)) {
            TrainingResult r = new Trainer(LEARN).train(a, train);
            Evaluator.Evaluation e = Evaluator.evaluate(a, test);
            System.out.printf("%s: %s, final loss %.3f, test accuracy %.3f, %.1f s%n", method.name(), a.count(),
                    r.meanLossOfLast(20), e.accuracy(), r.seconds());
            return new double[] {r.meanLossOfLast(20), e.accuracy()};
        }
    }

    @Test
    void fullLoraAndSpartaLearnWhatHeadOnlyCannot() {
        double[] full = trainAndEvaluate(new FullFineTuning());
        double[] lora = trainAndEvaluate(Lora.of(2).withTargets(LAYERS));
        double[] sparta = trainAndEvaluate(SparseRandom.of(0.5).withTargets(LAYERS));
        double[] head = trainAndEvaluate(new HeadOnly());
        double base = Evaluator.evaluateBase(mlp, test).accuracy();
        System.out.printf("base accuracy %.3f%n", base);
        for (double[] m : List.of(full, lora, sparta)) {
            assertTrue(m[0] < 0.35, "training loss below 0.35, got " + m[0]);
            assertTrue(m[1] > 0.85, "test accuracy above 0.85, got " + m[1]);
        }
        long[] labels = Evaluator.evaluateBase(mlp, test).labels();
        double majority = Math.max(java.util.Arrays.stream(labels).filter(l -> l == 1).count(),
                java.util.Arrays.stream(labels).filter(l -> l == 0).count()) / (double) labels.length;
        assertTrue(head[1] <= majority + 0.02 && head[1] < 0.62, "head-only stays at the majority rate " + majority
                + ", got " + head[1]);
        assertTrue(head[0] > 0.6, "head-only loss stays near log 2, got " + head[0]);
    }
}
