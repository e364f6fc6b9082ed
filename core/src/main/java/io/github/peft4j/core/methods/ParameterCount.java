package io.github.peft4j.core.methods;

/**
 * Parameter accounting printed for every method.
 *
 * @param trainable           trainable scalars, head included
 * @param total               scalars in the base model (head included)
 * @param optimizerStateBytes AdamW state: two fp32 moments per trainable scalar
 */
public record ParameterCount(long trainable, long total, long optimizerStateBytes) {
    public static ParameterCount adamW(long trainable, long total) {
        return new ParameterCount(trainable, total, trainable * 2L * Float.BYTES);
    }

    /** Trainable share of the model, in [0, 1]. */
    public double share() {
        return total == 0 ? 0 : (double) trainable / total;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "trainable %,d of %,d (%.3f%%), optimizer state %s",
                trainable, total, 100 * share(), humanBytes(optimizerStateBytes));
    }

    public static String humanBytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        if (b < 1024 * 1024) {
            return String.format(java.util.Locale.ROOT, "%.1f KiB", b / 1024.0);
        }
        if (b < 1024L * 1024 * 1024) {
            return String.format(java.util.Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024));
        }
        return String.format(java.util.Locale.ROOT, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    }
}
