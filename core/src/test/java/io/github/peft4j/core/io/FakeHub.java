package io.github.peft4j.core.io;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A local stand-in for huggingface.co on 127.0.0.1: serves {@code /{org}/{name}/resolve/{rev}/{file}}
 * with the headers huggingface_hub reads (X-Repo-Commit, ETag, X-Linked-Etag, X-Linked-Size,
 * X-Error-Code). LFS files (*.safetensors) redirect to a second server, the "CDN", on another
 * port, which honours Range requests and can drop a connection mid-file once.
 */
final class FakeHub implements AutoCloseable {
    record Request(String server, String method, String path, String authorization, String range) {}

    static final class Repo {
        final String commit;
        final Map<String, byte[]> files = new HashMap<>();
        /** Overrides the sha256 the hub announces for a file (to simulate corruption). */
        final Map<String, String> announcedSha = new HashMap<>();

        Repo(String commit) {
            this.commit = commit;
        }

        Repo file(String name, byte[] content) {
            files.put(name, content);
            return this;
        }

        Repo file(String name, String content) {
            return file(name, content.getBytes(StandardCharsets.UTF_8));
        }
    }

    final List<Request> log = new CopyOnWriteArrayList<>();
    final Map<String, Repo> repos = new ConcurrentHashMap<>();
    /** Blob sha256 -> bytes to send before dropping the connection, applied once. */
    final Map<String, Integer> dropOnce = new ConcurrentHashMap<>();
    /** Hub paths answered with this status instead, once each (then served normally). */
    final Map<String, Integer> failOnce = new ConcurrentHashMap<>();
    /** Renamed repositories: old id -> new id, answered with a relative 307 like the hub does. */
    final Map<String, String> renamed = new ConcurrentHashMap<>();
    /** Hub paths always answered with 503. */
    final Set<String> failAlways = ConcurrentHashMap.newKeySet();
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Set<String> dropped = new HashSet<>();
    private final HttpServer hub;
    private final HttpServer cdn;

    FakeHub() throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        hub = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        hub.createContext("/", this::serveHub);
        cdn.createContext("/", this::serveCdn);
        hub.start();
        cdn.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    Repo add(String repoId, String commit) {
        Repo r = new Repo(commit);
        repos.put(repoId, r);
        return r;
    }

    List<Request> requests(String method) {
        return log.stream().filter(r -> r.method.equals(method)).toList();
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void record(String server, HttpExchange ex) {
        log.add(new Request(server, ex.getRequestMethod(), ex.getRequestURI().getPath(),
                ex.getRequestHeaders().getFirst("Authorization"), ex.getRequestHeaders().getFirst("Range")));
    }

    private void serveHub(HttpExchange ex) throws IOException {
        try (ex) {
            record("hub", ex);
            Integer failure = failAlways.contains(ex.getRequestURI().getPath()) ? Integer.valueOf(503)
                    : failOnce.remove(ex.getRequestURI().getPath());
            if (failure != null) {
                send(ex, failure, Map.of(), null);
                return;
            }
            String[] p = ex.getRequestURI().getPath().split("/", 6); // "", org, name, "resolve", rev, file
            if (p.length < 6 || !p[3].equals("resolve")) {
                send(ex, 404, Map.of(), null);
                return;
            }
            String movedTo = renamed.get(p[1] + "/" + p[2]);
            if (movedTo != null) {
                send(ex, 307, Map.of("Location", "/" + movedTo + "/resolve/" + p[4] + "/" + p[5]), null);
                return;
            }
            Repo repo = repos.get(p[1] + "/" + p[2]);
            if (repo == null) {
                send(ex, 404, Map.of("X-Error-Code", "RepoNotFound"), null);
                return;
            }
            if (!p[4].equals("main") && !p[4].equals(repo.commit)) {
                send(ex, 404, Map.of("X-Error-Code", "RevisionNotFound"), null);
                return;
            }
            byte[] content = repo.files.get(p[5]);
            if (content == null) {
                send(ex, 404, Map.of("X-Error-Code", "EntryNotFound", "X-Repo-Commit", repo.commit), null);
                return;
            }
            Map<String, String> headers = new HashMap<>();
            headers.put("X-Repo-Commit", repo.commit);
            if (p[5].endsWith(".safetensors")) { // an LFS file: 302 to the CDN, metadata in X-Linked-*
                String sha = sha256(content);
                blobs.put(sha, content);
                headers.put("X-Linked-Etag", "\"" + repo.announcedSha.getOrDefault(p[5], sha) + "\"");
                headers.put("X-Linked-Size", String.valueOf(content.length));
                headers.put("ETag", "\"" + sha.substring(0, 40) + "\"");
                headers.put("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/blobs/" + sha);
                send(ex, 302, headers, null);
                return;
            }
            headers.put("ETag", "\"" + sha256(content).substring(0, 40) + "\""); // git blob ids are 40 hex
            send(ex, 200, headers, content);
        }
    }

    private void serveCdn(HttpExchange ex) throws IOException {
        try (ex) {
            record("cdn", ex);
            String sha = ex.getRequestURI().getPath().substring("/blobs/".length());
            byte[] content = blobs.get(sha);
            if (content == null) {
                send(ex, 404, Map.of(), null);
                return;
            }
            String range = ex.getRequestHeaders().getFirst("Range");
            int start = range == null ? 0 : Integer.parseInt(range.substring("bytes=".length(), range.indexOf('-')));
            byte[] part = java.util.Arrays.copyOfRange(content, start, content.length);
            Map<String, String> headers = new HashMap<>();
            if (range != null) {
                headers.put("Content-Range", "bytes " + start + "-" + (content.length - 1) + "/" + content.length);
            }
            Integer dropAfter = dropOnce.get(sha);
            boolean drop;
            synchronized (dropped) {
                drop = dropAfter != null && dropped.add(sha);
            }
            if (drop) {
                headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
                ex.sendResponseHeaders(range == null ? 200 : 206, part.length);
                OutputStream os = ex.getResponseBody();
                os.write(part, 0, dropAfter);
                os.flush();
                // Closing the exchange with bytes missing makes the server close the connection.
                return;
            }
            send(ex, range == null ? 200 : 206, headers, part);
        }
    }

    private static void send(HttpExchange ex, int status, Map<String, String> headers, byte[] body) throws IOException {
        headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        boolean head = ex.getRequestMethod().equals("HEAD");
        if (body == null || head) {
            if (body != null) {
                ex.getResponseHeaders().set("Content-Length", String.valueOf(body.length));
            }
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        ex.getResponseBody().write(body);
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
    }
}
