package io.github.peft4j.core.io;

/** Child-process entry for {@link HubEnvironmentTest}: prints the snapshot that Hub.download resolves. */
public final class HubEnvMain {
    private HubEnvMain() {}

    public static void main(String[] args) {
        try {
            System.out.println(Hub.download(args[0], args.length > 1 ? args[1] : Hub.DEFAULT_REVISION));
        } catch (HubException e) {
            System.out.println("HubException: " + e.getMessage());
            System.exit(3);
        }
    }
}
