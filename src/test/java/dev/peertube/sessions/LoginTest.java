package dev.peertube.sessions;

import static dev.peertube.sessions.SessionCalls.body;
import static dev.peertube.sessions.SessionCalls.login;
import static dev.peertube.sessions.SessionCalls.sessionOf;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import dev.peertube.sessions.fake.Totp;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;

/** {@code POST /session}: every answer of design.md's login rows, against the fake PeerTube. */
@QuarkusTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class LoginTest extends ServiceTestBase {

    @Test
    void loginAnswersSessionAndAccessTokenButNeverTheRefreshToken() {
        Instant before = Instant.now();
        ExtractableResponse<Response> answer = login("alice", PASSWORD)
                .statusCode(201)
                .contentType(ContentType.JSON)
                .header("Cache-Control", "no-store")
                .body("sessionId", matchesPattern("[A-Za-z0-9_-]{64}"))
                .body("tokenType", equalTo("Bearer"))
                .body("accessToken", matchesPattern("[0-9a-f]{40}"))
                .body("$", not(hasKey("refreshToken")))
                .extract();
        String accessToken = answer.path("accessToken");
        assertTrue(fake.isAccessTokenValid(accessToken));
        Instant expiresAt = Instant.parse(answer.path("expiresAt"));
        Instant sessionExpiresAt = Instant.parse(answer.path("sessionExpiresAt"));
        assertTrue(Duration.between(before, expiresAt).toSeconds() >= 86_390, "access expiry follows expires_in");
        assertTrue(Duration.between(before, sessionExpiresAt).toSeconds() >= 1_209_590, "session expiry follows refresh_token_expires_in");
        for (String token : fake.issuedTokens()) {
            assertFalse(answer.asString().contains(token) && !token.equals(accessToken), "no other token in the answer");
        }
    }

    @Test
    void loginMakesExactlyOneTokenCallAndFetchesTheClientOnlyOnce() {
        sessionOf("alice", PASSWORD);
        int clientCalls = fake.clientCalls();
        int grantsBefore = fake.passwordGrants();
        for (int i = 0; i < 5; i++) {
            sessionOf("alice", PASSWORD);
        }
        assertEquals(grantsBefore + 5, fake.passwordGrants(), "one password grant per login");
        assertEquals(clientCalls, fake.clientCalls(), "the OAuth client is cached in memory");
        assertTrue(clientCalls <= 1);
    }

    @Test
    void sessionIsStoredEncryptedWithTheRefreshTokensLifetimeAsTtl() {
        String accessToken = login("alice", PASSWORD).statusCode(201).extract().path("accessToken");
        List<String> keys = redis.sessionKeys();
        assertEquals(1, keys.size());
        long ttl = redis.pttl(keys.get(0));
        assertTrue(ttl > Duration.ofDays(14).minusMinutes(1).toMillis() && ttl <= Duration.ofDays(14).toMillis(), "TTL = refresh expiry, was " + ttl);
        String stored = new String(redis.getBytes(keys.get(0)), StandardCharsets.ISO_8859_1);
        assertFalse(stored.contains(accessToken));
        fake.issuedTokens().forEach(token -> assertFalse(stored.contains(token)));
    }

    @Test
    void loginSendsThePublicHostAndOneConstantUserAgent() {
        sessionOf("alice", PASSWORD);
        fake.rotateClient(); // forces a second fetch of the client
        sessionOf("alice", PASSWORD);
        assertEquals("peertube.example", fake.lastHeader("client", "Host"));
        assertEquals("peertube-session-service/1", fake.lastHeader("client", "User-Agent"));
        assertEquals("peertube-session-service/1", fake.lastHeader("token", "User-Agent"));
    }

    @Test
    void aRotatedClientIsFetchedAgainOnceAndTheLoginSucceeds() {
        sessionOf("alice", PASSWORD);
        int clientCalls = fake.clientCalls();
        fake.rotateClient();
        sessionOf("alice", PASSWORD);
        assertEquals(clientCalls + 1, fake.clientCalls());
    }

    @Test
    void wrongPasswordIsInvalidCredentials() {
        login("alice", "wrong password").statusCode(401)
                .contentType("application/problem+json")
                .header("WWW-Authenticate", "Bearer")
                .body("code", equalTo("invalid_credentials"))
                .body("status", equalTo(401))
                .body("type", notNullValue())
                .body("title", notNullValue())
                .body("detail", not(containsString("wrong password")));
        assertTrue(redis.sessionKeys().isEmpty());
    }

    @Test
    void unknownUserIsInvalidCredentials() {
        login("nobody", PASSWORD).statusCode(401).body("code", equalTo("invalid_credentials"));
    }

    @Test
    void twoFactorAccountWithoutOtpIsOtpRequired() {
        fake.addUser("bob", PASSWORD).otpSecret(Totp.randomSecret());
        login("bob", PASSWORD).statusCode(401).body("code", equalTo("otp_required"));
    }

    @Test
    void twoFactorAccountWithWrongOtpIsInvalidOtp() {
        String secret = Totp.randomSecret();
        fake.addUser("bob", PASSWORD).otpSecret(secret);
        String wrong = Totp.now(secret).equals("000000") ? "111111" : "000000";
        login(body("bob", PASSWORD, wrong)).statusCode(401).body("code", equalTo("invalid_otp"));
    }

    @Test
    void twoFactorAccountWithCurrentOtpLogsIn() {
        String secret = Totp.randomSecret();
        fake.addUser("bob", PASSWORD).otpSecret(secret);
        String otp = Totp.now(secret);
        login(body("bob", PASSWORD, otp)).statusCode(201).body("sessionId", notNullValue());
        assertEquals(otp, fake.lastHeader("token", "x-peertube-otp"));
    }

    @Test
    void externalAuthTokenLogsInWithoutPassword() {
        String token = fake.issueExternalAuthToken("carol");
        Map<String, Object> body = new HashMap<>(body("carol", null, null));
        body.put("externalAuthToken", token);
        login(body).statusCode(201).body("accessToken", notNullValue());
    }

    @Test
    void unknownExternalAuthTokenIsInvalidCredentials() {
        Map<String, Object> body = new HashMap<>(body("carol", null, null));
        body.put("externalAuthToken", "0123456789abcdef0123456789abcdef");
        login(body).statusCode(401).body("code", equalTo("invalid_credentials"));
    }

    @Test
    void blockedAccountIsAccountBlocked() {
        fake.addUser("dave", PASSWORD).blocked(true);
        login("dave", PASSWORD).statusCode(403).body("code", equalTo("account_blocked"));
    }

    @Test
    void olderPeerTubesAccessDeniedIsPassedOnAsItIs() {
        fake.legacyAccountErrors(true);
        fake.addUser("dave", PASSWORD).blocked(true);
        login("dave", PASSWORD).statusCode(403).body("code", equalTo("access_denied"));
    }

    @Test
    void unverifiedEmailIsEmailNotVerified() {
        fake.requireEmailVerification(true);
        fake.addUser("erin", PASSWORD).emailVerified(false);
        login("erin", PASSWORD).statusCode(403).body("code", equalTo("email_not_verified"));
    }

    @Test
    void pendingRegistrationIsAccountPendingApproval() {
        fake.addRegistration("frank", "frank@example.test", false);
        login("frank", PASSWORD).statusCode(403).body("code", equalTo("account_pending_approval"));
    }

    @Test
    void rejectedRegistrationIsAccountRejected() {
        fake.addRegistration("frank", "frank@example.test", true);
        login("frank", PASSWORD).statusCode(403).body("code", equalTo("account_rejected"));
    }

    @Test
    void passwordOverPeerTubesLimitIsPasswordTooLong() {
        login("alice", "x".repeat(100)).statusCode(400).body("code", equalTo("password_too_long"));
    }

    @Test
    void lockedAccountIsAccountLocked() {
        fake.loginLockout(true);
        for (int i = 0; i < 10; i++) {
            login("alice", "wrong").statusCode(401);
        }
        login("alice", PASSWORD).statusCode(429).body("code", equalTo("account_locked"));
    }

    @Test
    void peerTubeRateLimitIsPassedOnWithRetryAfterAndNotRemembered() {
        fake.loginRateLimit(2, Duration.ofMinutes(5));
        sessionOf("alice", PASSWORD);
        sessionOf("alice", PASSWORD);
        int calls = fake.tokenCalls();
        login("alice", PASSWORD).statusCode(429)
                .contentType("application/problem+json")
                .body("code", equalTo("rate_limited"))
                .header("Retry-After", matchesPattern("\\d+"));
        login("alice", PASSWORD).statusCode(429);
        assertEquals(calls + 2, fake.tokenCalls(), "each login asks PeerTube again, never retried");
    }

    @Test
    void badInputIsInvalidRequestAndNeverReachesPeerTube() {
        int calls = fake.tokenCalls();
        for (String bad : List.of("{", "[]", "null", "", "\"alice\"", "{\"username\":\"alice\"}", "{\"password\":\"x\"}",
                "{\"username\":12,\"password\":\"x\"}", "{\"username\":\"alice\",\"password\":[\"x\"]}",
                "{\"username\":\"alice\",\"password\":\"x\",\"otp\":\"12345\"}",
                "{\"username\":\"alice\",\"password\":\"x\",\"otp\":\"12345a\"}",
                "{\"username\":\"alice\",\"password\":\"x\",\"otp\":123456}",
                "{\"username\":\"" + "u".repeat(256) + "\",\"password\":\"x\"}",
                "{\"username\":\"alice\",\"password\":\"" + "é".repeat(513) + "\"}",
                "{\"username\":\"alice\",\"externalAuthToken\":\"" + "t".repeat(257) + "\"}")) {
            given().contentType(ContentType.JSON).body(bad).when().post("/session").then()
                    .statusCode(400)
                    .contentType("application/problem+json")
                    .body("code", equalTo("invalid_request"));
        }
        assertEquals(calls, fake.tokenCalls());
    }

    @Test
    void bodyThatIsNotJsonIsUnsupportedMediaType() {
        given().contentType(ContentType.TEXT).body("username=alice").when().post("/session").then()
                .statusCode(415)
                .contentType("application/problem+json")
                .body("code", equalTo("invalid_request"));
        given().contentType(ContentType.URLENC).formParam("username", "alice").when().post("/session").then()
                .statusCode(415)
                .body("code", equalTo("invalid_request"));
    }
}
