package dev.peertube.sessions;

import static dev.peertube.sessions.SessionCalls.current;
import static dev.peertube.sessions.SessionCalls.login;
import static dev.peertube.sessions.SessionCalls.logout;
import static dev.peertube.sessions.SessionCalls.refresh;
import static dev.peertube.sessions.SessionCalls.sessionOf;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTube.Endpoint;
import dev.peertube.sessions.fake.FakePeerTubeResource;
import dev.peertube.sessions.fake.Fault;
import dev.peertube.sessions.peertube.PeerTubeClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;

/**
 * PeerTube failing in every way the fake can play: slow, refusing connections, dropping them,
 * answering 5xx. The test resources set a 2 s timeout and a 2 s breaker delay.
 */
@QuarkusTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class UpstreamFaultsTest extends ServiceTestBase {

    @BeforeEach
    void reset() {
        CircuitBreakerMaintenance.get().resetAll();
        sessionOf("alice", PASSWORD); // the OAuth client is cached from here on
    }

    @AfterEach
    void restore() {
        fake.startListening();
        fake.clearFaults();
        fake.slowdown(Duration.ZERO);
        CircuitBreakerMaintenance.get().resetAll();
    }

    @Test
    void slowPeerTubeIsUpstreamTimeoutWithinTheTimeout() {
        fake.slowdown(Duration.ofSeconds(4));
        long start = System.nanoTime();
        login("alice", PASSWORD).statusCode(504).body("code", equalTo("upstream_timeout"));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 2_000 + 700, "answered after " + millis + " ms with a 2 s timeout");
    }

    @Test
    void refusedConnectionIsUpstreamUnavailable() {
        fake.stopListening();
        login("alice", PASSWORD).statusCode(503)
                .body("code", equalTo("upstream_unavailable"))
                .header("Retry-After", matchesPattern("\\d+"));
    }

    @Test
    void closedConnectionIsUpstreamUnavailable() {
        fake.injectFault(Endpoint.TOKEN, Fault.closeConnection(), 1);
        login("alice", PASSWORD).statusCode(503).body("code", equalTo("upstream_unavailable"));
    }

    @Test
    void serverErrorsAreRetriedWithBackoffThenSucceed() {
        int grants = fake.passwordGrants();
        fake.injectFault(Endpoint.TOKEN, Fault.status(502), 2);
        login("alice", PASSWORD).statusCode(201);
        assertEquals(grants + 3, fake.passwordGrants(), "two retries, then the answer");
    }

    @Test
    void serverErrorsThatPersistAreUpstreamErrorAfterTheRetries() {
        int calls = fake.tokenCalls();
        fake.injectFault(Endpoint.TOKEN, Fault.status(500), 10);
        long start = System.nanoTime();
        login("alice", PASSWORD).statusCode(502).body("code", equalTo("upstream_error"));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(calls + 3, fake.tokenCalls(), "one call and two retries");
        assertTrue(millis < 6_000, "within 3 x the timeout, was " + millis + " ms");
    }

    @Test
    void peerTubeRateLimitIsNotRetriedAndLeavesTheBreakerClosed() {
        int calls = fake.tokenCalls();
        fake.injectFault(Endpoint.TOKEN, Fault.rateLimited(120), 30);
        for (int i = 0; i < 25; i++) {
            login("alice", PASSWORD).statusCode(429).body("code", equalTo("rate_limited")).header("Retry-After", "120");
        }
        assertEquals(calls + 25, fake.tokenCalls());
        assertEquals(CircuitBreakerState.CLOSED, CircuitBreakerMaintenance.get().currentState(PeerTubeClient.BREAKER));
    }

    @Test
    void rejectedCredentialsNeverOpenTheBreaker() {
        for (int i = 0; i < 25; i++) {
            login("alice", "wrong").statusCode(401);
        }
        assertEquals(CircuitBreakerState.CLOSED, CircuitBreakerMaintenance.get().currentState(PeerTubeClient.BREAKER));
    }

    @Test
    void breakerOpensAnswersFastWithoutCallingPeerTubeThenClosesOnRecovery() throws InterruptedException {
        fake.injectFault(Endpoint.ANY, Fault.status(503), 1_000);
        for (int i = 0; i < 10 && CircuitBreakerMaintenance.get().currentState(PeerTubeClient.BREAKER) != CircuitBreakerState.OPEN; i++) {
            login("alice", PASSWORD).statusCode(502);
        }
        assertEquals(CircuitBreakerState.OPEN, CircuitBreakerMaintenance.get().currentState(PeerTubeClient.BREAKER));

        int calls = fake.tokenCalls();
        long start = System.nanoTime();
        login("alice", PASSWORD).statusCode(503)
                .body("code", equalTo("upstream_unavailable"))
                .header("Retry-After", matchesPattern("[12]"));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(calls, fake.tokenCalls(), "no call while the breaker is open");
        assertTrue(millis < 500, "refused at once, took " + millis + " ms");
        System.out.printf("Breaker open: 503 upstream_unavailable in %d ms, no call to PeerTube%n", millis);

        fake.clearFaults();
        long recovering = System.nanoTime();
        int status = 0;
        while (status != 201 && System.nanoTime() - recovering < 5_000_000_000L) {
            status = login("alice", PASSWORD).extract().statusCode();
            if (status != 201) {
                assertEquals(503, status, "refused while open, never a PeerTube call");
                Thread.sleep(100);
            }
        }
        System.out.printf("PeerTube back: first successful login after %d ms (breaker delay 2 s)%n",
                (System.nanoTime() - recovering) / 1_000_000);
        assertEquals(201, status);
        assertEquals(calls + 1, fake.tokenCalls(), "one trial call, and it closed the breaker");
        assertEquals(CircuitBreakerState.CLOSED, CircuitBreakerMaintenance.get().currentState(PeerTubeClient.BREAKER));
    }

    @Test
    void refreshWhoseAnswerWasLostIsNotRetried() {
        String sessionId = sessionOf("alice", PASSWORD);
        fake.injectFault(Endpoint.TOKEN, Fault.closeAfterProcessing(), 1);
        refresh(sessionId).statusCode(503).body("code", equalTo("upstream_unavailable"));
        assertEquals(1, fake.refreshGrants(), "a refresh that may have reached PeerTube is never repeated");
    }

    @Test
    void refreshThatTimesOutIsNotRetried() {
        String sessionId = sessionOf("alice", PASSWORD);
        fake.injectFault(Endpoint.TOKEN, Fault.delay(Duration.ofSeconds(3)), 1);
        refresh(sessionId).statusCode(504).body("code", equalTo("upstream_timeout"));
        assertEquals(1, fake.refreshGrants());
    }

    @Test
    void refreshWhenPeerTubeIsUnreachableIsRetriedSafely() {
        String sessionId = sessionOf("alice", PASSWORD);
        fake.stopListening();
        refresh(sessionId).statusCode(503).body("code", equalTo("upstream_unavailable"));
        fake.startListening();
        refresh(sessionId).statusCode(200);
    }

    @Test
    void currentTokenStillValidIsServedWhenTheProactiveRefreshFails() {
        fake.tokenLifetimes(Duration.ofSeconds(30), Duration.ofHours(1));
        ExtractableResponse<Response> login = login("alice", PASSWORD).statusCode(201).extract();
        fake.stopListening();
        current(login.path("sessionId")).statusCode(200).body("accessToken", equalTo(login.path("accessToken")));
    }

    @Test
    void wrongHostIsUpstreamMisconfigured() {
        fake.publicHost("peertube.other");
        fake.rotateClient(); // the cached client is rejected, so the service fetches it again
        login("alice", PASSWORD).statusCode(502).body("code", equalTo("upstream_misconfigured"));
        fake.publicHost(FakePeerTubeResource.PUBLIC_HOST);
        login("alice", PASSWORD).statusCode(201);
    }

    @Test
    void clientRejectedTwiceIsUpstreamMisconfigured() {
        fake.rejectAllClients(true);
        login("alice", PASSWORD).statusCode(502).body("code", equalTo("upstream_misconfigured"));
        fake.rejectAllClients(false);
    }

    @Test
    void logoutWhilePeerTubeIsDownIsQueuedAndRevokedExactlyOnceLater() throws InterruptedException {
        ExtractableResponse<Response> login = login("alice", PASSWORD).statusCode(201).extract();
        String accessToken = login.path("accessToken");
        int sessions = redis.sessionKeys().size();
        fake.stopListening();
        logout(login.path("sessionId")).statusCode(202);
        assertEquals(sessions - 1, redis.sessionKeys().size(), "the session is deleted at once");
        current(login.path("sessionId")).statusCode(401);
        fake.startListening();
        long deadline = System.currentTimeMillis() + 15_000;
        while (fake.revocations(accessToken) == 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(1, fake.revocations(accessToken));
        assertEquals("peertube-session-service/1", fake.lastHeader("revoke", "User-Agent"), "background calls too");
        Thread.sleep(1_500);
        assertEquals(1, fake.revocations(accessToken), "exactly once");
        assertEquals(1, fake.liveTokenCount("alice"), "only the pair of the login made in setUp is still alive");
    }
}
