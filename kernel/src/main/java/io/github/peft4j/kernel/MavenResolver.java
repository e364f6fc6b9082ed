package io.github.peft4j.kernel;

import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.RepositorySystemSession;
import org.eclipse.aether.artifact.DefaultArtifact;
import org.eclipse.aether.collection.CollectRequest;
import org.eclipse.aether.graph.Dependency;
import org.eclipse.aether.repository.RemoteRepository;
import org.eclipse.aether.resolution.ArtifactResult;
import org.eclipse.aether.resolution.DependencyRequest;
import org.eclipse.aether.resolution.DependencyResolutionException;
import org.eclipse.aether.supplier.RepositorySystemSupplier;
import org.eclipse.aether.supplier.SessionBuilderSupplier;
import org.eclipse.aether.util.artifact.JavaScopes;
import org.eclipse.aether.util.filter.DependencyFilterUtils;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Resolves {@code %maven group:artifact:version} with its runtime dependencies, from the local
 * Maven repository first and Maven Central otherwise (Maven Resolver, as Maven itself does).
 * System properties: {@code maven.repo.local} (default ~/.m2/repository) and
 * {@code peft4j.maven.offline=true} to never go to the network.
 */
final class MavenResolver {

    static final String CENTRAL = "https://repo.maven.apache.org/maven2/";

    static Path localRepository() {
        String configured = System.getProperty("maven.repo.local");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    /** The jar files of {@code coordinates} and everything they need at run time. */
    List<Path> resolve(List<String> coordinates) {
        List<Dependency> dependencies = new ArrayList<>();
        for (String coordinate : coordinates) {
            try {
                dependencies.add(new Dependency(new DefaultArtifact(coordinate), JavaScopes.RUNTIME));
            } catch (IllegalArgumentException e) {
                throw new CellException("MavenCoordinateError", "bad coordinate " + coordinate,
                        List.of("%maven: '" + coordinate + "' is not a Maven coordinate;"
                                + " write group:artifact:version, e.g. %maven tech.tablesaw:tablesaw-core:0.44.4"), e);
            }
        }
        RepositorySystem system = new RepositorySystemSupplier().get();
        try (RepositorySystemSession.CloseableSession session = new SessionBuilderSupplier(system).get()
                .withLocalRepositoryBaseDirectories(localRepository())
                .setOffline(Boolean.getBoolean("peft4j.maven.offline"))
                .build()) {
            // Id "central" so that artifacts Maven itself downloaded from Central count as local hits.
            RemoteRepository central = new RemoteRepository.Builder("central", "default", CENTRAL).build();
            CollectRequest collect = new CollectRequest(dependencies, List.of(), List.of(central));
            DependencyRequest request = new DependencyRequest(collect,
                    DependencyFilterUtils.classpathFilter(JavaScopes.RUNTIME));
            List<Path> jars = new ArrayList<>();
            for (ArtifactResult result : system.resolveDependencies(session, request).getArtifactResults()) {
                jars.add(result.getArtifact().getPath());
            }
            return jars;
        } catch (DependencyResolutionException e) {
            throw new CellException("MavenResolutionError", "could not resolve " + String.join(" ", coordinates),
                    List.of("%maven could not resolve " + String.join(" ", coordinates)
                                    + " from " + localRepository() + " or Maven Central:",
                            String.valueOf(e.getMessage()),
                            "Check the coordinates (group:artifact:version) and, when offline, that the artifact is in the local repository."),
                    e);
        } finally {
            system.shutdown();
        }
    }
}
