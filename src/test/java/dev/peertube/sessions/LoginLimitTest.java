package dev.peertube.sessions;

import static dev.peertube.sessions.LoginLimitTestResource.PER_ADDRESS;
import static dev.peertube.sessions.LoginLimitTestResource.PER_USERNAME;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;

/**
 * Brute-force limits: per username and per client address, shared through Redis, checked before
 * PeerTube is called; and the client address, taken from X-Forwarded-For only from a trusted
 * proxy, forwarded to PeerTube.
 */
@QuarkusTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(LoginLimitTestResource.class)
class LoginLimitTest extends ServiceTestBase {

    @TestHTTPResource("/session")
    URI sessionUri;

    @BeforeEach
    void reset() {
        fake.addUser("bob", PASSWORD);
    }

    @Test
    void attemptOverTheUsernameLimitIsRateLimitedWithoutCallingPeerTube() {
        for (int i = 0; i < PER_USERNAME; i++) {
            loginFrom("198.51.100." + (i + 1), "alice", "wrong " + i).statusCode(401).body("code", equalTo("invalid_credentials"));
        }
        int grants = fake.passwordGrants();
        String retryAfter = loginFrom("198.51.100.99", "alice", PASSWORD).statusCode(429)
                .contentType("application/problem+json")
                .header("Cache-Control", "no-store")
                .body("code", equalTo("rate_limited"))
                .body("status", equalTo(429))
                .extract().header("Retry-After");
        int seconds = Integer.parseInt(retryAfter);
        assertTrue(seconds >= 240 && seconds <= 300, "seconds left of the 5-minute window: " + seconds);
        loginFrom("198.51.100.99", "ALICE", PASSWORD).statusCode(429); // usernames compare case-insensitively
        assertEquals(grants, fake.passwordGrants(), "PeerTube is not asked once the limit is reached");
    }

    @Test
    void anotherUsernameIsUnaffected() {
        for (int i = 0; i <= PER_USERNAME; i++) {
            loginFrom("198.51.100.1", "alice", "wrong " + i);
        }
        loginFrom("198.51.100.1", "alice", PASSWORD).statusCode(429);
        loginFrom("198.51.100.1", "bob", PASSWORD).statusCode(201);
    }

    @Test
    void successfulLoginsGiveTheirSlotBack() {
        for (int i = 0; i < PER_USERNAME * 3; i++) {
            loginFrom("198.51.100.1", "alice", PASSWORD).statusCode(201);
        }
        for (int i = 0; i < PER_USERNAME; i++) {
            loginFrom("198.51.100.1", "alice", "wrong " + i).statusCode(401);
        }
        loginFrom("198.51.100.1", "alice", PASSWORD).statusCode(429);
    }

    @Test
    void attemptOverTheAddressLimitIsRateLimitedAndOtherAddressesAreUnaffected() {
        for (int i = 0; i < PER_ADDRESS; i++) {
            loginFrom("203.0.113.7", "user" + i, PASSWORD).statusCode(401); // a different username each time
        }
        int grants = fake.passwordGrants();
        loginFrom("203.0.113.7", "bob", PASSWORD).statusCode(429).body("code", equalTo("rate_limited"));
        assertEquals(grants, fake.passwordGrants());
        loginFrom("203.0.113.8", "bob", PASSWORD).statusCode(201);
    }

    @Test
    void anAddressOverItsLimitTakesNoSlotOfTheUsername() {
        for (int i = 0; i < PER_ADDRESS; i++) {
            loginFrom("203.0.113.9", "user" + i, PASSWORD).statusCode(401);
        }
        for (int i = 0; i < PER_USERNAME * 2; i++) {
            loginFrom("203.0.113.9", "bob", "wrong " + i).statusCode(429);
        }
        // bob's own window is untouched: from elsewhere he still has every attempt
        for (int i = 0; i < PER_USERNAME - 1; i++) {
            loginFrom("198.51.100." + (i + 1), "bob", "wrong " + i).statusCode(401);
        }
        loginFrom("198.51.100.50", "bob", PASSWORD).statusCode(201);
    }

    @Test
    void concurrentAttemptsNeverExceedTheLimit() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
            List<Callable<Integer>> attempts = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                int n = i;
                attempts.add(() -> loginFrom("198.51.100." + (n + 1), "alice", "wrong " + n).extract().statusCode());
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> status : pool.invokeAll(attempts)) {
                statuses.add(status.get());
            }
            assertEquals(PER_USERNAME, statuses.stream().filter(s -> s == 401).count(), statuses.toString());
            assertEquals(10 - PER_USERNAME, statuses.stream().filter(s -> s == 429).count(), statuses.toString());
            assertEquals(PER_USERNAME, fake.passwordGrants());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void callerAddressFromATrustedProxyIsForwardedToPeerTube() {
        loginFrom("198.51.100.23", "alice", PASSWORD).statusCode(201);
        assertEquals("198.51.100.23", fake.lastHeader("token", "X-Forwarded-For"));
        given().contentType(ContentType.JSON).body(Map.of("username", "alice", "password", PASSWORD))
                .when().post("/session").then().statusCode(201);
        assertEquals("127.0.0.1", fake.lastHeader("token", "X-Forwarded-For"), "without the header: the peer itself");
    }

    @Test
    void forwardedForFromAnUntrustedPeerIsIgnored() throws IOException {
        // 127.0.0.2 is not in the trusted proxies: its X-Forwarded-For must not be believed
        for (int i = 0; i < PER_ADDRESS; i++) {
            assertEquals(401, rawLoginFrom127002("198.51.100." + (i + 1), "user" + i, PASSWORD));
        }
        assertEquals("127.0.0.2", fake.lastHeader("token", "X-Forwarded-For"));
        assertEquals(429, rawLoginFrom127002("198.51.100.200", "bob", PASSWORD), "one address for every spoofed value");
        loginFrom("198.51.100.200", "bob", PASSWORD).statusCode(201);
    }

    private static ValidatableResponse loginFrom(String address, String username, String password) {
        return given().contentType(ContentType.JSON).header("X-Forwarded-For", address)
                .body(Map.of("username", username, "password", password))
                .when().post("/session").then();
    }

    /** A login sent over a socket bound to 127.0.0.2, claiming another address; answers the status code. */
    private int rawLoginFrom127002(String claimedAddress, String username, String password) throws IOException {
        String body = "{\"username\":\"" + username + "\",\"password\":\"" + password + "\"}";
        String request = "POST /session HTTP/1.1\r\n"
                + "Host: localhost\r\n"
                + "Content-Type: application/json\r\n"
                + "X-Forwarded-For: " + claimedAddress + "\r\n"
                + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n"
                + "Connection: close\r\n\r\n" + body;
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress("127.0.0.2", 0));
            socket.connect(new InetSocketAddress("127.0.0.1", sessionUri.getPort()), 5_000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return Integer.parseInt(answer.substring(9, 12)); // "HTTP/1.1 401 ..."
        }
    }
}
