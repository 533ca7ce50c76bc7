package dev.peertube.sessions;

import static dev.peertube.sessions.SessionCalls.current;
import static dev.peertube.sessions.SessionCalls.login;
import static dev.peertube.sessions.SessionCalls.logout;
import static dev.peertube.sessions.SessionCalls.refresh;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;

/**
 * Redis going away and coming back, on a private redis-server this test stops and starts; and
 * the bulkhead, which this profile sets to two concurrent PeerTube calls (and two waiting).
 */
@QuarkusTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(PrivateRedisResource.class)
class RedisOutageTest extends ServiceTestBase {

    @AfterEach
    void redisBack() {
        PrivateRedisResource.startRedis();
        fake.slowdown(Duration.ZERO);
    }

    @Test
    void whileRedisIsDownEveryCallIsStoreUnavailableAndNothingStoredIsLost() throws InterruptedException {
        ExtractableResponse<Response> login = login("alice", PASSWORD).statusCode(201).extract();
        String sessionId = login.path("sessionId");
        given().when().get("/q/health/ready").then().statusCode(200);

        PrivateRedisResource.stopRedis();
        int liveTokens = fake.liveTokenCount("alice");
        int grants = fake.passwordGrants();
        for (ExtractableResponse<Response> answer : List.of(
                timed(() -> current(sessionId)).extract(),
                timed(() -> refresh(sessionId)).extract(),
                timed(() -> logout(sessionId)).extract(),
                timed(() -> login("alice", PASSWORD)).extract())) {
            assertEquals(503, answer.statusCode(), answer.asString());
            assertEquals("store_unavailable", answer.path("code"));
            assertEquals("application/problem+json", answer.contentType());
        }
        assertEquals(liveTokens, fake.liveTokenCount("alice"), "a login that could not be stored leaves no live token behind");
        assertEquals(grants, fake.passwordGrants(), "a login attempt that cannot be counted is not made");
        given().when().get("/q/health/ready").then().statusCode(503)
                .body("checks.find { it.name == 'Redis connection health check' }.status", equalTo("DOWN"));
        given().when().get("/q/health/live").then().statusCode(200);

        PrivateRedisResource.startRedis();
        long restarted = System.nanoTime();
        int status = 0;
        while (status != 200 && System.nanoTime() - restarted < 10_000_000_000L) {
            status = current(sessionId).extract().statusCode();
            if (status != 200) {
                Thread.sleep(20);
            }
        }
        System.out.printf("Recovery after Redis came back: %d ms%n", (System.nanoTime() - restarted) / 1_000_000);
        current(sessionId).statusCode(200).body("accessToken", equalTo(login.path("accessToken")));
        given().when().get("/q/health/ready").then().statusCode(200);
        logout(sessionId).statusCode(204);
    }

    @Test
    void aRedisThatStopsAnsweringIsStoreUnavailableWithinTheTimeoutThenServesAgain() throws InterruptedException {
        ExtractableResponse<Response> login = login("alice", PASSWORD).statusCode(201).extract();
        String sessionId = login.path("sessionId");
        current(sessionId).statusCode(200);

        PrivateRedisResource.pause(Duration.ofSeconds(6)); // outlasts both calls below, 2 s of timeout each
        long paused = System.nanoTime();
        for (ExtractableResponse<Response> answer : List.of(timed(() -> current(sessionId)).extract(),
                timed(() -> login("alice", PASSWORD)).extract())) {
            assertEquals(503, answer.statusCode(), answer.asString());
            assertEquals("store_unavailable", answer.path("code"));
        }

        // the connections that timed out are not used again; the next commands go out on fresh ones
        int status = 0;
        while (status != 200 && System.nanoTime() - paused < 15_000_000_000L) {
            status = current(sessionId).extract().statusCode();
            if (status != 200) {
                Thread.sleep(20);
            }
        }
        current(sessionId).statusCode(200).body("accessToken", equalTo(login.path("accessToken")));
        logout(sessionId).statusCode(204);
    }

    @Test
    void bulkheadBoundsConcurrentCallsToPeerTube() throws Exception {
        login("alice", PASSWORD).statusCode(201); // the OAuth client is cached from here on
        int grants = fake.passwordGrants();
        fake.slowdown(Duration.ofMillis(600));
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Callable<Integer>> callers = IntStream.range(0, 6)
                    .mapToObj(i -> (Callable<Integer>) () -> login("alice", PASSWORD).extract().statusCode())
                    .toList();
            List<Integer> statuses = pool.invokeAll(callers).stream().map(RedisOutageTest::result).toList();
            // two calls run, two wait for a free slot, the rest are refused at once
            assertEquals(4, statuses.stream().filter(s -> s == 201).count(), statuses.toString());
            assertEquals(2, statuses.stream().filter(s -> s == 503).count(), statuses.toString());
            assertEquals(grants + 4, fake.passwordGrants(), "refused calls never reach PeerTube");
        } finally {
            pool.shutdownNow();
        }
    }

    private static io.restassured.response.ValidatableResponse timed(Callable<io.restassured.response.ValidatableResponse> call) {
        long start = System.nanoTime();
        try {
            io.restassured.response.ValidatableResponse answer = call.call();
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 2_500, "answered in " + millis + " ms");
            return answer;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static <T> T result(Future<T> future) {
        try {
            return future.get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

}
