package dev.peertube.sessions;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

/** Current token, refresh and logout against the packaged application. */
@QuarkusIntegrationTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class SessionLifecycleIT extends SessionLifecycleTest {
}
