package io.github.peft4j.core.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Hub#download} configured only through environment variables, as users set them: run in a
 * child JVM so that HF_HOME, HF_ENDPOINT, the token file, HF_HUB_OFFLINE and
 * HF_HUB_DISABLE_PROGRESS_BARS are really read from the environment.
 */
class HubEnvironmentTest {
    @TempDir
    Path tmp;

    record Run(int exit, String out, String err) {}

    Run run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new java.util.ArrayList<>(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                HubEnvMain.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("HF_") || k.startsWith("HUGGING") || k.equals("XDG_CACHE_HOME"));
        pb.environment().putAll(env);
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("err.txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        return new Run(p.exitValue(), Files.readString(out).trim(), Files.readString(err));
    }

    @Test
    void environmentVariablesConfigureDownloadAndOfflineUse() throws Exception {
        Path hfHome = Files.createDirectories(tmp.resolve("hf-home"));
        Files.writeString(hfHome.resolve("token"), "hf_from_token_file\n", StandardCharsets.UTF_8);
        Path expected = hfHome.resolve("hub/models--org--tiny/snapshots").resolve(HubTest.COMMIT);
        try (FakeHub server = new FakeHub()) {
            server.add("org/tiny", HubTest.COMMIT).file("config.json", HubTest.CONFIG).file("model.safetensors", new byte[] {1, 2, 3});
            Run online = run(Map.of("HF_HOME", hfHome.toString(), "HF_ENDPOINT", server.endpoint(),
                    "HF_HUB_DISABLE_PROGRESS_BARS", "1"), "org/tiny");
            assertEquals(0, online.exit(), online.out() + online.err());
            assertEquals(expected.toString(), online.out());
            assertFalse(online.err().contains("Downloading"), online.err());
            assertTrue(server.log.stream().filter(r -> r.server().equals("hub"))
                    .allMatch(r -> "Bearer hf_from_token_file".equals(r.authorization())));
        }
        // The server is gone: offline mode serves the cache, online mode cannot resolve a new repo.
        Run offline = run(Map.of("HF_HOME", hfHome.toString(), "HF_ENDPOINT", "http://127.0.0.1:9", "HF_HUB_OFFLINE", "1"), "org/tiny");
        assertEquals(0, offline.exit(), offline.out() + offline.err());
        assertEquals(expected.toString(), offline.out());

        Path elsewhere = tmp.resolve("other-cache");
        Run missing = run(Map.of("HF_HUB_CACHE", elsewhere.toString(), "HF_HUB_OFFLINE", "true"), "org/tiny");
        assertEquals(3, missing.exit());
        assertTrue(missing.out().contains("HF_HUB_OFFLINE is set") && missing.out().contains(elsewhere.toString()), missing.out());
    }
}
