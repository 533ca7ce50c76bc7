package dev.peertube.sessions;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * Redis unreachable from the start (a closed port): scrapes still answer, and the queue length
 * is reported unknown rather than as a number. (Readiness, liveness and the API during an outage
 * are in {@link RedisOutageTest}.)
 */
@QuarkusTest
@TestProfile(RedisDownTest.RedisDown.class)
class RedisDownTest {

    public static class RedisDown implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quarkus.redis.hosts", "redis://127.0.0.1:" + closedPort(),
                    "quarkus.redis.timeout", "1s",
                    "peertube.url", "http://127.0.0.1:" + closedPort(),
                    "session.key-prefix", RedisTestResource.KEY_PREFIX,
                    "session.revocation-poll-interval", "1s");
        }

        private static int closedPort() {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Test
    void metricsStillAnswerWhileRedisIsDownWithTheQueueLengthUnknown() throws InterruptedException {
        Thread.sleep(1_500); // one background read of the queue has failed by now
        given().when().get("/q/metrics").then()
                .statusCode(200)
                .body(containsString("sessions_revocations_queued NaN"));
    }
}
