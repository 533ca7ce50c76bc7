package dev.peertube.sessions;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

/** The API description is served by the packaged application too (prod profile). */
@QuarkusIntegrationTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class OpenApiIT extends OpenApiTest {
}
