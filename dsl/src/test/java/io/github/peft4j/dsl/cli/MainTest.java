package io.github.peft4j.dsl.cli;

import io.github.peft4j.core.io.AtomicFiles;
import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class MainTest {
    @TempDir
    Path dir;

    record Outcome(int code, String out, String err) {}

    static Outcome run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)).run(args);
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void usageErrorsExitWith2() {
        assertEquals(2, run().code());
        Outcome unknown = run("frobnicate");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown command 'frobnicate'"), unknown.err());
        Outcome flag = run("train", "--data", "x.csv", "--out", "o", "--colour", "red");
        assertEquals(2, flag.code());
        assertTrue(flag.err().contains("unknown option --colour"), flag.err());
        Outcome missing = run("train", "--data", "x.csv");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("--out is required"), missing.err());
        assertEquals(2, run("quickstart", "--steps", "many").code());
        assertEquals(2, run("inspect").code());
    }

    @Test
    void helpForEveryCommandExitsWith0() {
        for (String c : new String[] {"quickstart", "train", "evaluate", "merge", "inspect"}) {
            Outcome o = run(c, "--help");
            assertEquals(0, o.code(), c);
            assertTrue(o.out().startsWith("usage: " + c), o.out());
        }
        assertTrue(run("--help").out().contains("quickstart"));
    }

    @Test
    void badInputExitsWith1OnOneLineWithoutStackTrace() throws Exception {
        Outcome o = run("train", "--data", dir.resolve("missing.csv").toString(), "--out", dir.resolve("o").toString());
        assertEquals(1, o.code());
        assertEquals(1, o.err().strip().lines().count(), o.err());
        assertTrue(o.err().contains("missing.csv") && o.err().contains("no such file"), o.err());
        Path csv = dir.resolve("d.csv");
        Files.writeString(csv, "body,label\nhello,0\n");
        o = run("train", "--data", csv.toString(), "--out", dir.resolve("o").toString());
        assertEquals(1, o.code());
        assertTrue(o.err().contains("no text column 'text'") && o.err().contains("[body, label]"), o.err());
        Outcome verbose = run("train", "--data", csv.toString(), "--out", "o", "--verbose");
        assertTrue(verbose.err().contains("at io.github.peft4j"), "stack trace with --verbose");
        assertEquals(1, run("inspect", dir.resolve("nothing-here").toString()).code());
        assertEquals(1, run("train", "--data", "imdb", "--out", "o").code());
    }

    @Test
    void inspectSafetensorsFile() {
        Path file = dir.resolve("w.safetensors");
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("a.weight", HostTensor.f32(new long[] {2, 3}, new float[6]));
        tensors.put("ids", HostTensor.i64(new long[] {4}, new long[4]));
        SafeTensors.write(file, tensors, Map.of("format", "pt"));
        Outcome o = run("inspect", file.toString());
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("2 tensors"), o.out());
        assertTrue(o.out().matches("(?s).*a\\.weight\\s+F32\\s+\\[2, 3\\].*"), o.out());
        assertTrue(o.out().contains("total 10 values {F32=6, I64=4}"), o.out());
    }

    @Test
    void inspectAdapterAndModelFolders() {
        Path adapter = dir.resolve("adapter");
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("indices.encoder.layer.0.attention.self.value.weight", HostTensor.i64(new long[] {3, 2}, new long[6]));
        tensors.put("deltas.encoder.layer.0.attention.self.value.weight", HostTensor.f32(new long[] {3}, new float[3]));
        tensors.put("head.classifier.weight", HostTensor.f32(new long[] {2, 4}, new float[8]));
        SafeTensors.write(adapter.resolve("sparse_deltas.safetensors"), tensors, Map.of());
        AtomicFiles.writeString(adapter.resolve("adapter_config.json"),
                "{\"method\":\"sparse-random\",\"density\":0.005,\"targets\":[\"value\"],\"base_model_name_or_path\":\"m\",\"base_fingerprint\":\"abc123\"}");
        Outcome o = run("inspect", adapter.toString());
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("method sparse-random"), o.out());
        assertTrue(o.out().contains("trainable entries 11"), o.out());
        assertTrue(o.out().contains("base fingerprint abc123"), o.out());

        Path model = dir.resolve("model");
        SafeTensors.write(model.resolve("model.safetensors"), Map.of("w", HostTensor.f32(new long[] {5, 5}, new float[25])), Map.of());
        AtomicFiles.writeString(model.resolve("config.json"), "{\"model_type\":\"bert\",\"hidden_size\":5,\"architectures\":[\"BertModel\"]}");
        o = run("inspect", model.toString());
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("architecture bert"), o.out());
        assertTrue(o.out().contains("parameters 25 in 1 safetensors file(s)"), o.out());
        assertTrue(o.out().contains("tokenizer.json MISSING"), o.out());
    }
}
