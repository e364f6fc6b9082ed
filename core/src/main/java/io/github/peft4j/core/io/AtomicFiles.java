package io.github.peft4j.core.io;

import io.github.peft4j.core.Peft4jException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes that never leave a half-written file behind: the content goes to a temp name in the same
 * folder, is forced to disk, then renamed over the target in one step. A crash at any point leaves
 * either the old file or the new one.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes {@code target} by letting {@code writeTemp} fill a temp file, then renaming it. */
    public static void write(Path target, IoConsumer<Path> writeTemp) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = dir.resolve("." + abs.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            Files.createDirectories(dir);
            writeTemp.accept(tmp);
            force(tmp);
            move(tmp, abs);
            forceDirectory(dir);
        } catch (IOException e) {
            throw new Peft4jException("Could not write " + target + ": " + e.getMessage()
                    + ". Check that the folder is writable and the disk is not full.", e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    public static void writeString(Path target, String text) {
        write(target, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
    }

    public static void writeBytes(Path target, byte[] bytes) {
        write(target, tmp -> Files.write(tmp, bytes));
    }

    /**
     * Replaces the folder {@code targetDir} as a whole: {@code fillTempDir} writes every file into a
     * fresh sibling folder, which is then renamed into place. An existing target is first renamed
     * aside and deleted only after the new folder is in place, so a crash leaves a complete folder
     * (old or new) under the target name or next to it ({@code .<name>.old-*}).
     */
    public static void writeDirectory(Path targetDir, IoConsumer<Path> fillTempDir) {
        Path abs = targetDir.toAbsolutePath();
        Path parent = abs.getParent();
        String base = abs.getFileName().toString();
        Path tmp = parent.resolve("." + base + "." + UUID.randomUUID() + ".tmp");
        Path old = parent.resolve("." + base + ".old-" + UUID.randomUUID());
        try {
            Files.createDirectories(parent);
            Files.createDirectory(tmp);
            fillTempDir.accept(tmp);
            try (Stream<Path> files = Files.list(tmp)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (Files.isRegularFile(f)) {
                        force(f);
                    }
                }
            }
            forceDirectory(tmp);
            boolean hadOld = Files.exists(abs);
            if (hadOld) {
                move(abs, old);
            }
            move(tmp, abs);
            forceDirectory(parent);
            if (hadOld) {
                deleteRecursively(old);
            }
        } catch (IOException e) {
            throw new Peft4jException("Could not write folder " + targetDir + ": " + e.getMessage()
                    + ". Check that the folder is writable and the disk is not full.", e);
        } finally {
            deleteRecursivelyQuietly(tmp);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        } catch (DirectoryNotEmptyException e) {
            throw new IOException("target " + to + " is a non-empty folder", e);
        }
    }

    private static void force(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    private static void forceDirectory(Path dir) {
        // fsync on a directory makes the rename durable on Linux; not supported everywhere.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort
        }
    }

    /** Deletes a file or folder tree; missing is fine. */
    public static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(q);
            }
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a stray temp file is harmless
        }
    }

    private static void deleteRecursivelyQuietly(Path p) {
        try {
            deleteRecursively(p);
        } catch (IOException ignored) {
            // a stray temp folder is harmless
        }
    }
}
