package dev.peertube.sessions;

import static dev.peertube.sessions.SessionCalls.login;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;

/**
 * Two replicas of the packaged application on one Redis: a refresh stampede split across both
 * reaches PeerTube exactly once, and every caller gets the same working token.
 */
@QuarkusIntegrationTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class MultiReplicaIT extends ServiceTestBase {

    static final int CALLERS = 100;
    static SecondReplica second;

    @BeforeAll
    static void startSecondReplica() throws Exception {
        second = SecondReplica.start();
    }

    @AfterAll
    static void stopSecondReplica() {
        if (second != null) {
            second.close();
        }
        redis.deleteAll();
    }

    @Test
    void refreshStampedeAcrossTwoReplicasMakesOneRefreshAtPeerTube() throws Exception {
        fake.tokenLifetimes(Duration.ofSeconds(30), Duration.ofHours(1)); // within the 60 s refresh skew
        ExtractableResponse<Response> login = login("alice", PASSWORD).statusCode(201).extract();
        String sessionId = login.path("sessionId");
        fake.tokenLifetimes(Duration.ofDays(1), Duration.ofDays(14));
        // keeps the refresh in flight until every caller has read the session: a forced refresh that
        // reads the session after a rotation has completed rightly rotates again
        fake.slowdown(Duration.ofMillis(1_500));

        ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Callable<String>> callers = new ArrayList<>();
            for (int i = 0; i < CALLERS; i++) {
                boolean onSecond = i % 2 == 1;
                boolean forced = i % 10 == 0;
                callers.add(() -> {
                    start.await();
                    var request = given().header("Authorization", "Bearer " + sessionId);
                    if (onSecond) {
                        request = request.port(second.port());
                    }
                    var answer = forced ? request.post("/session/refresh") : request.get("/session");
                    assertEquals(200, answer.statusCode(), answer.asString());
                    return answer.path("accessToken");
                });
            }
            List<Future<String>> futures = new ArrayList<>();
            for (Callable<String> caller : callers) {
                futures.add(pool.submit(caller));
            }
            start.countDown();
            Set<String> tokens = futures.stream().map(MultiReplicaIT::result).collect(Collectors.toSet());
            System.out.printf("Refresh stampede: %d callers on 2 replicas -> %d refresh call(s) at PeerTube%n", CALLERS, fake.refreshGrants());
            assertEquals(1, fake.refreshGrants(), "exactly one refresh grant at PeerTube");
            assertEquals(1, tokens.size(), "every caller got the same token");
            String token = tokens.iterator().next();
            assertTrue(fake.isAccessTokenValid(token), "and it works at PeerTube");
            assertTrue(!token.equals(login.path("accessToken")));
        } finally {
            pool.shutdownNow();
            fake.slowdown(Duration.ZERO);
        }
    }

    @Test
    void sessionCreatedOnOneReplicaIsServedAndEndedByTheOther() {
        ExtractableResponse<Response> login = login("alice", PASSWORD).statusCode(201).extract();
        String sessionId = login.path("sessionId");
        given().port(second.port()).header("Authorization", "Bearer " + sessionId).get("/session").then().statusCode(200);
        given().port(second.port()).header("Authorization", "Bearer " + sessionId).delete("/session").then().statusCode(204);
        given().header("Authorization", "Bearer " + sessionId).get("/session").then().statusCode(401);
        assertEquals(1, fake.revocations(login.path("accessToken")));
    }

    private static <T> T result(Future<T> future) {
        try {
            return future.get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
