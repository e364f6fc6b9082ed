package io.github.peft4j.core.io;

import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.InvalidArgumentException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HubTest {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    static final String CONFIG = "{\"model_type\": \"bert\", \"hidden_size\": 4}";

    @TempDir
    Path tmp;
    Path cache;
    FakeHub server;
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    byte[] weights;

    @BeforeEach
    void start() throws IOException {
        cache = tmp.resolve("hub");
        server = new FakeHub();
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        float[] big = new float[60_000]; // 240 KB, so a dropped connection really is mid-file
        Random r = new Random(1);
        for (int i = 0; i < big.length; i++) {
            big[i] = r.nextFloat();
        }
        tensors.put("embeddings.word_embeddings.weight", HostTensor.f32(new long[] {15_000, 4}, big));
        Path st = tmp.resolve("w.safetensors");
        SafeTensors.write(st, tensors, Map.of("format", "pt"));
        weights = Files.readAllBytes(st);
        server.add("org/tiny", COMMIT)
                .file("config.json", CONFIG)
                .file("model.safetensors", weights)
                .file("tokenizer.json", "{\"model\": {\"type\": \"WordPiece\"}}");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    Hub.Builder hub() {
        return Hub.builder().endpoint(server.endpoint()).cacheDir(cache).token(null).offline(false)
                .progress(new PrintStream(progress, true, StandardCharsets.UTF_8));
    }

    @Test
    void freshDownloadWritesTheHuggingfaceHubLayoutThenServesFromCache() throws IOException {
        Path snap = hub().build().snapshot("org/tiny", "main");

        Path repo = cache.resolve("models--org--tiny");
        assertEquals(repo.resolve("snapshots").resolve(COMMIT), snap);
        assertEquals(COMMIT, Files.readString(repo.resolve("refs/main")));
        assertEquals(CONFIG, Files.readString(snap.resolve("config.json")));
        assertArrayEquals(weights, Files.readAllBytes(snap.resolve("model.safetensors")));
        // snapshot entries are relative symlinks into blobs/, the LFS blob named by its sha256
        assertTrue(Files.isSymbolicLink(snap.resolve("model.safetensors")));
        assertEquals(Path.of("../../blobs/" + FakeHub.sha256(weights)), Files.readSymbolicLink(snap.resolve("model.safetensors")));
        assertTrue(Files.exists(repo.resolve(".no_exist").resolve(COMMIT).resolve("tokenizer_config.json")));
        try (var blobs = Files.list(repo.resolve("blobs"))) {
            assertTrue(blobs.noneMatch(p -> p.toString().endsWith(".incomplete")));
        }
        assertTrue(progress.toString(StandardCharsets.UTF_8).contains("Downloading org/tiny/model.safetensors"), progress.toString());
        assertEquals(1, server.requests("GET").stream().filter(r -> r.server().equals("cdn")).count());
        assertTrue(server.log.stream().allMatch(r -> r.authorization() == null));

        // Second call: everything is cached, not a single request.
        server.log.clear();
        assertEquals(snap, hub().build().snapshot("org/tiny", "main"));
        assertEquals(List.of(), server.log);

        // Offline: the cache answers; a repository not in it is a clear error.
        server.close();
        assertEquals(snap, hub().offline(true).build().snapshot("org/tiny", "main"));
        assertEquals(snap, hub().offline(true).build().snapshot("org/tiny", COMMIT));
        HubException e = assertThrows(HubException.class, () -> hub().offline(true).build().snapshot("org/other", "main"));
        assertTrue(e.getMessage().contains("HF_HUB_OFFLINE") && e.getMessage().contains("org/other"), e.getMessage());
    }

    @Test
    void droppedConnectionIsResumedWithRange() throws IOException {
        server.dropOnce.put(FakeHub.sha256(weights), 100_000);
        Path snap = hub().build().snapshot("org/tiny", "main");

        assertArrayEquals(weights, Files.readAllBytes(snap.resolve("model.safetensors")));
        List<FakeHub.Request> cdnGets = server.log.stream().filter(r -> r.server().equals("cdn")).toList();
        assertEquals(2, cdnGets.size());
        assertNull(cdnGets.get(0).range());
        assertEquals("bytes=100000-", cdnGets.get(1).range());
        assertTrue(progress.toString(StandardCharsets.UTF_8).contains("resuming"), progress.toString());
    }

    @Test
    void transientServerErrorsAreRetried() throws IOException {
        server.failOnce.put("/org/tiny/resolve/main/config.json", 503);
        server.failOnce.put("/org/tiny/resolve/" + COMMIT + "/model.safetensors", 502);
        Path snap = hub().build().snapshot("org/tiny", "main");
        assertArrayEquals(weights, Files.readAllBytes(snap.resolve("model.safetensors")));
        assertEquals(2, server.requests("HEAD").stream().filter(r -> r.path().endsWith("/main/config.json")).count());
    }

    @Test
    void persistentServerErrorsAreReported() {
        server.add("org/down", COMMIT).file("config.json", CONFIG);
        server.failAlways.add("/org/down/resolve/main/config.json");
        HubException e = assertThrows(HubException.class, () -> hub().build().snapshot("org/down", "main"));
        assertEquals(503, e.status());
        assertTrue(e.getMessage().contains("HTTP 503"), e.getMessage());
        assertEquals(4, server.log.stream().filter(r -> r.path().equals("/org/down/resolve/main/config.json")).count());
    }

    @Test
    void partialBlobLeftByAKilledProcessIsResumed() throws IOException {
        String sha = FakeHub.sha256(weights);
        Path blobs = Files.createDirectories(cache.resolve("models--org--tiny/blobs"));
        Files.write(blobs.resolve(sha + ".incomplete"), java.util.Arrays.copyOf(weights, 12_345));
        Path snap = hub().build().snapshot("org/tiny", "main");
        assertArrayEquals(weights, Files.readAllBytes(snap.resolve("model.safetensors")));
        List<FakeHub.Request> cdn = server.log.stream().filter(r -> r.server().equals("cdn")).toList();
        assertEquals(1, cdn.size());
        assertEquals("bytes=12345-", cdn.get(0).range());
        assertFalse(Files.exists(blobs.resolve(sha + ".incomplete")));
    }

    @Test
    void renamedRepositoryRedirectIsFollowed() throws IOException {
        server.renamed.put("old-org/tiny", "org/tiny");
        Path snap = hub().build().snapshot("old-org/tiny", "main");
        // Cached under the name the user asked for, as huggingface_hub does.
        assertEquals(cache.resolve("models--old-org--tiny/snapshots").resolve(COMMIT), snap);
        assertArrayEquals(weights, Files.readAllBytes(snap.resolve("model.safetensors")));
        assertEquals(CONFIG, Files.readString(snap.resolve("config.json")));
    }

    @Test
    void tokenGoesToTheHubButNotToTheCdn() {
        hub().token("hf_test").build().snapshot("org/tiny", "main");
        List<FakeHub.Request> hubRequests = server.log.stream().filter(r -> r.server().equals("hub")).toList();
        assertFalse(hubRequests.isEmpty());
        assertTrue(hubRequests.stream().allMatch(r -> "Bearer hf_test".equals(r.authorization())));
        assertTrue(server.log.stream().filter(r -> r.server().equals("cdn")).allMatch(r -> r.authorization() == null));
    }

    @Test
    void missingRepositoryRevisionAndWeightsAreClearErrors() {
        HubException repo = assertThrows(HubException.class, () -> hub().build().snapshot("org/nope", "main"));
        assertEquals(404, repo.status());
        assertTrue(repo.getMessage().contains("org/nope was not found") && repo.getMessage().contains("HF_TOKEN"), repo.getMessage());

        HubException rev = assertThrows(HubException.class, () -> hub().build().snapshot("org/tiny", "v9"));
        assertTrue(rev.getMessage().contains("Revision 'v9'"), rev.getMessage());

        server.add("org/pickled", COMMIT).file("config.json", CONFIG).file("pytorch_model.bin", "not loaded");
        HubException bin = assertThrows(HubException.class, () -> hub().build().snapshot("org/pickled", "main"));
        assertTrue(bin.getMessage().contains("pytorch_model.bin") && bin.getMessage().contains("safe_serialization"), bin.getMessage());
        assertTrue(server.requests("GET").stream().noneMatch(r -> r.path().endsWith(".bin")));

        server.add("org/empty", COMMIT).file("README.md", "hi");
        HubException noConfig = assertThrows(HubException.class, () -> hub().build().snapshot("org/empty", "main"));
        assertTrue(noConfig.getMessage().contains("config.json was not found"), noConfig.getMessage());

        assertThrows(InvalidArgumentException.class, () -> hub().build().snapshot("../etc", "main"));
        assertThrows(InvalidArgumentException.class, () -> hub().build().snapshot("org/tiny", "../../x"));
    }

    @Test
    void shardedIndexIsFollowedAndEscapingShardNamesAreRejected() throws IOException {
        byte[] shard1 = "shard one".getBytes(StandardCharsets.UTF_8);
        byte[] shard2 = "shard two".getBytes(StandardCharsets.UTF_8);
        server.add("org/sharded", COMMIT).file("config.json", CONFIG)
                .file("model.safetensors.index.json", "{\"metadata\": {}, \"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\","
                        + " \"b\": \"model-00002-of-00002.safetensors\", \"c\": \"model-00001-of-00002.safetensors\"}}")
                .file("model-00001-of-00002.safetensors", shard1)
                .file("model-00002-of-00002.safetensors", shard2);
        Path snap = hub().build().snapshot("org/sharded", "main");
        assertArrayEquals(shard1, Files.readAllBytes(snap.resolve("model-00001-of-00002.safetensors")));
        assertArrayEquals(shard2, Files.readAllBytes(snap.resolve("model-00002-of-00002.safetensors")));

        server.add("org/evil", COMMIT).file("config.json", CONFIG)
                .file("model.safetensors.index.json", "{\"weight_map\": {\"a\": \"../evil.safetensors\"}}")
                .file("../evil.safetensors", "pwned");
        FileFormatException e = assertThrows(FileFormatException.class, () -> hub().build().snapshot("org/evil", "main"));
        assertTrue(e.getMessage().contains("'../evil.safetensors'") && e.getMessage().contains("outside the cache"), e.getMessage());
        try (var all = Files.walk(tmp)) {
            assertTrue(all.noneMatch(p -> p.getFileName().toString().equals("evil.safetensors")));
        }
    }

    @Test
    void corruptDownloadIsDetectedBySha256AndDeleted() throws IOException {
        server.repos.get("org/tiny").announcedSha.put("model.safetensors", "ab".repeat(32));
        HubException e = assertThrows(HubException.class, () -> hub().build().snapshot("org/tiny", "main"));
        assertTrue(e.getMessage().contains("Checksum mismatch"), e.getMessage());
        try (var blobs = Files.list(cache.resolve("models--org--tiny/blobs"))) {
            assertTrue(blobs.noneMatch(p -> p.getFileName().toString().startsWith("abab")));
        }
        assertFalse(Files.exists(cache.resolve("models--org--tiny/refs/main")));
    }

    @Test
    void readsACacheWrittenByPythonHuggingfaceHub() throws IOException {
        // huggingface_hub's layout: refs/main holds the commit, snapshot files link to blobs.
        Path repo = cache.resolve("models--sentence-transformers--all-MiniLM-L6-v2");
        String commit = "c9745ed1d9f207416be6d2e6f8de32d1f16199bf";
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), commit);
        Path snap = repo.resolve("snapshots").resolve(commit);
        Files.createDirectories(snap);
        Files.createDirectories(repo.resolve("blobs"));
        Map<String, String> files = Map.of("config.json", CONFIG, "model.safetensors", "w", "tokenizer.json", "{}",
                "tokenizer_config.json", "{}");
        for (var f : files.entrySet()) {
            String blob = FakeHub.sha256(f.getValue().getBytes(StandardCharsets.UTF_8));
            Files.writeString(repo.resolve("blobs").resolve(blob), f.getValue());
            Files.createSymbolicLink(snap.resolve(f.getKey()), Path.of("../../blobs").resolve(blob));
        }
        Files.createDirectories(repo.resolve(".no_exist").resolve(commit));
        Files.createFile(repo.resolve(".no_exist").resolve(commit).resolve("generation_config.json"));
        assertEquals(snap, hub().offline(true).build().snapshot("sentence-transformers/all-MiniLM-L6-v2", "main"));
        // Online too, no request is needed.
        assertEquals(snap, hub().build().snapshot("sentence-transformers/all-MiniLM-L6-v2", "main"));
        assertEquals(List.of(), server.log);

        // Without the .no_exist marker the hub is asked once; when it cannot answer the cache still serves.
        Files.delete(repo.resolve(".no_exist").resolve(commit).resolve("generation_config.json"));
        assertEquals(snap, hub().build().snapshot("sentence-transformers/all-MiniLM-L6-v2", "main"));
        assertEquals(1, server.log.size());
        assertTrue(server.log.get(0).path().contains("/resolve/" + commit + "/"), server.log.get(0).path());
        assertTrue(progress.toString(StandardCharsets.UTF_8).contains("Using the cached snapshot"), progress.toString());

        // A snapshot without tokenizer files (Python's from_pretrained fetches only what it needs)
        // is usable offline; without weights it is not.
        Files.delete(snap.resolve("tokenizer.json"));
        Files.delete(snap.resolve("tokenizer_config.json"));
        assertEquals(snap, hub().offline(true).build().snapshot("sentence-transformers/all-MiniLM-L6-v2", "main"));
        Files.delete(snap.resolve("model.safetensors"));
        HubException e = assertThrows(HubException.class,
                () -> hub().offline(true).build().snapshot("sentence-transformers/all-MiniLM-L6-v2", "main"));
        assertTrue(e.getMessage().contains("lacks [model.safetensors]"), e.getMessage());
    }

    @Test
    void safeResolveRefusesEscapes() {
        Path base = tmp.resolve("snap");
        for (String bad : List.of("../x", "/etc/passwd", "a/../../b", "a\\b", "", "a//b", "./a", "C:evil", "a/\u0000b")) {
            assertThrows(HubException.class, () -> Hub.safeResolve(base, bad, null), bad);
        }
        assertEquals(base.resolve("sub/model.safetensors"), Hub.safeResolve(base, "sub/model.safetensors", null));
    }
}
