package dev.peertube.sessions;

import static dev.peertube.sessions.SessionCalls.current;
import static dev.peertube.sessions.SessionCalls.login;
import static dev.peertube.sessions.SessionCalls.logout;
import static dev.peertube.sessions.SessionCalls.refresh;
import static dev.peertube.sessions.SessionCalls.sessionOf;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;

/** Current token, refresh and logout: design.md §2's rows and §3's behaviour. */
@QuarkusTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class SessionLifecycleTest extends ServiceTestBase {

    @Test
    void currentTokenIsServedFromTheStoreWithoutCallingPeerTube() {
        ExtractableResponse<Response> login = login("alice", PASSWORD).statusCode(201).extract();
        String sessionId = login.path("sessionId");
        int tokenCalls = fake.tokenCalls();
        current(sessionId).statusCode(200)
                .header("Cache-Control", "no-store")
                .body("tokenType", equalTo("Bearer"))
                .body("accessToken", equalTo(login.path("accessToken")))
                .body("expiresAt", equalTo(login.path("expiresAt")))
                .body("sessionExpiresAt", equalTo(login.path("sessionExpiresAt")))
                .body("$", not(hasKey("sessionId")))
                .body("$", not(hasKey("refreshToken")));
        assertEquals(tokenCalls, fake.tokenCalls());
    }

    @Test
    void currentTokenIsRefreshedFirstWhenItExpiresWithinTheSkew() {
        fake.tokenLifetimes(Duration.ofSeconds(30), Duration.ofHours(1)); // skew is 60 s
        ExtractableResponse<Response> login = login("alice", PASSWORD).statusCode(201).extract();
        String sessionId = login.path("sessionId");
        String oldToken = login.path("accessToken");
        fake.tokenLifetimes(Duration.ofDays(1), Duration.ofDays(14));

        ExtractableResponse<Response> refreshed = current(sessionId).statusCode(200).extract();
        String newToken = refreshed.path("accessToken");
        assertNotEquals(oldToken, newToken);
        assertEquals(1, fake.refreshGrants());
        assertTrue(fake.isAccessTokenValid(newToken));
        assertFalse(fake.isAccessTokenValid(oldToken));
        assertTrue(Instant.parse(refreshed.path("sessionExpiresAt")).isAfter(Instant.parse(login.path("sessionExpiresAt"))));
        long ttl = redis.pttl(redis.sessionKeys().get(0));
        assertTrue(ttl > Duration.ofDays(13).toMillis(), "the TTL slides with the refresh, was " + ttl);

        current(sessionId).statusCode(200).body("accessToken", equalTo(newToken));
        assertEquals(1, fake.refreshGrants(), "a fresh token is not refreshed again");
    }

    @Test
    void forcedRefreshRotatesBothTokens() {
        ExtractableResponse<Response> login = login("alice", PASSWORD).statusCode(201).extract();
        String sessionId = login.path("sessionId");
        String newToken = refresh(sessionId).statusCode(200)
                .header("Cache-Control", "no-store")
                .body("tokenType", equalTo("Bearer"))
                .body("$", not(hasKey("refreshToken")))
                .extract().path("accessToken");
        assertNotEquals(login.path("accessToken"), newToken);
        assertFalse(fake.isAccessTokenValid(login.path("accessToken")));
        assertTrue(fake.isAccessTokenValid(newToken));
        assertEquals(1, fake.refreshGrants());
        current(sessionId).statusCode(200).body("accessToken", equalTo(newToken));
    }

    @Test
    void concurrentRefreshesOfOneSessionShareOneRefreshGrant() throws Exception {
        fake.tokenLifetimes(Duration.ofSeconds(10), Duration.ofHours(1));
        String sessionId = sessionOf("alice", PASSWORD);
        fake.tokenLifetimes(Duration.ofDays(1), Duration.ofDays(14));
        fake.slowdown(Duration.ofMillis(1_000)); // keeps the refresh in flight until every caller has read the session
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Callable<String>> callers = java.util.stream.IntStream.range(0, 20)
                    .mapToObj(i -> (Callable<String>) () -> (i % 2 == 0 ? current(sessionId) : refresh(sessionId))
                            .statusCode(200).extract().path("accessToken"))
                    .toList();
            Set<String> tokens = pool.invokeAll(callers).stream().map(SessionLifecycleTest::result).collect(Collectors.toSet());
            assertEquals(1, fake.refreshGrants(), "exactly one refresh grant at PeerTube");
            assertEquals(1, tokens.size(), "every caller got the same token");
            assertTrue(fake.isAccessTokenValid(tokens.iterator().next()));
        } finally {
            pool.shutdownNow();
            fake.slowdown(Duration.ZERO);
        }
    }

    @Test
    void refreshTokenRejectedByPeerTubeEndsTheSession() {
        String sessionId = sessionOf("alice", PASSWORD);
        fake.deleteUserTokens("alice"); // e.g. an admin changed the password
        refresh(sessionId).statusCode(401)
                .contentType("application/problem+json")
                .header("WWW-Authenticate", "Bearer")
                .body("code", equalTo("session_expired"));
        assertTrue(redis.sessionKeys().isEmpty(), "the session is deleted");
        current(sessionId).statusCode(401).body("code", equalTo("session_not_found"));
    }

    @Test
    void proactiveRefreshRejectedByPeerTubeIsSessionExpired() {
        fake.tokenLifetimes(Duration.ofSeconds(30), Duration.ofHours(1));
        String sessionId = sessionOf("alice", PASSWORD);
        fake.deleteUserTokens("alice");
        current(sessionId).statusCode(401).body("code", equalTo("session_expired"));
    }

    @Test
    void missingMalformedAndUnknownSessionsAreSessionNotFound() {
        given().when().get("/session").then().statusCode(401)
                .header("WWW-Authenticate", "Bearer").body("code", equalTo("session_not_found"));
        for (String bearer : List.of("", "not-a-session", "x".repeat(63), "A".repeat(64), "é".repeat(64), "A".repeat(5000))) {
            current(bearer).statusCode(401).header("WWW-Authenticate", "Bearer").body("code", equalTo("session_not_found"));
            refresh(bearer).statusCode(401).body("code", equalTo("session_not_found"));
        }
        given().header("Authorization", "Basic YWxpY2U6eA==").when().get("/session").then().statusCode(401)
                .body("code", equalTo("session_not_found"));
    }

    @Test
    void tamperedSessionIdIsSessionNotFound() {
        String sessionId = sessionOf("alice", PASSWORD);
        char last = sessionId.charAt(63);
        String tampered = sessionId.substring(0, 63) + (last == 'A' ? 'B' : 'A'); // same id part, other secret
        current(tampered).statusCode(401).body("code", equalTo("session_not_found"));
        current(sessionId).statusCode(200);
    }

    @Test
    void logoutRevokesAtPeerTubeAndDeletesTheSession() {
        ExtractableResponse<Response> login = login("alice", PASSWORD).statusCode(201).extract();
        String sessionId = login.path("sessionId");
        logout(sessionId).statusCode(204).header("Cache-Control", "no-store");
        assertEquals(1, fake.revocations(login.path("accessToken")));
        assertEquals(0, fake.liveTokenCount("alice"), "the pair is dead at PeerTube");
        assertTrue(redis.keys().isEmpty(), "no leftovers in Redis");
        current(sessionId).statusCode(401).body("code", equalTo("session_not_found"));
    }

    @Test
    void logoutIsIdempotent() {
        String sessionId = sessionOf("alice", PASSWORD);
        logout(sessionId).statusCode(204);
        logout(sessionId).statusCode(204);
        logout("not-a-session").statusCode(204);
        logout("A".repeat(64)).statusCode(204);
        given().header("Authorization", "Basic YWxpY2U6eA==").when().delete("/session").then().statusCode(204);
        assertEquals(1, fake.revokeCalls());
    }

    @Test
    void logoutWithoutBearerIsSessionNotFound() {
        given().when().delete("/session").then().statusCode(401)
                .header("WWW-Authenticate", "Bearer")
                .body("code", equalTo("session_not_found"));
    }

    @Test
    void logoutWithAnExpiredAccessTokenRefreshesFirst() {
        fake.tokenLifetimes(Duration.ofSeconds(1), Duration.ofHours(1)); // expires_in 0: already expired
        ExtractableResponse<Response> login = login("alice", PASSWORD).statusCode(201).extract();
        logout(login.path("sessionId")).statusCode(204);
        assertEquals(1, fake.refreshGrants());
        assertEquals(1, fake.revokeCalls());
        assertEquals(0, fake.liveTokenCount("alice"), "the refreshed pair was revoked");
        assertTrue(redis.keys().isEmpty());
    }

    @Test
    void logoutOfASessionPeerTubeAlreadyEndedIsNoContent() {
        String sessionId = sessionOf("alice", PASSWORD);
        fake.deleteUserTokens("alice");
        logout(sessionId).statusCode(204);
        assertTrue(redis.keys().isEmpty());
    }

    private static <T> T result(Future<T> future) {
        try {
            return future.get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
