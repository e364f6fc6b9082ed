package io.github.peft4j.tests.reliability;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code peft4j inspect} on malformed inputs answers like a command-line tool: exit code 1, one
 * clear line on stderr naming the file, no stack trace. Runs the shaded jar when the build made it
 * ({@code dsl/target/peft4j.jar}), else the same main class from the test class path.
 */
class CliInspectMalformedTest {
    @TempDir
    Path dir;

    @Test
    void malformedInputsGiveOneLineAndExitCodeOne() throws Exception {
        Map<String, Path> inputs = new LinkedHashMap<>();
        byte[] valid = Files.readAllBytes(TinyFixtures.bertFolder().resolve("model.safetensors"));
        inputs.put("truncated safetensors", write("truncated.safetensors", java.util.Arrays.copyOf(valid, valid.length / 2)));
        byte[] hugeHeader = valid.clone();
        System.arraycopy(SafeTensorsBytes.lengthField(1L << 50), 0, hugeHeader, 0, 8);
        inputs.put("huge header length", write("huge.safetensors", hugeHeader));
        inputs.put("not safetensors at all", write("text.safetensors", "hello, world\n".repeat(10).getBytes(StandardCharsets.UTF_8)));
        inputs.put("empty file", write("empty.safetensors", new byte[0]));
        Path model = TinyFixtures.copy(TinyFixtures.bertFolder(), dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{\"model_type\": \"bert\", \"hidden_size\": ");
        inputs.put("model folder with truncated config.json", model);
        Path adapter = Files.createDirectories(dir.resolve("adapter"));
        Files.writeString(adapter.resolve("adapter_config.json"), "[[[[[[[[");
        inputs.put("adapter folder with garbage config", adapter);
        inputs.put("missing path", dir.resolve("does-not-exist.safetensors"));

        for (Map.Entry<String, Path> e : inputs.entrySet()) {
            Result r = inspect(e.getValue());
            String what = e.getKey() + ": stderr was\n" + r.stderr;
            assertEquals(1, r.exitCode, what);
            List<String> lines = r.stderr.lines().filter(l -> !l.isBlank()).toList();
            assertEquals(1, lines.size(), what);
            assertFalse(r.stderr.contains("\tat ") || r.stderr.contains("Exception"), "no stack trace or class names: " + what);
            assertTrue(lines.get(0).contains(e.getValue().getFileName().toString()), "the line names the file: " + what);
            System.out.println(e.getKey() + " -> " + lines.get(0));
        }
    }

    private Path write(String name, byte[] bytes) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    record Result(int exitCode, String stdout, String stderr) {}

    static Result inspect(Path path) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path jar = Path.of("..", "dsl", "target", "peft4j.jar");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m"));
        if (Files.isRegularFile(jar)) {
            cmd.addAll(List.of("-jar", jar.toString()));
        } else {
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.github.peft4j.dsl.cli.Main"));
        }
        cmd.addAll(List.of("inspect", path.toString()));
        Path out = Files.createTempFile("inspect", ".out");
        Path err = Files.createTempFile("inspect", ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "inspect did not finish");
        Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return r;
    }
}
