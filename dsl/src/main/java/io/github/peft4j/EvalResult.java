package io.github.peft4j;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.InvalidArgumentException;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Classification metrics as the SpaRTA paper reports them. F1 is the positive class's (id 1) for
 * two classes and the unweighted mean over classes (macro) otherwise; MCC is Matthews' coefficient,
 * for more than two classes in Gorodkin's R_K form; balanced accuracy is the mean per-class recall.
 *
 * @param confusion [true class][predicted class] counts
 */
public record EvalResult(long n, double accuracy, double f1, double mcc, double balancedAccuracy,
                         long[][] confusion, List<String> labelNames) {

    /** Computes every metric from gold and predicted class ids. */
    public static EvalResult of(int[] gold, int[] predicted, List<String> labelNames) {
        if (gold.length != predicted.length) {
            throw new InvalidArgumentException(gold.length + " labels but " + predicted.length + " predictions.");
        }
        if (gold.length == 0) {
            throw new InvalidArgumentException("Nothing to evaluate: the dataset is empty.");
        }
        int k = labelNames.size();
        for (int i = 0; i < gold.length; i++) {
            k = Math.max(k, Math.max(gold[i], predicted[i]) + 1);
        }
        long[][] c = new long[k][k];
        for (int i = 0; i < gold.length; i++) {
            c[gold[i]][predicted[i]]++;
        }
        String[] names = new String[k];
        for (int i = 0; i < k; i++) {
            names[i] = i < labelNames.size() ? labelNames.get(i) : Integer.toString(i);
        }
        return new EvalResult(gold.length, accuracy(c), f1(c), mcc(c), balancedAccuracy(c), c, List.of(names));
    }

    static double accuracy(long[][] c) {
        long correct = 0;
        long n = 0;
        for (int i = 0; i < c.length; i++) {
            for (int j = 0; j < c.length; j++) {
                n += c[i][j];
            }
            correct += c[i][i];
        }
        return n == 0 ? 0 : (double) correct / n;
    }

    static double f1(long[][] c) {
        if (c.length == 2) {
            return classF1(c, 1);
        }
        double sum = 0;
        for (int k = 0; k < c.length; k++) {
            sum += classF1(c, k);
        }
        return sum / c.length;
    }

    private static double classF1(long[][] c, int k) {
        long tp = c[k][k];
        long predicted = 0;
        long actual = 0;
        for (int i = 0; i < c.length; i++) {
            predicted += c[i][k];
            actual += c[k][i];
        }
        // sklearn's convention: 0 when the class is never predicted nor present.
        return predicted + actual == 0 ? 0 : 2.0 * tp / (predicted + actual);
    }

    /** Gorodkin: (c·s − Σ p_k t_k) / √((s² − Σ p_k²)(s² − Σ t_k²)); equals the binary MCC for 2 classes. */
    static double mcc(long[][] c) {
        int k = c.length;
        double s = 0;
        double correct = 0;
        double[] t = new double[k];
        double[] p = new double[k];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                s += c[i][j];
                t[i] += c[i][j];
                p[j] += c[i][j];
            }
            correct += c[i][i];
        }
        double pt = 0;
        double pp = 0;
        double tt = 0;
        for (int i = 0; i < k; i++) {
            pt += p[i] * t[i];
            pp += p[i] * p[i];
            tt += t[i] * t[i];
        }
        double denominator = Math.sqrt((s * s - pp) * (s * s - tt));
        return denominator == 0 ? 0 : (correct * s - pt) / denominator;
    }

    static double balancedAccuracy(long[][] c) {
        double sum = 0;
        int present = 0;
        for (int i = 0; i < c.length; i++) {
            long actual = Arrays.stream(c[i]).sum();
            if (actual > 0) {
                sum += (double) c[i][i] / actual;
                present++;
            }
        }
        return present == 0 ? 0 : sum / present;
    }

    public String toJson() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("n", n);
        root.put("accuracy", accuracy);
        root.put("f1", f1);
        root.put("mcc", mcc);
        root.put("balanced_accuracy", balancedAccuracy);
        ArrayNode labels = root.putArray("labels");
        labelNames.forEach(labels::add);
        ArrayNode matrix = root.putArray("confusion");
        for (long[] row : confusion) {
            ArrayNode r = matrix.addArray();
            for (long v : row) {
                r.add(v);
            }
        }
        return root.toString();
    }

    /** A small HTML table for notebooks. */
    public String toHtml() {
        return "<pre>" + toString().replace("&", "&amp;").replace("<", "&lt;") + "</pre>";
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "n=%d  accuracy %.4f  F1%s %.4f  MCC %.4f  balanced accuracy %.4f%n",
                n, accuracy, confusion.length == 2 ? "" : " (macro)", f1, mcc, balancedAccuracy));
        int width = Math.max(6, labelNames.stream().mapToInt(String::length).max().orElse(1) + 1);
        sb.append(String.format(Locale.ROOT, "%-" + width + "s", "true\\pred"));
        for (String name : labelNames) {
            sb.append(String.format(Locale.ROOT, " %" + width + "s", name));
        }
        sb.append(System.lineSeparator());
        for (int i = 0; i < confusion.length; i++) {
            sb.append(String.format(Locale.ROOT, "%-" + width + "s", labelNames.get(i)));
            for (long v : confusion[i]) {
                sb.append(String.format(Locale.ROOT, " %" + width + "d", v));
            }
            sb.append(System.lineSeparator());
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EvalResult r && r.n == n && Arrays.deepEquals(r.confusion, confusion) && r.labelNames.equals(labelNames);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(confusion);
    }
}
