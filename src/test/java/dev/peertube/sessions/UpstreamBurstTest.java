package dev.peertube.sessions;

import static dev.peertube.sessions.SessionCalls.login;
import static dev.peertube.sessions.SessionCalls.sessionOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import dev.peertube.sessions.peertube.PeerTubeClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.smallrye.faulttolerance.api.CircuitBreakerState;

/**
 * More logins at once than the bulkhead lets through to PeerTube (32 by default): a burst waits
 * for a free slot, one beyond the waiting room too is refused, and neither opens the circuit
 * breaker, which only counts PeerTube's own failures.
 */
@QuarkusTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class UpstreamBurstTest extends ServiceTestBase {

    /** "status code: detail" → count of the answers other than 201 of the last burst. */
    final Map<String, Integer> refusals = new TreeMap<>();

    @BeforeEach
    void reset() {
        CircuitBreakerMaintenance.get().resetAll();
        sessionOf("alice", PASSWORD); // the OAuth client is cached from here on
        fake.slowdown(Duration.ofMillis(300));
    }

    @AfterEach
    void restore() {
        fake.slowdown(Duration.ZERO);
        CircuitBreakerMaintenance.get().resetAll();
    }

    @Test
    void burstAboveTheConcurrencyLimitWaitsInsteadOfFailing() throws Exception {
        Map<Integer, Integer> statuses = concurrentLogins(48);

        assertEquals(Map.of(201, 48), statuses, "refused: " + refusals);
        assertEquals(CircuitBreakerState.CLOSED, CircuitBreakerMaintenance.get().currentState(PeerTubeClient.BREAKER));
    }

    @Test
    void burstBeyondTheWaitingRoomIsRefusedWithoutOpeningTheBreaker() throws Exception {
        Map<Integer, Integer> statuses = concurrentLogins(100);

        assertTrue(statuses.getOrDefault(503, 0) > 0, "some logins refused: " + statuses);
        assertEquals(Map.of("503 upstream_unavailable: Too many calls to PeerTube are in progress.", statuses.get(503)),
                refusals);
        assertEquals(CircuitBreakerState.CLOSED, CircuitBreakerMaintenance.get().currentState(PeerTubeClient.BREAKER));
        fake.slowdown(Duration.ZERO);
        login("alice", PASSWORD).statusCode(201);
    }

    /** Status code → count of {@code callers} logins started together. */
    private Map<Integer, Integer> concurrentLogins(int callers) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            CyclicBarrier start = new CyclicBarrier(callers);
            List<Future<ExtractableResponse<Response>>> calls = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                calls.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return login("alice", PASSWORD).extract();
                }));
            }
            Map<Integer, Integer> statuses = new TreeMap<>();
            refusals.clear();
            for (Future<ExtractableResponse<Response>> call : calls) {
                ExtractableResponse<Response> answer = call.get(30, TimeUnit.SECONDS);
                statuses.merge(answer.statusCode(), 1, Integer::sum);
                if (answer.statusCode() != 201) {
                    refusals.merge(answer.statusCode() + " " + answer.path("code") + ": " + answer.path("detail"), 1, Integer::sum);
                }
            }
            return statuses;
        } finally {
            pool.shutdownNow();
        }
    }
}
