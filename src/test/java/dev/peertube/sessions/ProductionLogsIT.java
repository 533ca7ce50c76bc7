package dev.peertube.sessions;

import static dev.peertube.sessions.SessionCalls.current;
import static dev.peertube.sessions.SessionCalls.login;
import static dev.peertube.sessions.SessionCalls.logout;
import static dev.peertube.sessions.SessionCalls.refresh;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.peertube.sessions.fake.FakePeerTube;
import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;

/**
 * What the packaged application (prod profile) writes to its console, captured in
 * {@code target/quarkus.log}: JSON, one access-log line per request, and no secret.
 */
@QuarkusIntegrationTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class ProductionLogsIT {

    static final String PASSWORD = "correct horse battery";
    static final Path LOG = Path.of("target", "quarkus.log");

    @Test
    void logsAreJsonWithOneAccessLineAndNoSecret() throws Exception {
        FakePeerTube fake = FakePeerTubeResource.fake();
        fake.reset();
        fake.addUser("alice", PASSWORD);
        ExtractableResponse<Response> session = login("alice", PASSWORD).statusCode(201).extract();
        String sessionId = session.path("sessionId");
        current(sessionId).statusCode(200);
        refresh(sessionId).statusCode(200);
        login("alice", "wrong " + PASSWORD).statusCode(401);
        given().header("Authorization", "Bearer not-a-session").when().get("/session").then().statusCode(401);
        logout(sessionId).statusCode(204);

        List<JsonNode> records = awaitAccessLine("\"DELETE /session\" 204");
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(LOG, StandardCharsets.UTF_8)) {
            if (line.startsWith("{")) {
                assertTrue(json.readTree(line).has("level"), "a JSON log record: " + line);
            }
        }
        assertTrue(records.stream().anyMatch(r -> r.path("message").asText().contains("\"POST /session\" 201")));
        assertTrue(records.stream().anyMatch(r -> r.path("message").asText().contains("\"GET /session\" 200")));
        assertTrue(records.stream().anyMatch(r -> r.path("message").asText().contains("\"POST /session/refresh\" 200")));

        String everything = Files.readString(LOG, StandardCharsets.UTF_8);
        List<String> secrets = new ArrayList<>(fake.issuedTokens());
        secrets.add(sessionId);
        secrets.add(sessionId.substring(0, 22));
        secrets.add(PASSWORD);
        secrets.add(fake.clientSecret());
        for (String secret : secrets) {
            assertFalse(everything.contains(secret), "a secret appears in the application's log");
        }
    }

    /** The access-log records so far, once one of them contains {@code expected} (the console is flushed asynchronously). */
    private static List<JsonNode> awaitAccessLine(String expected) throws IOException, InterruptedException {
        ObjectMapper json = new ObjectMapper();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            List<JsonNode> access = new ArrayList<>();
            for (String line : Files.readAllLines(LOG, StandardCharsets.UTF_8)) {
                if (line.startsWith("{")) {
                    JsonNode record = json.readTree(line);
                    if ("io.quarkus.http.access-log".equals(record.path("loggerName").asText())) {
                        access.add(record);
                    }
                }
            }
            if (access.stream().anyMatch(r -> r.path("message").asText().contains(expected)) || System.nanoTime() > deadline) {
                return access;
            }
            Thread.sleep(100);
        }
    }
}
