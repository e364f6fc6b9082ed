package io.github.peft4j.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.InvalidArgumentException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A model's named weights (HF checkpoint names), all owned by one {@link NDManager}.
 * Base weights are frozen: adaptation methods never write into them while training;
 * {@code merge} replaces entries explicitly and {@code unmerge} restores them.
 */
public final class ParameterStore implements AutoCloseable {
    private final NDManager manager;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final Map<Set<String>, String> fingerprints = new java.util.HashMap<>();

    public ParameterStore(NDManager manager) {
        this.manager = manager;
    }

    public NDManager manager() {
        return manager;
    }

    /** Adds or replaces a parameter; the array is attached to this store's manager. */
    public synchronized void put(String name, NDArray value) {
        value.attach(manager);
        value.setName(name);
        NDArray old = params.put(name, value);
        if (old != null && old != value) {
            old.close();
        }
        fingerprints.clear();
    }

    public NDArray get(String name) {
        NDArray a = params.get(name);
        if (a == null) {
            throw new InvalidArgumentException("No parameter named '" + name + "'. Available: " + describeNames(20));
        }
        return a;
    }

    public boolean contains(String name) {
        return params.containsKey(name);
    }

    /** Parameter names in checkpoint order. */
    public Set<String> names() {
        return Collections.unmodifiableSet(params.keySet());
    }

    /** Names whose full name matches the regex (Java {@link Pattern}, {@code find} semantics). */
    public List<String> matching(String regex) {
        Pattern p = Pattern.compile(regex);
        List<String> out = new ArrayList<>();
        for (String n : params.keySet()) {
            if (p.matcher(n).find()) {
                out.add(n);
            }
        }
        return out;
    }

    public Shape shape(String name) {
        return get(name).getShape();
    }

    public long numel(String name) {
        return get(name).size();
    }

    public long totalCount() {
        long n = 0;
        for (NDArray a : params.values()) {
            n += a.size();
        }
        return n;
    }

    /** Up to {@code max} names, for error messages that tell the user what exists. */
    public String describeNames(int max) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        for (String n : params.keySet()) {
            if (i == max) {
                sb.append(", ... (").append(params.size() - max).append(" more)");
                break;
            }
            if (i++ > 0) {
                sb.append(", ");
            }
            sb.append(n);
        }
        return sb.toString();
    }

    /** {@link #fingerprint(Set)} over every parameter. */
    public String fingerprint() {
        return fingerprint(Set.of());
    }

    /**
     * SHA-256 over names, shapes and values of the parameters not in {@code excluded}, hex, first
     * 16 bytes. Adapters store it (excluding the task head, which each run initialises itself) so that
     * loading onto a different base can be detected.
     */
    public synchronized String fingerprint(Set<String> excluded) {
        String cached = fingerprints.get(excluded);
        if (cached != null) {
            return cached;
        }
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                if (excluded.contains(e.getKey())) {
                    continue;
                }
                md.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update(e.getValue().getShape().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update(e.getValue().toByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
            }
            String hex = HexFormat.of().formatHex(md.digest(), 0, 16);
            fingerprints.put(Set.copyOf(excluded), hex);
            return hex;
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
