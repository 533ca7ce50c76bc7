package dev.peertube.sessions;

import static io.restassured.RestAssured.given;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

/** The metrics tests against the packaged application (prod profile). */
@QuarkusIntegrationTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class MetricsIT extends MetricsTest {

    /**
     * The breaker lives in the packaged application's JVM: wait until its delay has passed (the
     * PeerTube wellness check is DOWN only while it is open); the next call then closes it.
     */
    @Override
    void closeBreaker() {
        long deadline = System.currentTimeMillis() + 5_000;
        while (given().when().get("/q/health/well").statusCode() != 200 && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
