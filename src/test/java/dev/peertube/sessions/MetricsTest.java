package dev.peertube.sessions;

import static dev.peertube.sessions.SessionCalls.current;
import static dev.peertube.sessions.SessionCalls.login;
import static dev.peertube.sessions.SessionCalls.logout;
import static dev.peertube.sessions.SessionCalls.refresh;
import static dev.peertube.sessions.SessionCalls.sessionOf;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.restassured.http.ContentType;

/** {@code /q/metrics}: the service's counters, timers and gauges move with the traffic and never carry a secret. */
@QuarkusTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class MetricsTest extends ServiceTestBase {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    @BeforeEach
    void reset() {
        closeBreaker();
    }

    /** Other classes sharing the application may have opened it; the packaged run cannot reach it. */
    void closeBreaker() {
        CircuitBreakerMaintenance.get().resetAll();
    }

    @AfterEach
    void restore() {
        fake.startListening();
        fake.slowdown(Duration.ZERO);
    }

    @Test
    void loginsAreCountedByOutcomeCode() {
        Map<String, Double> before = scrape();
        sessionOf("alice", PASSWORD);
        login("alice", "wrong password").statusCode(401);
        given().contentType(ContentType.JSON).body("{").when().post("/session").then().statusCode(400);
        Map<String, Double> after = scrape();
        assertEquals(1, delta(before, after, "sessions_logins_total", "code", "ok"));
        assertEquals(1, delta(before, after, "sessions_logins_total", "code", "invalid_credentials"));
        assertEquals(1, delta(before, after, "sessions_logins_total", "code", "invalid_request"));
    }

    @Test
    void refreshesAreCountedByTriggerAndOutcome() {
        fake.tokenLifetimes(Duration.ofSeconds(30), Duration.ofHours(1)); // within the 60 s skew
        String proactive = sessionOf("alice", PASSWORD);
        fake.tokenLifetimes(Duration.ofDays(1), Duration.ofDays(14));
        String forced = sessionOf("alice", PASSWORD);
        Map<String, Double> before = scrape();

        current(proactive).statusCode(200);
        refresh(forced).statusCode(200);
        Map<String, Double> after = scrape();
        assertEquals(1, delta(before, after, "sessions_refreshes_total", "trigger", "proactive", "code", "ok"));
        assertEquals(1, delta(before, after, "sessions_refreshes_total", "trigger", "forced", "code", "ok"));
    }

    @Test
    void aRejectedRefreshIsCountedWithItsCode() {
        String sessionId = sessionOf("alice", PASSWORD);
        fake.deleteUserTokens("alice");
        Map<String, Double> before = scrape();
        refresh(sessionId).statusCode(401);
        assertEquals(1, delta(before, scrape(), "sessions_refreshes_total", "trigger", "forced", "code", "session_expired"));
    }

    @Test
    void callersSharingARefreshInFlightAreCountedAsJoined() throws Exception {
        String sessionId = sessionOf("alice", PASSWORD);
        fake.slowdown(Duration.ofMillis(300)); // keeps the first refresh in flight while the others arrive
        Map<String, Double> before = scrape();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Callable<Integer>> callers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                callers.add(() -> refresh(sessionId).extract().statusCode());
            }
            for (Future<Integer> answer : pool.invokeAll(callers)) {
                assertEquals(200, answer.get());
            }
        } finally {
            pool.shutdownNow();
        }
        Map<String, Double> after = scrape();
        double forced = delta(before, after, "sessions_refreshes_total", "trigger", "forced", "code", "ok");
        double joined = delta(before, after, "sessions_refreshes_total", "trigger", "joined", "code", "ok");
        assertEquals(6, forced + joined, "every caller is counted once");
        assertTrue(joined >= 1, "some callers shared the refresh in flight, joined = " + joined);
        assertEquals(forced, fake.refreshGrants(), "each refresh that was not joined made one grant");
    }

    @Test
    void logoutsAreCountedByOutcome() {
        String done = sessionOf("alice", PASSWORD);
        String queued = sessionOf("alice", PASSWORD);
        Map<String, Double> before = scrape();
        logout(done).statusCode(204);
        fake.stopListening();
        logout(queued).statusCode(202);
        Map<String, Double> after = scrape();
        assertEquals(1, delta(before, after, "sessions_logouts_total", "code", "ok"));
        assertEquals(1, delta(before, after, "sessions_logouts_total", "code", "queued"));
    }

    @Test
    void upstreamCallsAreTimedByOperationAndOutcome() {
        Map<String, Double> before = scrape();
        String sessionId = sessionOf("alice", PASSWORD);
        login("alice", "wrong password").statusCode(401);
        refresh(sessionId).statusCode(200);
        logout(sessionId).statusCode(204);
        Map<String, Double> after = scrape();
        assertEquals(1, delta(before, after, "peertube_calls_seconds_count", "operation", "token_password", "outcome", "ok"));
        assertEquals(1, delta(before, after, "peertube_calls_seconds_count", "operation", "token_password", "outcome", "rejected",
                "status", "400"));
        assertEquals(1, delta(before, after, "peertube_calls_seconds_count", "operation", "token_refresh", "outcome", "ok"));
        assertEquals(1, delta(before, after, "peertube_calls_seconds_count", "operation", "revoke", "outcome", "ok"));
        assertTrue(value(after, "peertube_calls_seconds_sum", "operation", "token_password", "outcome", "ok") > 0);
    }

    @Test
    void breakerStateIsAGaugeOfTheCurrentState() {
        Map<String, Double> metrics = scrape();
        assertEquals(1, value(metrics, "peertube_breaker_state", "state", "closed"));
        assertEquals(0, value(metrics, "peertube_breaker_state", "state", "open"));
        assertEquals(0, value(metrics, "peertube_breaker_state", "state", "half_open"));
    }

    @Test
    void queuedRevocationsAreAGauge() throws InterruptedException {
        String sessionId = sessionOf("alice", PASSWORD);
        assertEquals(0, awaitQueued(0, Duration.ofSeconds(5)), "the queue is empty to begin with");
        fake.stopListening();
        logout(sessionId).statusCode(202);
        assertEquals(1, awaitQueued(1, Duration.ofSeconds(5)));
        fake.startListening();
        // the next attempt comes after the backoff of the failed ones (1 s, 2 s, 4 s ... at most 30 s)
        assertEquals(0, awaitQueued(0, Duration.ofSeconds(35)), "the revocation went through once PeerTube was back");
    }

    @Test
    void noSecretEverAppearsInTheMetrics() {
        String sessionId = sessionOf("alice", PASSWORD);
        current(sessionId).statusCode(200);
        refresh(sessionId).statusCode(200);
        login("alice", "wrong password").statusCode(401);
        given().header("Authorization", "Bearer not-a-session-" + PASSWORD).when().get("/session").then().statusCode(401);
        logout(sessionId).statusCode(204);
        String metrics = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
        List<String> secrets = new ArrayList<>(fake.issuedTokens());
        secrets.add(sessionId);
        secrets.add(sessionId.substring(0, 22)); // the lookup half of the ticket
        secrets.add(PASSWORD);
        secrets.add("wrong password");
        secrets.add(fake.clientSecret());
        assertTrue(secrets.size() > 5);
        for (String secret : secrets) {
            assertFalse(metrics.contains(secret), "a secret appears in /q/metrics");
        }
    }

    /** The queue gauge is read from Redis in the background every poll interval (1 s in tests). */
    private static double awaitQueued(double expected, Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        double queued = value(scrape(), "sessions_revocations_queued");
        while (queued != expected && System.nanoTime() < deadline) {
            Thread.sleep(200);
            queued = value(scrape(), "sessions_revocations_queued");
        }
        return queued;
    }

    /** Every sample of {@code /q/metrics}, keyed by name and labels sorted by label name. */
    static Map<String, Double> scrape() {
        String text = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
        Map<String, Double> samples = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            Matcher sample = SAMPLE.matcher(line.trim());
            if (line.startsWith("#") || !sample.matches()) {
                continue;
            }
            Map<String, String> labels = new java.util.TreeMap<>();
            if (sample.group(2) != null) {
                Matcher label = LABEL.matcher(sample.group(2));
                while (label.find()) {
                    labels.put(label.group(1), label.group(2));
                }
            }
            samples.put(key(sample.group(1), labels), Double.parseDouble(sample.group(3)));
        }
        return samples;
    }

    /** The value of the one sample with this name whose labels include the given pairs; 0 when there is none. */
    static double value(Map<String, Double> samples, String name, String... labelPairs) {
        double found = 0;
        int matches = 0;
        for (Map.Entry<String, Double> sample : samples.entrySet()) {
            if (matches(sample.getKey(), name, labelPairs)) {
                found += sample.getValue();
                matches++;
            }
        }
        return matches == 0 ? 0 : found;
    }

    static double delta(Map<String, Double> before, Map<String, Double> after, String name, String... labelPairs) {
        return value(after, name, labelPairs) - value(before, name, labelPairs);
    }

    private static boolean matches(String key, String name, String... labelPairs) {
        if (!key.equals(name) && !key.startsWith(name + "{")) {
            return false;
        }
        for (int i = 0; i < labelPairs.length; i += 2) {
            if (!key.contains(labelPairs[i] + "=\"" + labelPairs[i + 1] + "\"")) {
                return false;
            }
        }
        return true;
    }

    private static String key(String name, Map<String, String> labels) {
        if (labels.isEmpty()) {
            return name;
        }
        StringBuilder key = new StringBuilder(name).append('{');
        labels.forEach((label, value) -> key.append(label).append("=\"").append(value).append("\","));
        return key.append('}').toString();
    }
}
