package dev.peertube.sessions;

import static dev.peertube.sessions.SessionCalls.current;
import static dev.peertube.sessions.SessionCalls.login;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTube;
import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** Redis unreachable: the login limiter answers 503 store_unavailable, never a 500, and PeerTube is not asked. */
@QuarkusTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisDownTest.UnreachableRedis.class)
class RedisDownTest {

    /** Points the service at a port where no Redis listens. */
    public static class UnreachableRedis extends RedisTestResource {
        @Override
        public Map<String, String> start() {
            Map<String, String> config = new HashMap<>(super.start());
            config.put("quarkus.redis.hosts", "redis://127.0.0.1:1/0");
            return config;
        }
    }

    @Test
    void loginWithoutRedisIsStoreUnavailableBeforePeerTubeIsAsked() {
        FakePeerTube fake = FakePeerTubeResource.fake();
        fake.reset();
        fake.addUser("alice", "correct horse battery");
        login("alice", "correct horse battery").statusCode(503)
                .contentType("application/problem+json")
                .header("Retry-After", "1")
                .body("code", equalTo("store_unavailable"));
        assertEquals(0, fake.passwordGrants(), "no login is attempted that could not be counted");
        current("A".repeat(64)).statusCode(503).body("code", equalTo("store_unavailable"));
    }
}
