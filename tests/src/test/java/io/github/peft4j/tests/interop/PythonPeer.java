package io.github.peft4j.tests.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Assumptions;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Python side of the interop tests ({@code tests/interop/peft_interop.py}) as one long-lived
 * process, so torch/transformers/PEFT are imported once per test class. Requests and replies are
 * JSON lines; tensors travel as safetensors files in the test's temp folder.
 *
 * <p>The interpreter is {@code $PEFT4J_PYTHON}, else {@code ~/.cache/peft4j/venv/bin/python}. When it is
 * missing or lacks the packages the tests are skipped with a message saying how to create it,
 * except under {@code CI=true}, where that is a failure (CI creates the venv in .ci/setup).
 */
final class PythonPeer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long REPLY_TIMEOUT_SECONDS = 300;

    private final Process process;
    private final BufferedWriter requests;
    private final BufferedReader replies;
    private final Path log;

    private PythonPeer(Process process, Path log) {
        this.process = process;
        this.log = log;
        this.requests = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        this.replies = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Starts the server and checks it answers; skips (or fails under CI) when Python is not usable. */
    static PythonPeer start() throws IOException {
        Path python = python();
        Path script = script();
        if (!Files.isExecutable(python)) {
            unavailable("no Python interpreter at " + python);
        }
        Path log = Path.of("target", "interop-python.log").toAbsolutePath();
        Files.createDirectories(log.getParent());
        ProcessBuilder pb = new ProcessBuilder(python.toString(), script.toString(), "serve")
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("PEFT4J_PY_THREADS", "2");
        pb.environment().put("TRANSFORMERS_OFFLINE", "1");
        pb.environment().put("HF_HUB_OFFLINE", "1");
        PythonPeer peer = new PythonPeer(pb.start(), log);
        JsonNode pong;
        try {
            pong = peer.send(JSON.createObjectNode().put("op", "ping"), false);
        } catch (AssertionError | IOException e) {
            peer.close();
            unavailable("Python at " + python + " could not import torch/transformers/peft: " + e.getMessage());
            throw e;
        }
        if (!pong.path("ok").asBoolean()) {
            peer.close();
            unavailable("Python at " + python + " could not import torch/transformers/peft: " + pong.path("error").asText());
        }
        System.out.println("interop peer: python " + python + ", torch " + pong.path("torch").asText()
                + ", transformers " + pong.path("transformers").asText() + ", peft " + pong.path("peft").asText());
        return peer;
    }

    /** Sends one request and returns its reply; a Python-side error fails the calling test with the traceback. */
    JsonNode call(ObjectNode request) throws IOException {
        return send(request, true);
    }

    ObjectNode request(String op) {
        return JSON.createObjectNode().put("op", op);
    }

    private synchronized JsonNode send(ObjectNode request, boolean failOnError) throws IOException {
        requests.write(JSON.writeValueAsString(request));
        requests.newLine();
        requests.flush();
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return replies.readLine();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String text;
        try {
            text = line.get(REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            process.destroyForcibly();
            throw new AssertionError("Python peer gave no reply within " + REPLY_TIMEOUT_SECONDS + " s to "
                    + request + ". Log tail:\n" + logTail());
        } catch (InterruptedException | ExecutionException e) {
            throw new IOException("reading the Python peer's reply failed: " + e.getMessage() + "\n" + logTail(), e);
        }
        if (text == null) {
            throw new AssertionError("Python peer exited (code " + exitCode() + ") while answering " + request
                    + ". Log tail:\n" + logTail());
        }
        JsonNode reply = JSON.readTree(text);
        if (failOnError && !reply.path("ok").asBoolean()) {
            throw new AssertionError("Python side failed on " + request + ":\n" + reply.path("error").asText());
        }
        return reply;
    }

    private String exitCode() {
        try {
            return process.waitFor(5, TimeUnit.SECONDS) ? String.valueOf(process.exitValue()) : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }

    static Path python() {
        String env = System.getenv("PEFT4J_PYTHON");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "peft4j", "venv", "bin", "python");
    }

    /** The script, found from the tests module folder (surefire's working directory) or the repo root. */
    static Path script() {
        for (Path candidate : List.of(Path.of("interop", "peft_interop.py"), Path.of("tests", "interop", "peft_interop.py"))) {
            if (Files.isRegularFile(candidate)) {
                return candidate.toAbsolutePath();
            }
        }
        throw new AssertionError("tests/interop/peft_interop.py not found from " + Path.of("").toAbsolutePath());
    }

    private static void unavailable(String why) {
        String how = " Create it with: python3 -m venv ~/.cache/peft4j/venv && ~/.cache/peft4j/venv/bin/pip install"
                + " --index-url file:///opt/pypi/simple \"torch==2.13.0+cpu\" transformers peft==0.21.0 safetensors numpy"
                + " (or run .ci/setup), or point PEFT4J_PYTHON at an interpreter that has them.";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError("Interop tests need Python with torch, transformers and peft under CI: " + why + "." + how);
        }
        Assumptions.abort("Skipping interop tests: " + why + "." + how);
    }

    @Override
    public void close() {
        try {
            requests.write("{\"op\":\"quit\"}");
            requests.newLine();
            requests.flush();
        } catch (IOException ignored) {
            // the process is gone already
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
