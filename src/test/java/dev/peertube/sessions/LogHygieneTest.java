package dev.peertube.sessions;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTube;
import dev.peertube.sessions.fake.FakePeerTube.Endpoint;
import dev.peertube.sessions.fake.FakePeerTubeResource;
import dev.peertube.sessions.fake.Fault;
import dev.peertube.sessions.fake.Totp;
import dev.peertube.sessions.peertube.PeerTubeClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.smallrye.faulttolerance.api.CircuitBreakerState;

/**
 * No password, token, session id, client secret or OTP in any log line at any level, nor in any
 * error body, across the whole flow and its failure paths, with TRACE logging everywhere.
 */
@QuarkusTest
@TestProfile(TraceLoggingProfile.class)
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class LogHygieneTest {

    static final TestRedis redis = new TestRedis();

    FakePeerTube fake;
    final Secrets secrets = new Secrets();
    /** Every answer of the service, by the step that produced it. */
    final Map<String, Response> answers = new LinkedHashMap<>();

    final Map<String, java.util.logging.Level> levels = new HashMap<>();

    @BeforeEach
    void reset() {
        for (String category : TraceLoggingProfile.CATEGORIES) {
            java.util.logging.Logger logger = java.util.logging.Logger.getLogger(category);
            levels.put(category, logger.getLevel());
            logger.setLevel(org.jboss.logmanager.Level.TRACE);
        }
        fake = FakePeerTubeResource.fake();
        fake.reset();
        redis.deleteAll();
        CircuitBreakerMaintenance.get().resetAll();
    }

    @AfterAll
    static void closeRedis() {
        redis.close();
    }

    @AfterEach
    void restore() {
        fake.startListening();
        fake.clearFaults();
        fake.slowdown(Duration.ZERO);
        CircuitBreakerMaintenance.get().resetAll();
        redis.deleteAll();
        levels.forEach((category, level) -> java.util.logging.Logger.getLogger(category).setLevel(level));
    }

    @Test
    void noSecretInAnyLogLineOrErrorBody() throws Exception {
        Path log = Path.of(TraceLoggingProfile.LOG_FILE);
        long logStart = Files.exists(log) ? Files.size(log) : 0;

        String alicePassword = "alice-" + UUID.randomUUID();
        String bobPassword = "bob-" + UUID.randomUUID();
        String bobSeed = Totp.randomSecret();
        fake.addUser("alice", alicePassword);
        fake.addUser("bob", bobPassword).otpSecret(bobSeed);
        secrets.add("alice's password", alicePassword).add("bob's password", bobPassword).add("bob's TOTP seed", bobSeed);
        String wrongPassword = "wrong-" + UUID.randomUUID();
        secrets.add("a wrong password", wrongPassword);

        // the happy paths
        String alice = session(call("login alice", login("alice", alicePassword, null)));
        call("current", bearer(alice).get("/session"));
        call("refresh", bearer(alice).post("/session/refresh"));
        call("otp required", login("bob", bobPassword, null));
        String wrongOtp = Totp.now(bobSeed).equals("000000") ? "111111" : "000000";
        call("wrong otp", login("bob", bobPassword, wrongOtp));
        String otp = Totp.now(bobSeed);
        secrets.add("bob's OTP", otp);
        String bob = session(call("login bob with otp", login("bob", bobPassword, otp)));
        String externalToken = fake.issueExternalAuthToken("dave");
        secrets.add("dave's external auth token", externalToken);
        Map<String, Object> dave = new HashMap<>(SessionCalls.body("dave", null, null));
        dave.put("externalAuthToken", externalToken);
        String daveSession = session(call("external auth login", given().contentType(ContentType.JSON).body(dave).when().post("/session")));
        call("logout", bearer(daveSession).delete("/session"));
        call("logout again", bearer(daveSession).delete("/session"));

        // wrong credentials and bad input, with secrets inside the rejected bodies
        call("wrong password", login("alice", wrongPassword, null));
        call("unknown user", login("nobody", alicePassword, null));
        call("password too long for PeerTube", login("alice", alicePassword + "x".repeat(80), null));
        call("password over the cap", login("alice", alicePassword + "x".repeat(1100), null));
        call("bad otp format", login("bob", bobPassword, otp + "x"));
        call("unterminated JSON", given().contentType(ContentType.JSON)
                .body("{\"username\":\"alice\",\"password\":\"" + alicePassword + "\"").when().post("/session"));
        call("number for password", given().contentType(ContentType.JSON)
                .body("{\"username\":\"" + alicePassword + "\",\"password\":12}").when().post("/session"));
        call("form body", given().contentType(ContentType.URLENC).formParam("username", "alice")
                .formParam("password", alicePassword).when().post("/session"));
        call("oversized body", given().contentType(ContentType.JSON)
                .body("{\"username\":\"alice\",\"password\":\"" + alicePassword + "x".repeat(100_000) + "\"}").when().post("/session"));
        String tampered = alice.substring(0, 63) + (alice.charAt(63) == 'A' ? 'B' : 'A');
        secrets.addSessionId(tampered);
        call("tampered session id", bearer(tampered).get("/session"));
        call("malformed bearer", given().header("Authorization", "Bearer " + alicePassword).when().get("/session"));
        call("basic auth", given().auth().preemptive().basic("alice", alicePassword).when().get("/session"));

        // PeerTube slow, failing, down, then the breaker open
        fake.slowdown(Duration.ofMillis(3_000)); // over the 2 s timeout of the test resources
        call("timeout", login("alice", alicePassword, null));
        fake.slowdown(Duration.ZERO);
        fake.injectFault(Endpoint.TOKEN, Fault.status(500), 3);
        call("server errors", bearer(bob).post("/session/refresh"));
        fake.injectFault(Endpoint.TOKEN, Fault.closeConnection(), 1);
        call("connection dropped", login("alice", alicePassword, null));
        fake.injectFault(Endpoint.TOKEN, Fault.rateLimited(60), 1);
        call("PeerTube rate limit", login("alice", alicePassword, null));
        fake.stopListening();
        call("PeerTube down at login", login("alice", alicePassword, null));
        call("PeerTube down at refresh", bearer(alice).post("/session/refresh"));
        call("PeerTube down at logout", bearer(bob).delete("/session"));
        for (int i = 0; i < 12 && CircuitBreakerMaintenance.get().currentState(PeerTubeClient.BREAKER) != CircuitBreakerState.OPEN; i++) {
            call("PeerTube down " + i, login("alice", alicePassword, null));
        }
        assertEquals(CircuitBreakerState.OPEN, CircuitBreakerMaintenance.get().currentState(PeerTubeClient.BREAKER));
        call("breaker open", login("alice", alicePassword, null));
        fake.startListening();
        CircuitBreakerMaintenance.get().resetAll();
        call("logout alice", bearer(alice).delete("/session"));
        waitForQueuedRevocations();

        fake.issuedTokens().forEach(token -> secrets.add("token " + token.substring(0, 6) + "…", token));
        secrets.add("client secret", fake.clientSecret());
        for (String sessionId : List.of(alice, bob, daveSession)) {
            secrets.addSessionId(sessionId);
        }

        List<String> leaks = new ArrayList<>();
        for (Map.Entry<String, Response> answer : answers.entrySet()) {
            if (answer.getValue().statusCode() >= 400) {
                secrets.foundIn(answer.getValue().asByteArray())
                        .forEach(found -> leaks.add(found + " in the error body of '" + answer.getKey() + "'"));
            }
        }
        String logged = readFrom(log, logStart);
        for (String line : logged.split("\n")) {
            secrets.foundIn(line).forEach(found -> leaks.add(found + " in the log line: " + line));
        }
        assertEquals(List.of(), leaks);

        // the capture really saw the flow, at the lowest levels
        assertTrue(logged.contains("revocation queued"), "the service's own lines are captured");
        assertTrue(logged.lines().anyMatch(l -> l.contains("DEBUG") || l.contains("TRACE")), "debug and trace lines are captured");
        assertTrue(answers.values().stream().anyMatch(a -> a.statusCode() == 503), "PeerTube down was played");
        assertTrue(answers.values().stream().anyMatch(a -> a.statusCode() == 504), "a timeout was played");
    }

    private void waitForQueuedRevocations() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (redis.sortedSetMembers(RedisTestResource.KEY_PREFIX + "revocations").size() > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        Thread.sleep(300); // the worker's last lines
    }

    private Response call(String step, Response answer) {
        answers.put(step, answer);
        return answer;
    }

    private static String session(Response answer) {
        assertEquals(201, answer.statusCode(), answer.asString());
        return answer.path("sessionId");
    }

    private static Response login(String username, String password, String otp) {
        return given().contentType(ContentType.JSON).body(SessionCalls.body(username, password, otp)).when().post("/session");
    }

    private static RequestSpecification bearer(String sessionId) {
        return given().header("Authorization", "Bearer " + sessionId).when();
    }

    private static String readFrom(Path file, long offset) throws IOException {
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            in.seek(offset);
            byte[] bytes = new byte[(int) (in.length() - offset)];
            in.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }
}
