package io.github.peft4j.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.InvalidArgumentException;
import io.github.peft4j.core.Peft4jException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Downloads a model snapshot from the Hugging Face hub into the cache layout that Python's
 * {@code huggingface_hub} uses, so both share one cache:
 * <pre>
 *   $HF_HUB_CACHE/models--org--name/blobs/&lt;etag&gt;              file contents, named by ETag (sha256 for LFS)
 *   $HF_HUB_CACHE/models--org--name/refs/&lt;revision&gt;            the commit a branch or tag pointed to
 *   $HF_HUB_CACHE/models--org--name/snapshots/&lt;commit&gt;/&lt;file&gt;  relative symlinks to the blobs
 *   $HF_HUB_CACHE/models--org--name/.no_exist/&lt;commit&gt;/&lt;file&gt;  optional files the repo does not have
 * </pre>
 * Files fetched: {@code config.json}, {@code model.safetensors} or {@code model.safetensors.index.json}
 * plus its shards, and, when present, {@code tokenizer.json}, {@code tokenizer_config.json} and
 * {@code generation_config.json}.
 * Pickled weights ({@code .bin}) are never fetched.
 *
 * <p>Environment: {@code HF_HUB_CACHE} (else {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}),
 * {@code HF_ENDPOINT} (default {@code https://huggingface.co}), {@code HF_TOKEN} (else the file
 * {@code $HF_HOME/token}), {@code HF_HUB_OFFLINE=1} (cache only), {@code HF_HUB_DISABLE_PROGRESS_BARS=1}
 * (no progress lines on stderr).
 *
 * <p>A snapshot whose revision is already resolved in {@code refs/} and whose files are all in the
 * cache is returned without any request, so runs are reproducible and work offline; use
 * {@link Builder#refresh(boolean)} to ask the hub whether a branch moved. Downloads go to
 * {@code blobs/<etag>.incomplete}, resume with an HTTP Range request after a broken connection,
 * are checked against their size and (for LFS files) their sha256, then renamed into place.
 */
public final class Hub {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    public static final String DEFAULT_REVISION = "main";

    static final String CONFIG = "config.json";
    static final String WEIGHTS = "model.safetensors";
    static final String WEIGHTS_INDEX = "model.safetensors.index.json";
    static final List<String> OPTIONAL_FILES = List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json");
    static final List<String> PICKLE_WEIGHTS = List.of("pytorch_model.bin", "pytorch_model.bin.index.json");

    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?");
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9._][A-Za-z0-9._/-]{0,199}");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern ETAG = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final int MAX_ATTEMPTS = 4;
    private static final int MAX_REDIRECTS = 5;

    private final URI endpoint;
    private final Path cacheDir;
    private final String token;
    private final boolean offline;
    private final boolean refresh;
    private final PrintStream progress;
    private final HttpClient http;

    private Hub(Builder b) {
        this.endpoint = URI.create(b.endpoint.endsWith("/") ? b.endpoint.substring(0, b.endpoint.length() - 1) : b.endpoint);
        this.cacheDir = b.cacheDir.toAbsolutePath();
        this.token = b.token == null || b.token.isBlank() ? null : b.token.trim();
        this.offline = b.offline;
        this.refresh = b.refresh;
        this.progress = b.progress;
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER) // followed by hand: the token must not leak to a CDN
                .connectTimeout(b.connectTimeout)
                .build();
    }

    /** {@code repoId} at branch {@code main}, configured from the environment. */
    public static Path download(String repoId) {
        return download(repoId, DEFAULT_REVISION);
    }

    /**
     * The snapshot folder of {@code repoId} at {@code revision} (branch, tag or 40-hex commit),
     * configured from the environment; downloads what is missing.
     */
    public static Path download(String repoId, String revision) {
        return builder().build().snapshot(repoId, revision);
    }

    /** A builder preset from the environment variables described in the class comment. */
    public static Builder builder() {
        return new Builder();
    }

    /** The folder of one repository in the cache: {@code models--org--name}. */
    public Path repoFolder(String repoId) {
        checkRepoId(repoId);
        return cacheDir.resolve("models--" + repoId.replace("/", "--"));
    }

    /** Resolves and, where needed, downloads a snapshot; returns {@code snapshots/<commit>}. */
    public Path snapshot(String repoId, String revision) {
        checkRepoId(repoId);
        String rev = revision == null || revision.isBlank() ? DEFAULT_REVISION : revision;
        checkRevision(rev);
        Path repo = repoFolder(repoId);

        Optional<String> cachedCommit = cachedCommit(repo, rev);
        if (cachedCommit.isPresent() && (offline || !refresh)) {
            String commit = cachedCommit.get();
            Path snap = repo.resolve("snapshots").resolve(commit);
            List<String> missingRequired = missingFiles(repo, commit, false);
            if (offline && !missingRequired.isEmpty()) {
                throw new HubException("HF_HUB_OFFLINE is set and the cached snapshot " + snap + " of " + repoId
                        + " lacks " + missingRequired + ". Run once with network access, or unset HF_HUB_OFFLINE.");
            }
            if (offline || missingFiles(repo, commit, true).isEmpty()) {
                return snap;
            }
            if (missingRequired.isEmpty()) {
                // Usable, but some optional files were never asked for (a cache that Python's
                // from_pretrained filled): ask for them at the cached commit, keep the cache if that fails.
                try {
                    return fetch(repoId, commit, repo);
                } catch (HubException e) {
                    if (progress != null) {
                        progress.println("Using the cached snapshot " + snap + " (could not check its optional files: " + e.getMessage() + ")");
                    }
                    return snap;
                }
            }
            return fetch(repoId, commit, repo);
        }
        if (offline) {
            throw new HubException("HF_HUB_OFFLINE is set and " + repoId + " at revision '" + rev + "' is not in the cache "
                    + cacheDir + ". Run once with network access (or download it with huggingface-cli), or unset HF_HUB_OFFLINE.");
        }
        return fetch(repoId, rev, repo);
    }

    // ------------------------------------------------------------------ downloading

    private Path fetch(String repoId, String rev, Path repo) {
        FileInfo config = head(repoId, rev, CONFIG, true);
        String commit = config.commit != null ? config.commit : (COMMIT.matcher(rev).matches() ? rev : null);
        if (commit == null) {
            throw new HubException("The hub at " + endpoint + " did not send X-Repo-Commit for " + repoId + "@" + rev
                    + "; is HF_ENDPOINT a Hugging Face hub (or a mirror that passes its headers)?");
        }
        checkCommit(commit, repoId);
        Path snap = repo.resolve("snapshots").resolve(commit);
        downloadFile(repoId, repo, commit, CONFIG, config);

        FileInfo weights = head(repoId, commit, WEIGHTS, false);
        if (weights != null) {
            downloadFile(repoId, repo, commit, WEIGHTS, weights);
        } else {
            FileInfo index = head(repoId, commit, WEIGHTS_INDEX, false);
            if (index == null) {
                throw noSafetensors(repoId, commit);
            }
            Path indexFile = downloadFile(repoId, repo, commit, WEIGHTS_INDEX, index);
            for (String shard : shardNames(indexFile, snap)) {
                downloadFile(repoId, repo, commit, shard, head(repoId, commit, shard, true));
            }
        }
        for (String optional : OPTIONAL_FILES) {
            FileInfo info = head(repoId, commit, optional, false);
            if (info != null) {
                downloadFile(repoId, repo, commit, optional, info);
            } else {
                markMissing(repo, commit, optional);
            }
        }
        if (!rev.equals(commit)) {
            writeRef(repo, rev, commit);
        }
        return snap;
    }

    private HubException noSafetensors(String repoId, String commit) {
        for (String pickle : PICKLE_WEIGHTS) {
            if (head(repoId, commit, pickle, false) != null) {
                return new HubException(repoId + "@" + commit.substring(0, 8) + " has only pickled PyTorch weights (" + pickle
                        + "), which peft4j never loads because unpickling can run code. Convert them once in Python:"
                        + " AutoModel.from_pretrained(...).save_pretrained(dir, safe_serialization=True), then load that folder,"
                        + " or pick a revision that has model.safetensors.");
            }
        }
        return new HubException(repoId + "@" + commit.substring(0, 8) + " has neither " + WEIGHTS + " nor " + WEIGHTS_INDEX
                + "; it holds no weights peft4j can load.");
    }

    /** What a HEAD request told about one file. */
    private record FileInfo(String commit, String etag, long size, URI downloadUri) {}

    /**
     * HEAD {@code /{repo}/resolve/{rev}/{file}}. Relative redirects (renamed repositories) are
     * followed; an absolute one (the CDN for LFS files) is where the GET goes. Returns null on a
     * missing file when {@code required} is false.
     */
    private FileInfo head(String repoId, String rev, String file, boolean required) {
        URI uri = resolveUri(repoId, rev, file);
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpResponse<Void> r = headWithRetry(uri, repoId, file);
            int s = r.statusCode();
            String commit = header(r, "X-Repo-Commit");
            String etag = header(r, "X-Linked-Etag");
            if (etag == null) {
                etag = header(r, "ETag");
            }
            long size = parseLong(header(r, "X-Linked-Size"), -1);
            if (s >= 300 && s < 400) { // a redirect's Content-Length is that of its own body, not the file's
                URI location = location(r, uri);
                if (!sameOrigin(location, uri) || commit != null && etag != null) {
                    return info(repoId, file, commit, etag, size, location);
                }
                uri = location; // renamed repository: ask again at the new place
                continue;
            }
            if (s == 200) {
                return info(repoId, file, commit, etag, size >= 0 ? size : parseLong(header(r, "Content-Length"), -1), uri);
            }
            if (s == 404 && !required && !"RepoNotFound".equals(header(r, "X-Error-Code"))
                    && !"RevisionNotFound".equals(header(r, "X-Error-Code"))) {
                return null;
            }
            throw httpError(r, repoId, rev, file);
        }
        throw new HubException("Too many redirects for " + repoId + "/" + file + " at " + endpoint);
    }

    /** One HEAD, retried with back-off on a broken connection or a 5xx (the hub has bad minutes). */
    private HttpResponse<Void> headWithRetry(URI uri, String repoId, String file) {
        for (int attempt = 1; ; attempt++) {
            try {
                HttpResponse<Void> r = send(HttpRequest.newBuilder(uri).method("HEAD", HttpRequest.BodyPublishers.noBody())
                        .header("Accept-Encoding", "identity"), uri, HttpResponse.BodyHandlers.discarding(), repoId, file);
                if (r.statusCode() < 500 || attempt == MAX_ATTEMPTS) {
                    return r;
                }
            } catch (HubException e) {
                if (e.status() != -1 || !(e.getCause() instanceof IOException) || attempt == MAX_ATTEMPTS) {
                    throw e;
                }
            }
            sleep(250L * attempt);
        }
    }

    private FileInfo info(String repoId, String file, String commit, String etag, long size, URI download) {
        if (etag == null) {
            throw new HubException("The hub sent no ETag for " + repoId + "/" + file
                    + "; cannot place it in the cache. Is HF_ENDPOINT a Hugging Face hub?");
        }
        etag = normalizeEtag(etag);
        if (!ETAG.matcher(etag).matches()) {
            throw new HubException("The hub sent an unusable ETag '" + etag + "' for " + repoId + "/" + file + "; refusing to use it as a file name.");
        }
        return new FileInfo(commit, etag, size, download);
    }

    /** Makes {@code snapshots/<commit>/<file>} point at a complete blob, downloading it if needed. */
    private Path downloadFile(String repoId, Path repo, String commit, String file, FileInfo info) {
        if (info.commit != null && !info.commit.equals(commit)) {
            throw new HubException("The hub answered " + repoId + "/" + file + " from commit " + info.commit + " while the snapshot is "
                    + commit + "; the branch moved during the download. Retry, or pass a commit as the revision.");
        }
        Path snapFile = safeResolve(repo.resolve("snapshots").resolve(commit), file, null);
        Path blob = repo.resolve("blobs").resolve(info.etag);
        try {
            Files.createDirectories(blob.getParent());
            if (!Files.isRegularFile(blob) || info.size >= 0 && Files.size(blob) != info.size) {
                fetchBlobLocked(repoId, repo, file, info, blob);
            }
            link(snapFile, blob);
            return snapFile;
        } catch (IOException e) {
            throw new HubException(-1, "Could not write " + file + " of " + repoId + " into the cache " + cacheDir + ": " + e.getMessage()
                    + ". Check that the folder is writable (or set HF_HUB_CACHE) and the disk is not full.", e);
        }
    }

    /**
     * Threads of this JVM queue on the class lock (a {@link FileLock} belongs to the process), other
     * JVMs, including Python's huggingface_hub, on {@code .locks/models--org--name/<etag>.lock}.
     */
    private void fetchBlobLocked(String repoId, Path repo, String file, FileInfo info, Path blob) throws IOException {
        Path lockFile = repo.getParent().resolve(".locks").resolve(repo.getFileName().toString()).resolve(info.etag + ".lock");
        Files.createDirectories(lockFile.getParent());
        synchronized (Hub.class) {
            try (FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = lockChannel.lock()) {
                if (!Files.isRegularFile(blob) || info.size >= 0 && Files.size(blob) != info.size) { // someone else may have finished it
                    fetchBlob(repoId, file, info, blob);
                }
            }
        }
    }

    /** Downloads into {@code <blob>.incomplete}, resuming after broken connections, then verifies and renames. */
    private void fetchBlob(String repoId, String file, FileInfo info, Path blob) throws IOException {
        Path partial = blob.resolveSibling(blob.getFileName() + ".incomplete");
        IOException last = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            long have = Files.isRegularFile(partial) ? Files.size(partial) : 0;
            if (info.size >= 0 && have > info.size) { // not ours to resume: start over
                Files.delete(partial);
                have = 0;
            }
            try {
                if (info.size < 0 || have < info.size) {
                    getInto(repoId, file, info, partial, have);
                }
                last = null;
                break;
            } catch (IOException e) {
                last = e;
                if (progress != null) {
                    progress.printf("  %s: connection broken (%s), resuming (attempt %d of %d)%n", file, e.getMessage(), attempt + 1, MAX_ATTEMPTS);
                }
                sleep(250L * attempt);
            }
        }
        if (last != null) {
            throw new HubException(-1, "Downloading " + repoId + "/" + file + " failed " + MAX_ATTEMPTS + " times: " + last.getMessage()
                    + ". The partial file " + partial + " is kept; calling download again resumes it.", last);
        }
        long got = Files.size(partial);
        if (info.size >= 0 && got != info.size) {
            Files.delete(partial);
            throw new HubException("Downloaded " + got + " bytes of " + repoId + "/" + file + " but the hub announced " + info.size
                    + "; the partial file was deleted, retry the download.");
        }
        if (SHA256.matcher(info.etag).matches()) {
            String actual = sha256(partial);
            if (!actual.equals(info.etag)) {
                Files.delete(partial);
                throw new HubException("Checksum mismatch for " + repoId + "/" + file + ": expected sha256 " + info.etag + ", got " + actual
                        + ". The corrupt download was deleted; retry.");
            }
        }
        move(partial, blob);
    }

    /** One GET of the remaining bytes, appended to {@code partial}. */
    private void getInto(String repoId, String file, FileInfo info, Path partial, long have) throws IOException {
        URI uri = info.downloadUri;
        HttpResponse<InputStream> r = null;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder req = HttpRequest.newBuilder(uri).GET().header("Accept-Encoding", "identity");
            if (have > 0) {
                req.header("Range", "bytes=" + have + "-");
            }
            r = sendStreaming(req, uri, repoId, file);
            if (r.statusCode() >= 300 && r.statusCode() < 400) {
                URI next = location(r, uri);
                r.body().close();
                uri = next;
                continue;
            }
            break;
        }
        int s = r.statusCode();
        boolean append;
        if (s == 206) {
            long start = contentRangeStart(header(r, "Content-Range"));
            if (start != have) {
                r.body().close();
                throw new IOException("server resumed at byte " + start + " instead of " + have);
            }
            append = true;
        } else if (s == 200) {
            append = false; // server ignored the Range header: restart from the first byte
        } else if (s == 416 && info.size >= 0 && have == info.size) {
            r.body().close();
            return;
        } else {
            String body = readSmall(r.body());
            throw httpError(s, r.headers().firstValue("X-Error-Code").orElse(null), body, repoId, null, file);
        }
        long total = info.size >= 0 ? info.size : -1;
        long done = append ? have : 0;
        if (progress != null) {
            progress.printf("Downloading %s/%s (%s)%s%n", repoId, file, total >= 0 ? humanBytes(total) : "size unknown",
                    append ? ", resuming at " + humanBytes(have) : "");
        }
        try (InputStream in = r.body();
             OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            int nextReport = 10;
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                done += n;
                if (progress != null && total > (8 << 20) && done * 100 / total >= nextReport) {
                    progress.printf("  %s: %d%% (%s of %s)%n", file, done * 100 / total, humanBytes(done), humanBytes(total));
                    nextReport = (int) (done * 100 / total) / 10 * 10 + 10;
                }
            }
        }
        if (total >= 0 && done < total) {
            throw new IOException("connection closed after " + done + " of " + total + " bytes");
        }
    }

    // ------------------------------------------------------------------ cache

    /** The commit of {@code rev} known to the cache: the revision itself if it is one, else refs/. */
    private Optional<String> cachedCommit(Path repo, String rev) {
        if (COMMIT.matcher(rev).matches()) {
            return Files.isDirectory(repo.resolve("snapshots").resolve(rev)) ? Optional.of(rev) : Optional.empty();
        }
        Path ref = safeResolve(repo.resolve("refs"), rev, null);
        if (!Files.isRegularFile(ref)) {
            return Optional.empty();
        }
        try {
            String commit = Files.readString(ref, StandardCharsets.UTF_8).trim();
            return COMMIT.matcher(commit).matches() ? Optional.of(commit) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Files a complete snapshot needs that are neither cached nor known to be absent (empty = complete). */
    private List<String> missingFiles(Path repo, String commit, boolean includeOptional) {
        Path snap = repo.resolve("snapshots").resolve(commit);
        Path noExist = repo.resolve(".no_exist").resolve(commit);
        List<String> missing = new ArrayList<>();
        if (!Files.isRegularFile(snap.resolve(CONFIG))) {
            missing.add(CONFIG);
        }
        if (!Files.isRegularFile(snap.resolve(WEIGHTS))) {
            Path index = snap.resolve(WEIGHTS_INDEX);
            if (!Files.isRegularFile(index)) {
                missing.add(WEIGHTS);
            } else {
                for (String shard : shardNames(index, snap)) {
                    if (!Files.isRegularFile(snap.resolve(shard))) {
                        missing.add(shard);
                    }
                }
            }
        }
        for (String optional : includeOptional ? OPTIONAL_FILES : List.<String>of()) {
            if (!Files.isRegularFile(snap.resolve(optional)) && !Files.exists(noExist.resolve(optional))) {
                missing.add(optional);
            }
        }
        return missing;
    }

    /** Shard file names of a sharded-safetensors index, each checked to stay inside {@code snap}. */
    static Set<String> shardNames(Path indexFile, Path snap) {
        JsonNode map = Json.readTree(indexFile).get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new FileFormatException(indexFile, "field 'weight_map' is missing or empty; not a sharded safetensors index");
        }
        Set<String> shards = new LinkedHashSet<>();
        for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
            JsonNode v = it.next();
            if (!v.isTextual()) {
                throw new FileFormatException(indexFile, "field 'weight_map' must map tensor names to file names, found " + v);
            }
            String shard = v.textValue();
            safeResolve(snap, shard, indexFile);
            if (!shard.endsWith(".safetensors")) {
                throw new FileFormatException(indexFile, "shard '" + shard + "' is not a .safetensors file; peft4j loads no other weight format");
            }
            shards.add(shard);
        }
        return shards;
    }

    private void markMissing(Path repo, String commit, String file) {
        try {
            Path marker = safeResolve(repo.resolve(".no_exist").resolve(commit), file, null);
            Files.createDirectories(marker.getParent());
            if (!Files.exists(marker)) {
                Files.createFile(marker);
            }
        } catch (IOException e) {
            // only an optimisation: without it the next online call asks again
        }
    }

    private void writeRef(Path repo, String rev, String commit) {
        AtomicFiles.writeString(safeResolve(repo.resolve("refs"), rev, null), commit);
    }

    /** Points {@code link} at {@code blob} with a relative symlink (a copy where symlinks are unsupported). */
    private static void link(Path link, Path blob) throws IOException {
        Files.createDirectories(link.getParent());
        Path tmp = link.resolveSibling("." + link.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try {
                Files.createSymbolicLink(tmp, link.getParent().relativize(blob));
            } catch (UnsupportedOperationException | FileSystemException e) {
                Files.copy(blob, tmp);
            }
            move(tmp, link);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    // ------------------------------------------------------------------ validation

    /**
     * {@code base.resolve(relative)}, refusing names that could leave {@code base}: absolute paths,
     * {@code ..}/{@code .} components, backslashes, empty components, control characters.
     * {@code source} names the file the name came from (null: it came from the caller or server).
     */
    static Path safeResolve(Path base, String relative, Path source) {
        String problem = null;
        if (relative == null || relative.isEmpty()) {
            problem = "is empty";
        } else if (relative.startsWith("/") || relative.contains("\\") || relative.contains(":")) {
            problem = "is absolute or uses '\\' or ':'";
        } else if (relative.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            problem = "contains control characters";
        } else {
            for (String part : relative.split("/", -1)) {
                if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                    problem = "has an empty, '.' or '..' path component";
                    break;
                }
            }
        }
        Path resolved = problem == null ? base.resolve(relative).normalize() : null;
        if (problem == null && !resolved.startsWith(base.normalize())) {
            problem = "resolves outside " + base;
        }
        if (problem != null) {
            String msg = "file name '" + relative + "' " + problem + "; refusing it so nothing is written outside the cache";
            throw source != null ? new FileFormatException(source, msg) : new HubException(msg);
        }
        return resolved;
    }

    private static void checkRepoId(String repoId) {
        if (repoId == null || !REPO_ID.matcher(repoId).matches() || repoId.contains("..") || repoId.contains("--")) {
            throw new InvalidArgumentException("'" + repoId + "' is not a hub repository id; expected 'org/name' such as"
                    + " 'sentence-transformers/all-MiniLM-L6-v2' (letters, digits, '-', '_', '.').");
        }
    }

    private static void checkRevision(String rev) {
        if (!REVISION.matcher(rev).matches() || rev.contains("..") || rev.contains("//") || rev.endsWith("/")) {
            throw new InvalidArgumentException("'" + rev + "' is not a usable revision; pass a branch, tag or 40-hex commit.");
        }
    }

    private void checkCommit(String commit, String repoId) {
        if (!COMMIT.matcher(commit).matches()) {
            throw new HubException("The hub sent X-Repo-Commit '" + commit + "' for " + repoId + ", which is not a 40-hex commit;"
                    + " refusing to use it as a folder name.");
        }
    }

    // ------------------------------------------------------------------ HTTP helpers

    private URI resolveUri(String repoId, String rev, String file) {
        StringBuilder path = new StringBuilder(endpoint.toString()).append('/').append(repoId).append("/resolve/")
                .append(encode(rev)).append('/');
        String[] parts = file.split("/");
        for (int i = 0; i < parts.length; i++) {
            path.append(i > 0 ? "/" : "").append(encode(parts[i]));
        }
        return URI.create(path.toString());
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private <T> HttpResponse<T> send(HttpRequest.Builder req, URI uri, HttpResponse.BodyHandler<T> handler, String repoId, String file) {
        try {
            return http.send(authorize(req, uri).timeout(Duration.ofSeconds(60)).build(), handler);
        } catch (IOException e) {
            throw new HubException(-1, "Cannot reach " + endpoint + " for " + repoId + "/" + file + ": " + describe(e)
                    + ". Check the network or HF_ENDPOINT; to use only the cache set HF_HUB_OFFLINE=1.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(-1, "Interrupted while contacting " + endpoint, e);
        }
    }

    private HttpResponse<InputStream> sendStreaming(HttpRequest.Builder req, URI uri, String repoId, String file) throws IOException {
        try {
            // No overall timeout: a large file may take long; the connect timeout still applies.
            return http.send(authorize(req, uri).build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(-1, "Interrupted while downloading " + repoId + "/" + file, e);
        }
    }

    /** Adds the token only for the hub's own origin, never for a CDN it redirects to. */
    private HttpRequest.Builder authorize(HttpRequest.Builder req, URI uri) {
        req.header("User-Agent", "peft4j-hub/0.1");
        if (token != null && sameOrigin(uri, endpoint)) {
            req.header("Authorization", "Bearer " + token);
        }
        return req;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort()
                && String.valueOf(a.getScheme()).equalsIgnoreCase(String.valueOf(b.getScheme()));
    }

    private static URI location(HttpResponse<?> r, URI base) {
        String loc = header(r, "Location");
        if (loc == null) {
            throw new HubException("The hub answered " + r.statusCode() + " without a Location header for " + base);
        }
        return base.resolve(loc);
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    private HubException httpError(HttpResponse<?> r, String repoId, String rev, String file) {
        return httpError(r.statusCode(), header(r, "X-Error-Code"), null, repoId, rev, file);
    }

    private HubException httpError(int s, String code, String body, String repoId, String rev, String file) {
        String where = repoId + (rev != null ? "@" + rev : "") + "/" + file;
        String msg;
        if ("RepoNotFound".equals(code) || s == 401 && token == null) {
            msg = "Repository " + repoId + " was not found at " + endpoint + " (HTTP " + s + "). Check the id; if it is private or gated,"
                    + " set HF_TOKEN to a token with access.";
        } else if ("RevisionNotFound".equals(code)) {
            msg = "Revision '" + rev + "' of " + repoId + " does not exist (HTTP " + s + "). Pass an existing branch, tag or commit.";
        } else if ("GatedRepo".equals(code) || s == 401 || s == 403) {
            msg = "Access to " + where + " was denied (HTTP " + s + "). Accept the model's license on its hub page and set HF_TOKEN"
                    + " to a token of that account.";
        } else if (s == 404) {
            msg = where + " was not found on " + endpoint + " (HTTP 404). The repository has no such file at that revision.";
        } else if (s == 429) {
            msg = "The hub rate-limited the download of " + where + " (HTTP 429). Wait a minute and retry, or set HF_TOKEN.";
        } else {
            msg = "The hub answered HTTP " + s + " for " + where + (body == null || body.isBlank() ? "" : ": " + body.strip())
                    + ". Retry later or check HF_ENDPOINT.";
        }
        return new HubException(s, msg, null);
    }

    private static String readSmall(InputStream in) {
        try (in) {
            byte[] b = in.readNBytes(300);
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static long contentRangeStart(String contentRange) throws IOException {
        // "bytes 100-199/200"
        if (contentRange == null || !contentRange.startsWith("bytes ")) {
            throw new IOException("206 response without a usable Content-Range: " + contentRange);
        }
        String range = contentRange.substring(6);
        int dash = range.indexOf('-');
        if (dash <= 0) {
            throw new IOException("unparsable Content-Range: " + contentRange);
        }
        try {
            return Long.parseLong(range.substring(0, dash).trim());
        } catch (NumberFormatException e) {
            throw new IOException("unparsable Content-Range: " + contentRange);
        }
    }

    private static String normalizeEtag(String etag) {
        String e = etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e;
    }

    private static long parseLong(String s, long fallback) {
        if (s == null) {
            return fallback;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static String describe(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            byte[] buf = new byte[1 << 16];
            while (in.read(buf) > 0) {
                // digesting
            }
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String humanBytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        double v = n;
        String[] units = {"kB", "MB", "GB", "TB"};
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Peft4jException("Interrupted while waiting to retry a download", e);
        }
    }

    /** Hub settings; {@link Hub#builder()} presets them from the environment. */
    public static final class Builder {
        private String endpoint;
        private Path cacheDir;
        private String token;
        private boolean offline;
        private boolean refresh;
        private PrintStream progress = System.err;
        private Duration connectTimeout = Duration.ofSeconds(20);

        private Builder() {
            String ep = System.getenv("HF_ENDPOINT");
            endpoint = ep == null || ep.isBlank() ? DEFAULT_ENDPOINT : ep.trim();
            Path hfHome = hfHome();
            String hubCache = firstSet("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"); // the second is the legacy name
            cacheDir = hubCache == null || hubCache.isBlank() ? hfHome.resolve("hub") : Path.of(hubCache);
            token = firstSet("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN");
            if (token == null || token.isBlank()) {
                Path tokenFile = hfHome.resolve("token");
                try {
                    token = Files.isRegularFile(tokenFile) ? Files.readString(tokenFile).trim() : null;
                } catch (IOException e) {
                    token = null;
                }
            }
            offline = isTrue(System.getenv("HF_HUB_OFFLINE"));
            if (isTrue(System.getenv("HF_HUB_DISABLE_PROGRESS_BARS"))) {
                progress = null;
            }
        }

        private static String firstSet(String... names) {
            for (String n : names) {
                String v = System.getenv(n);
                if (v != null && !v.isBlank()) {
                    return v;
                }
            }
            return null;
        }

        private static Path hfHome() {
            String home = System.getenv("HF_HOME");
            if (home != null && !home.isBlank()) {
                return Path.of(home);
            }
            String xdg = System.getenv("XDG_CACHE_HOME");
            Path cache = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
            return cache.resolve("huggingface");
        }

        static boolean isTrue(String v) {
            return v != null && Set.of("1", "ON", "YES", "TRUE").contains(v.trim().toUpperCase(Locale.ROOT));
        }

        /** Base URL of the hub or a mirror, e.g. {@code https://huggingface.co}. */
        public Builder endpoint(String endpoint) {
            URI uri = URI.create(endpoint);
            if (uri.getScheme() == null || !(uri.getScheme().equals("https") || uri.getScheme().equals("http")) || uri.getHost() == null) {
                throw new InvalidArgumentException("Hub endpoint '" + endpoint + "' must be an http(s) URL such as " + DEFAULT_ENDPOINT);
            }
            this.endpoint = endpoint;
            return this;
        }

        /** The hub cache folder (the one holding {@code models--org--name}). */
        public Builder cacheDir(Path cacheDir) {
            this.cacheDir = cacheDir;
            return this;
        }

        /** Access token sent as {@code Authorization: Bearer}; null for none. */
        public Builder token(String token) {
            this.token = token;
            return this;
        }

        /** Cache only: never touch the network. */
        public Builder offline(boolean offline) {
            this.offline = offline;
            return this;
        }

        /** Ask the hub where a branch points even when the cache already has a snapshot for it. */
        public Builder refresh(boolean refresh) {
            this.refresh = refresh;
            return this;
        }

        /** Where progress lines go (default stderr); null for silence. */
        public Builder progress(PrintStream progress) {
            this.progress = progress;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        public Hub build() {
            return new Hub(this);
        }
    }
}
