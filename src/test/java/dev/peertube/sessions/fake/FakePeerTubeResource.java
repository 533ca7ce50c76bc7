package dev.peertube.sessions.fake;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Starts one shared {@link FakePeerTube} (public host {@value #PUBLIC_HOST}) for {@code @QuarkusTest} and
 * {@code @QuarkusIntegrationTest} classes and points the application at it through {@code peertube.url}
 * and {@code peertube.host}. Tests reach the running fake with {@link #fake()} or through a field annotated
 * {@link InjectFakePeerTube}. With {@code @QuarkusIntegrationTest} the application runs in another JVM, but
 * the fake stays in the test JVM, so both ways work there too.
 */
public class FakePeerTubeResource implements QuarkusTestResourceLifecycleManager {

    public static final String PUBLIC_HOST = "peertube.example";

    private static volatile FakePeerTube fake;

    private FakePeerTube mine;

    @Override
    public Map<String, String> start() {
        FakePeerTube started = new FakePeerTube(PUBLIC_HOST);
        started.start();
        mine = started;
        fake = started;
        return Map.of(
                "peertube.url", started.url(),
                "peertube.host", PUBLIC_HOST);
    }

    @Override
    public void stop() {
        if (mine != null) {
            mine.stop();
            if (fake == mine) {
                fake = null;
            }
            mine = null;
        }
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(mine,
                new TestInjector.AnnotatedAndMatchesType(InjectFakePeerTube.class, FakePeerTube.class));
    }

    /** The running fake; fails when no test resource started one. */
    public static FakePeerTube fake() {
        FakePeerTube running = fake;
        if (running == null) {
            throw new IllegalStateException("FakePeerTubeResource is not started: add @WithTestResource(FakePeerTubeResource.class)");
        }
        return running;
    }
}
