package dev.peertube.sessions;

import static dev.peertube.sessions.SessionCalls.current;
import static dev.peertube.sessions.SessionCalls.login;
import static dev.peertube.sessions.SessionCalls.logout;
import static dev.peertube.sessions.SessionCalls.refresh;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;

/** The whole session life cycle on a three-master Redis Cluster. */
@QuarkusTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisClusterResource.class)
class RedisClusterTest extends ServiceTestBase {

    @Test
    void sessionsLiveAndRefreshOnACluster() {
        fake.tokenLifetimes(Duration.ofSeconds(30), Duration.ofHours(1));
        ExtractableResponse<Response> login = login("alice", PASSWORD).statusCode(201).extract();
        String sessionId = login.path("sessionId");
        fake.tokenLifetimes(Duration.ofDays(1), Duration.ofDays(14));
        String proactive = current(sessionId).statusCode(200).extract().path("accessToken"); // lock, re-read, write
        assertNotEquals(login.path("accessToken"), proactive);
        String forced = refresh(sessionId).statusCode(200).extract().path("accessToken");
        current(sessionId).statusCode(200).body("accessToken", equalTo(forced));
        assertEquals(2, fake.refreshGrants());

        List<String> keys = RedisClusterResource.scanAll(RedisTestResource.KEY_PREFIX + "session:*");
        assertEquals(1, keys.size(), keys.toString());
        String session = keys.get(0);
        String lock = session.replace("session:", "refresh-lock:");
        assertEquals(RedisClusterResource.cli("cluster", "keyslot", session), RedisClusterResource.cli("cluster", "keyslot", lock),
                "a session and its refresh lock share a hash slot");

        logout(sessionId).statusCode(204);
        current(sessionId).statusCode(401);
        assertEquals(1, fake.revocations(forced));
    }

    @Test
    void queuedRevocationIsRetriedOnACluster() throws InterruptedException {
        ExtractableResponse<Response> login = login("alice", PASSWORD).statusCode(201).extract();
        fake.stopListening();
        try {
            logout(login.path("sessionId")).statusCode(202);
        } finally {
            fake.startListening();
        }
        long deadline = System.currentTimeMillis() + 15_000;
        while (fake.revocations(login.path("accessToken")) == 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(1, fake.revocations(login.path("accessToken")));
    }
}
