package dev.peertube.sessions;

import static dev.peertube.sessions.SessionCalls.login;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;

/**
 * Input limits and response headers: the body size cap answers 400 problem+json (never 413 or
 * 500), the field length caps, {@code Cache-Control: no-store} on errors too, no CORS, no
 * framework headers.
 */
@QuarkusTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class InputLimitsTest extends ServiceTestBase {

    @TestHTTPResource("/session")
    URI sessionUri;

    @Test
    void bodyOfOneMebibyteIsInvalidRequestNot413() {
        String huge = "{\"username\":\"alice\",\"password\":\"" + "x".repeat(1024 * 1024) + "\"}";
        int calls = fake.tokenCalls();
        given().contentType(ContentType.JSON).body(huge).when().post("/session").then()
                .statusCode(400)
                .contentType("application/problem+json")
                .header("Cache-Control", "no-store")
                .body("code", equalTo("invalid_request"))
                .body("status", equalTo(400));
        assertEquals(calls, fake.tokenCalls());
    }

    @Test
    void chunkedBodyOverTheLimitIsInvalidRequestNot413() throws Exception {
        byte[] huge = ("{\"username\":\"alice\",\"password\":\"" + "x".repeat(1024 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(sessionUri)
                .header("Content-Type", "application/json")
                // a stream of unknown length: sent chunked, without Content-Length
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(huge)))
                .timeout(Duration.ofSeconds(10))
                .build();
        HttpResponse<String> answer = chunkedClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(400, answer.statusCode());
        assertEquals("application/problem+json", answer.headers().firstValue("Content-Type").orElse(""));
        assertTrue(answer.body().contains("\"code\":\"invalid_request\""), answer.body());
        assertEquals(0, fake.tokenCalls());
    }

    @Test
    void chunkedBodyWithinTheLimitIsServed() throws Exception {
        byte[] body = ("{\"username\":\"alice\",\"password\":\"" + PASSWORD + "\"}").getBytes(StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(sessionUri)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                .timeout(Duration.ofSeconds(10))
                .build();
        HttpResponse<String> answer = chunkedClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(201, answer.statusCode(), answer.body());
    }

    @Test
    void emptyBodiesAreInvalidRequestWithoutWaiting() throws Exception {
        HttpRequest chunked = HttpRequest.newBuilder(sessionUri)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(new byte[0])))
                .timeout(Duration.ofSeconds(5))
                .build();
        HttpResponse<String> answer = chunkedClient().send(chunked, HttpResponse.BodyHandlers.ofString());
        assertEquals(400, answer.statusCode());
        assertTrue(answer.body().contains("\"code\":\"invalid_request\""), answer.body());
        given().contentType(ContentType.JSON).body("").when().post("/session").then()
                .statusCode(400).body("code", equalTo("invalid_request"));
        given().contentType(ContentType.JSON).when().post("/session").then()
                .statusCode(400).body("code", equalTo("invalid_request"));
    }

    @Test
    void bodyJustUnderTheLimitIsServed() {
        Map<String, Object> body = new HashMap<>(SessionCalls.body("alice", PASSWORD, null));
        body.put("padding", "p".repeat(60 * 1024)); // unknown fields are ignored
        login(body).statusCode(201);
    }

    @Test
    void passwordOf72BytesLogsInAndLongerOnesUpToTheCapReachPeerTube() {
        String longest = "é".repeat(36); // 72 bytes in UTF-8
        fake.addUser("bob", longest);
        login("bob", longest).statusCode(201);
        int grants = fake.passwordGrants();
        login("bob", longest + "x").statusCode(400).body("code", equalTo("password_too_long"));
        login("bob", "x".repeat(1024)).statusCode(400).body("code", equalTo("password_too_long"));
        assertEquals(grants + 2, fake.passwordGrants(), "within the service's cap PeerTube decides");
    }

    @Test
    void passwordOver1024BytesIsInvalidRequestWithoutCallingPeerTube() {
        int grants = fake.passwordGrants();
        login("alice", "x".repeat(1025)).statusCode(400).body("code", equalTo("invalid_request"));
        login("alice", "€".repeat(342)).statusCode(400).body("code", equalTo("invalid_request")); // 1026 bytes, 342 characters
        assertEquals(grants, fake.passwordGrants());
    }

    @Test
    void usernameOf255CharactersAndExternalTokenOf256AreAccepted() {
        int grants = fake.passwordGrants();
        login("u".repeat(255), PASSWORD).statusCode(401).body("code", equalTo("invalid_credentials"));
        Map<String, Object> body = new HashMap<>(SessionCalls.body("carol", null, null));
        body.put("externalAuthToken", "t".repeat(256));
        login(body).statusCode(401).body("code", equalTo("invalid_credentials"));
        assertEquals(grants + 2, fake.passwordGrants());
    }

    @Test
    void errorAnswersUnderSessionAreNotCachedEither() {
        given().when().get("/session").then().statusCode(401).header("Cache-Control", "no-store");
        given().header("Authorization", "Bearer " + "A".repeat(64)).when().post("/session/refresh").then()
                .statusCode(401).header("Cache-Control", "no-store");
        login("alice", "wrong").statusCode(401).header("Cache-Control", "no-store");
        given().contentType(ContentType.JSON).body("{").when().post("/session").then()
                .statusCode(400).header("Cache-Control", "no-store");
        given().contentType(ContentType.TEXT).body("x").when().post("/session").then()
                .statusCode(415).header("Cache-Control", "no-store");
        given().when().put("/session").then().statusCode(405).header("Cache-Control", "no-store");
    }

    @Test
    void corsPreflightGetsNoAllowOrigin() {
        Response preflight = given()
                .header("Origin", "https://evil.example")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "Content-Type, Authorization")
                .when().options("/session");
        assertNull(preflight.header("Access-Control-Allow-Origin"));
        assertNull(preflight.header("Access-Control-Allow-Credentials"));
        String sessionId = login("alice", PASSWORD).statusCode(201).header("Access-Control-Allow-Origin", nullValue())
                .extract().path("sessionId");
        given().header("Origin", "https://evil.example").header("Authorization", "Bearer " + sessionId)
                .when().get("/session").then().statusCode(200).header("Access-Control-Allow-Origin", nullValue());
    }

    @Test
    void noFrameworkOrVersionHeaders() {
        for (Response answer : new Response[] {
                given().contentType(ContentType.JSON).body(SessionCalls.body("alice", PASSWORD, null)).when().post("/session"),
                given().when().get("/session"),
                given().when().get("/nowhere"),
                given().contentType(ContentType.JSON).body("x".repeat(100_000)).when().post("/session") }) {
            assertNull(answer.header("Server"), "no Server header");
            assertNull(answer.header("X-Powered-By"), "no X-Powered-By header");
        }
    }

    private static HttpClient chunkedClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }
}
