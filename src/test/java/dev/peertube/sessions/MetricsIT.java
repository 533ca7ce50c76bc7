package dev.peertube.sessions;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

/** The metrics tests against the packaged application (prod profile). */
@QuarkusIntegrationTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class MetricsIT extends MetricsTest {
}
