package io.github.peft4j.kernel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * %maven and %jars against a local repository made by the test (offline: no network), holding
 * {@code demo:greeter:1.0} which depends on {@code demo:words:1.0}: the magic must resolve the
 * dependency too, and the cells must then compile and run against both.
 */
class MavenMagicTest {

    @TempDir
    static Path temp;
    private static Peft4jKernel kernel;
    private static String previousRepo;

    @BeforeAll
    static void start() throws IOException {
        Path repo = temp.resolve("repo");
        Path words = compileJar("demo.Words", """
                package demo;
                public class Words { public static String greeting() { return "hello"; } }
                """, List.of());
        install(repo, "words", words, "");
        Path greeter = compileJar("demo.Greeter", """
                package demo;
                public class Greeter { public String greet(String name) { return Words.greeting() + ", " + name; } }
                """, List.of(words));
        install(repo, "greeter", greeter, """
                <dependencies><dependency><groupId>demo</groupId><artifactId>words</artifactId><version>1.0</version></dependency></dependencies>""");
        previousRepo = System.getProperty("maven.repo.local");
        System.setProperty("maven.repo.local", repo.toString());
        System.setProperty("peft4j.maven.offline", "true");
        kernel = new Peft4jKernel();
    }

    @AfterAll
    static void stop() {
        kernel.evaluator().close();
        if (previousRepo == null) {
            System.clearProperty("maven.repo.local");
        } else {
            System.setProperty("maven.repo.local", previousRepo);
        }
        System.clearProperty("peft4j.maven.offline");
    }

    @Test
    void mavenResolvesTheArtifactAndItsDependencies() {
        assertThrows(CellException.class, () -> kernel.evalRaw("new demo.Greeter()"), "not on the class path yet");
        Object value = kernel.evalRaw("%maven demo:greeter:1.0\nnew demo.Greeter().greet(\"Ada\")");
        assertEquals("hello, Ada", value);
        String classPath = String.valueOf(kernel.evalRaw("%classpath"));
        assertTrue(classPath.contains("greeter-1.0.jar") && classPath.contains("words-1.0.jar"), classPath);
    }

    @Test
    void unknownArtifactIsAClearError() {
        CellException error = assertThrows(CellException.class, () -> kernel.evalRaw("%maven demo:missing:2.0"));
        assertEquals("MavenResolutionError", error.errorName());
        assertTrue(error.reportLines().get(0).contains("could not resolve demo:missing:2.0"), error.reportLines().toString());
        CellException bad = assertThrows(CellException.class, () -> kernel.evalRaw("%maven not-a-coordinate"));
        assertEquals("MavenCoordinateError", bad.errorName());
    }

    @Test
    void jarsAddsMatchingFiles() throws IOException {
        Path lib = Files.createDirectories(temp.resolve("lib"));
        Path jar = compileJar("extra.Answer", "package extra; public class Answer { public static int get() { return 42; } }", List.of());
        Files.copy(jar, lib.resolve("answer.jar"));
        assertEquals(42, kernel.evalRaw("%jars " + lib + "/*.jar\nextra.Answer.get()"));
    }

    private static Path compileJar(String className, String source, List<Path> classPath) throws IOException {
        Path dir = Files.createTempDirectory(temp, "src");
        Path file = dir.resolve(className.substring(className.lastIndexOf('.') + 1) + ".java");
        Files.writeString(file, source);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        String cp = String.join(java.io.File.pathSeparator, classPath.stream().map(Path::toString).toList());
        int status = ToolProvider.getSystemJavaCompiler().run(null, null, null,
                "-d", classes.toString(), "-cp", cp.isEmpty() ? "." : cp, file.toString());
        assertEquals(0, status, "test source must compile");
        Path jar = dir.resolve(className + ".jar");
        String entry = className.replace('.', '/') + ".class";
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry(entry));
            Files.copy(classes.resolve(entry), out);
            out.closeEntry();
        }
        return jar;
    }

    private static void install(Path repo, String artifact, Path jar, String dependencies) throws IOException {
        Path dir = Files.createDirectories(repo.resolve("demo").resolve(artifact).resolve("1.0"));
        Files.copy(jar, dir.resolve(artifact + "-1.0.jar"));
        try (OutputStream pom = Files.newOutputStream(dir.resolve(artifact + "-1.0.pom"))) {
            pom.write(("""
                    <project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
                    <groupId>demo</groupId><artifactId>%s</artifactId><version>1.0</version>%s</project>
                    """.formatted(artifact, dependencies)).getBytes());
        }
    }
}
