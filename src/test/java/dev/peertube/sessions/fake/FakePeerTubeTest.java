package dev.peertube.sessions.fake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTube.Endpoint;
import io.vertx.core.json.JsonObject;

/** The fake answers like the real PeerTube of peertube-observed.md. Plain JUnit, no Quarkus. */
class FakePeerTubeTest {

    private static final String PROBLEM = "application/problem+json; charset=utf-8";
    private static final String SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

    private static FakePeerTube fake;
    private static HttpClient http;

    @BeforeAll
    static void startFake() {
        fake = new FakePeerTube("peertube.example");
        fake.start();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
    }

    @AfterAll
    static void stopFake() {
        fake.stop();
    }

    @BeforeEach
    void resetFake() {
        fake.reset();
        fake.addUser("alice", "AlicePassw0rd").email("alice@localhost.test");
    }

    // --- oauth-clients/local ------------------------------------------------------------------

    @Test
    void clientEndpointAnswersOnlyTheExactPublicHost() throws IOException {
        RawResponse ok = rawGet("/api/v1/oauth-clients/local", "peertube.example");
        assertEquals(200, ok.status);
        JsonObject client = new JsonObject(ok.body);
        assertEquals(fake.clientId(), client.getString("client_id"));
        assertEquals(fake.clientSecret(), client.getString("client_secret"));
        assertTrue(fake.clientId().matches("[a-z0-9]{32}"));
        assertTrue(fake.clientSecret().matches("[a-zA-Z0-9]{32}"));

        RawResponse withPort = rawGet("/api/v1/oauth-clients/local", "peertube.example:443");
        assertEquals(403, withPort.status);
        assertEquals(PROBLEM, withPort.header("content-type"));
        assertEquals("{\"type\":\"about:blank\",\"title\":\"Forbidden\","
                + "\"detail\":\"Getting client tokens for host peertube.example:443 is forbidden\",\"status\":403,"
                + "\"docs\":\"https://docs.joinpeertube.org/api-rest-reference.html#operation/getOAuthClient\"}",
                withPort.body);

        assertEquals(403, rawGet("/api/v1/oauth-clients/local", "PEERTUBE.EXAMPLE").status);
        assertEquals(3, fake.clientCalls());
        assertEquals("PEERTUBE.EXAMPLE", fake.lastHeader("client", "Host"));
    }

    @Test
    void unknownRouteGivesEmptyJson400() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/api/v1/does-not-exist")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, response.statusCode());
        assertEquals("", response.body());
        assertEquals("application/json; charset=utf-8", response.headers().firstValue("content-type").orElseThrow());
    }

    // --- users/token: request checks ----------------------------------------------------------------

    @Test
    void jsonBodyIsAnInvalidRequest() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/api/v1/users/token"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject(passwordForm("alice", "AlicePassw0rd")
                        .entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> (Object) e.getValue())))
                        .encode()))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertProblem(response, 400, "invalid_request",
                "Invalid request: content must be application/x-www-form-urlencoded");
        assertEquals(1, fake.tokenCalls());
        assertEquals(1, fake.passwordGrants());
    }

    @Test
    void clientCredentialsAreChecked() throws Exception {
        Map<String, String> noSecret = passwordForm("alice", "AlicePassw0rd");
        noSecret.remove("client_secret");
        assertProblem(postToken(noSecret, null), 400, "invalid_client",
                "Invalid client: cannot retrieve client credentials");

        Map<String, String> wrongSecret = passwordForm("alice", "AlicePassw0rd");
        wrongSecret.put("client_secret", "coucou");
        HttpResponse<String> response = postToken(wrongSecret, null);
        assertEquals("{\"type\":\"https://docs.joinpeertube.org/api-rest-reference.html#section/Errors/invalid_client\","
                + "\"detail\":\"Invalid client: client is invalid\",\"status\":400,"
                + "\"docs\":\"https://docs.joinpeertube.org/api-rest-reference.html#operation/getOAuthToken\","
                + "\"code\":\"invalid_client\"}", response.body());

        Map<String, String> noGrant = passwordForm("alice", "AlicePassw0rd");
        noGrant.remove("grant_type");
        assertProblem(postToken(noGrant, null), 400, "invalid_request", "Missing parameter: `grant_type`");

        Map<String, String> clientCredentials = passwordForm("alice", "AlicePassw0rd");
        clientCredentials.put("grant_type", "client_credentials");
        assertProblem(postToken(clientCredentials, null), 400, "unsupported_grant_type",
                "Unsupported grant type: `grant_type` is invalid");
    }

    // --- users/token: password grant -----------------------------------------------------------------

    @Test
    void passwordGrantReturnsAFreshTokenPair() throws Exception {
        HttpResponse<String> response = postToken(passwordForm("alice", "AlicePassw0rd"), "fake-test/1.0");
        assertEquals(200, response.statusCode());
        assertEquals("fake-test/1.0", fake.lastHeader("token", "user-agent"));
        assertEquals("no-store", response.headers().firstValue("cache-control").orElseThrow());
        assertEquals("no-cache", response.headers().firstValue("pragma").orElseThrow());
        assertEquals("application/json; charset=utf-8", response.headers().firstValue("content-type").orElseThrow());
        JsonObject body = new JsonObject(response.body());
        assertEquals(Map.of("token_type", "Bearer", "access_token", body.getString("access_token"),
                "refresh_token", body.getString("refresh_token"), "expires_in", 86399,
                "refresh_token_expires_in", 1209599), body.getMap());
        assertTrue(body.getString("access_token").matches("[0-9a-f]{40}"));
        assertTrue(body.getString("refresh_token").matches("[0-9a-f]{40}"));
        assertTrue(fake.isAccessTokenValid(body.getString("access_token")));
        assertTrue(fake.isRefreshTokenValid(body.getString("refresh_token")));
        assertTrue(fake.issuedTokens().contains(body.getString("refresh_token")));

        HttpResponse<String> me = getMe("Bearer " + body.getString("access_token"));
        assertEquals(200, me.statusCode());
        assertEquals("alice", new JsonObject(me.body()).getString("username"));

        // username case-insensitive; e-mail case-sensitive (v7); each login is a separate session
        assertEquals(200, postToken(passwordForm("ALICE", "AlicePassw0rd"), null).statusCode());
        assertEquals(200, postToken(passwordForm("alice@localhost.test", "AlicePassw0rd"), null).statusCode());
        assertEquals(400, postToken(passwordForm("Alice@localhost.test", "AlicePassw0rd"), null).statusCode());
        assertEquals(3, fake.liveTokenCount("alice"));
        assertEquals(4, fake.passwordGrants());
    }

    @Test
    void wrongPasswordAndUnknownUserGiveTheSameInvalidGrant() throws Exception {
        String expected = "{\"type\":\"https://docs.joinpeertube.org/api-rest-reference.html#section/Errors/invalid_grant\","
                + "\"detail\":\"Invalid grant: user credentials are invalid\",\"status\":400,"
                + "\"docs\":\"https://docs.joinpeertube.org/api-rest-reference.html#operation/getOAuthToken\","
                + "\"code\":\"invalid_grant\"}";
        HttpResponse<String> wrong = postToken(passwordForm("alice", "alicepassw0rd"), null);
        assertEquals(400, wrong.statusCode());
        assertEquals(PROBLEM, wrong.headers().firstValue("content-type").orElseThrow());
        assertEquals(expected, wrong.body());
        assertEquals(expected, postToken(passwordForm("bob", "AlicePassw0rd"), null).body());
    }

    @Test
    void accountStatesAreReportedAfterACorrectPassword() throws Exception {
        fake.addUser("blocked", "Passw0rd!").blocked(true);
        assertProblem(postToken(passwordForm("blocked", "Passw0rd!"), null), 400, "account_blocked", "User is blocked.");
        assertProblem(postToken(passwordForm("blocked", "wrong"), null), 400, "invalid_grant",
                "Invalid grant: user credentials are invalid");
        fake.legacyAccountErrors(true);
        assertProblem(postToken(passwordForm("blocked", "Passw0rd!"), null), 400, "access_denied", "User is blocked.");
        fake.legacyAccountErrors(false);

        fake.requireEmailVerification(true);
        fake.addUser("unverified", "Passw0rd!").emailVerified(false);
        fake.addUser("legacy", "Passw0rd!").emailVerified(null);
        assertProblem(postToken(passwordForm("unverified", "Passw0rd!"), null), 400, "email_not_verified",
                "User email is not verified.");
        assertEquals(200, postToken(passwordForm("legacy", "Passw0rd!"), null).statusCode());

        fake.addRegistration("pending", "pending@example.test", false);
        fake.addRegistration("rejected", "rejected@example.test", true);
        assertProblem(postToken(passwordForm("pending", "x"), null), 400, "account_waiting_for_approval",
                "Registration for this account is awaiting approval");
        assertProblem(postToken(passwordForm("REJECTED@example.test", "x"), null), 400, "account_approval_rejected",
                "Registration approval for this account has been rejected");

        fake.addUser("plugin", "Passw0rd!").pluginAuth(true);
        assertProblem(postToken(passwordForm("plugin", "Passw0rd!"), null), 400, "invalid_grant",
                "Invalid grant: user credentials are invalid");

        assertProblem(postToken(passwordForm("alice", "é".repeat(37)), null), 400, "too_long_password",
                "Password is too long. Please reset it using the password reset procedure.");
    }

    @Test
    void twoFactorAccountsNeedTheOtpHeader() throws Exception {
        fake.user("alice").otpSecret(SECRET);

        HttpResponse<String> missing = postToken(passwordForm("alice", "AlicePassw0rd"), null);
        assertProblem(missing, 401, "missing_two_factor", "Missing two factor header");
        assertEquals("required; app", missing.headers().firstValue("x-peertube-otp").orElseThrow());

        String wrongCode = Totp.code(SECRET, Instant.now().minusSeconds(120));
        HttpResponse<String> wrong = postToken(passwordForm("alice", "AlicePassw0rd"), null, "x-peertube-otp", wrongCode);
        assertProblem(wrong, 400, "invalid_two_factor", "Invalid two factor header");
        assertTrue(wrong.headers().firstValue("x-peertube-otp").isEmpty());

        HttpResponse<String> wrongPassword = postToken(passwordForm("alice", "nope"), null, "x-peertube-otp", Totp.now(SECRET));
        assertProblem(wrongPassword, 400, "invalid_grant", "Invalid grant: user credentials are invalid");

        HttpResponse<String> ok = postToken(passwordForm("alice", "AlicePassw0rd"), null, "x-peertube-otp", Totp.now(SECRET));
        assertEquals(200, ok.statusCode());
        assertEquals(Totp.now(SECRET), fake.lastHeader("token", "X-PeerTube-OTP"));

        // the refresh grant never asks for the OTP
        String refresh = new JsonObject(ok.body()).getString("refresh_token");
        assertEquals(200, postToken(refreshForm(refresh), null).statusCode());
    }

    @Test
    void totpMatchesTheRfc6238Vectors() {
        String rfcSecret = Totp.encodeBase32("12345678901234567890".getBytes(StandardCharsets.US_ASCII));
        assertEquals("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", rfcSecret);
        assertEquals("287082", Totp.code(rfcSecret, Instant.ofEpochSecond(59)));
        assertEquals("081804", Totp.code(rfcSecret, Instant.ofEpochSecond(1111111109)));
        assertEquals("005924", Totp.code(rfcSecret, Instant.ofEpochSecond(1234567890)));
        Instant now = Instant.ofEpochSecond(1_800_000_015);
        assertTrue(Totp.isValid(rfcSecret, Totp.code(rfcSecret, now.minusSeconds(30)), now));
        assertFalse(Totp.isValid(rfcSecret, Totp.code(rfcSecret, now.minusSeconds(60)), now));
        assertTrue(Totp.randomSecret().matches("[A-Z2-7]{32}"));
    }

    @Test
    void externalAuthTokensAreSingleUse() throws Exception {
        String token = fake.issueExternalAuthToken("kefka");
        Map<String, String> form = passwordForm("kefka", null);
        form.put("externalAuthToken", token);
        assertEquals(200, postToken(form, null).statusCode());
        assertProblem(postToken(form, null), 400, "Error", "Cannot authenticate user with unknown bypass token");
    }

    @Test
    void lifetimesGiveExpiresInOneSecondShort() throws Exception {
        fake.tokenLifetimes(Duration.ofSeconds(4), Duration.ofSeconds(12));
        JsonObject body = new JsonObject(postToken(passwordForm("alice", "AlicePassw0rd"), null).body());
        assertEquals(3, body.getInteger("expires_in"));
        assertEquals(11, body.getInteger("refresh_token_expires_in"));

        fake.expireRefreshToken(body.getString("refresh_token"));
        assertProblem(postToken(refreshForm(body.getString("refresh_token")), null), 400, "invalid_grant",
                "Invalid grant: refresh token has expired");
        assertProblem(getMe("Bearer " + body.getString("access_token")), 401, "invalid_token", "Token is invalid");
    }

    // --- users/token: refresh grant ---------------------------------------------------------------

    @Test
    void refreshRotatesBothTokens() throws Exception {
        JsonObject first = login();
        HttpResponse<String> refreshed = postToken(refreshForm(first.getString("refresh_token")), null);
        assertEquals(200, refreshed.statusCode());
        assertEquals("no-store", refreshed.headers().firstValue("cache-control").orElseThrow());
        JsonObject second = new JsonObject(refreshed.body());
        assertNotEquals(first.getString("access_token"), second.getString("access_token"));
        assertNotEquals(first.getString("refresh_token"), second.getString("refresh_token"));
        assertEquals(86399, second.getInteger("expires_in"));

        assertProblem(postToken(refreshForm(first.getString("refresh_token")), null), 400, "invalid_grant",
                "Invalid grant: refresh token is invalid");
        assertFalse(fake.isAccessTokenValid(first.getString("access_token")));
        assertProblem(getMe("Bearer " + first.getString("access_token")), 401, "invalid_token", "Token is invalid");
        assertTrue(fake.isAccessTokenValid(second.getString("access_token")));
        assertProblem(postToken(refreshForm(null), null), 400, "invalid_request", "Missing parameter: `refresh_token`");

        fake.rotateClient();
        assertProblem(postToken(refreshForm(second.getString("refresh_token")), null), 400, "invalid_grant",
                "Invalid grant: refresh token is invalid");
        assertEquals(4, fake.refreshGrants());
        assertEquals(1, fake.passwordGrants());
        assertEquals(5, fake.tokenCalls());
    }

    @Test
    void concurrentLoginsAndRefreshesAreSafe() throws Exception {
        fake.concurrentRefreshWindow(Duration.ofSeconds(5));
        String refresh = login().getString("refresh_token");
        List<CompletableFuture<HttpResponse<String>>> logins = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> refreshes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            logins.add(http.sendAsync(tokenRequest(passwordForm("alice", "AlicePassw0rd"), null),
                    HttpResponse.BodyHandlers.ofString()));
            refreshes.add(http.sendAsync(tokenRequest(refreshForm(refresh), null), HttpResponse.BodyHandlers.ofString()));
        }
        Set<String> accessTokens = new HashSet<>();
        for (CompletableFuture<HttpResponse<String>> response : logins) {
            assertEquals(200, response.get().statusCode());
            accessTokens.add(new JsonObject(response.get().body()).getString("access_token"));
        }
        for (CompletableFuture<HttpResponse<String>> response : refreshes) {
            // like the real, non-atomic rotation: every use within the window mints its own pair
            assertEquals(200, response.get().statusCode());
            accessTokens.add(new JsonObject(response.get().body()).getString("access_token"));
        }
        assertEquals(20, accessTokens.size());
        assertEquals(20, fake.liveTokenCount("alice"));
        assertEquals(21, fake.tokenCalls());
    }

    // --- users/revoke-token and users/me ------------------------------------------------------------

    @Test
    void revokeKillsThePairAndIsNotIdempotent() throws Exception {
        JsonObject other = login();
        JsonObject session = login();
        String access = session.getString("access_token");

        HttpResponse<String> revoked = postRevoke("Bearer " + access);
        assertEquals(200, revoked.statusCode());
        assertEquals("{\"success\":true}", revoked.body());
        assertFalse(fake.isAccessTokenValid(access));
        assertFalse(fake.isRefreshTokenValid(session.getString("refresh_token")));
        assertTrue(fake.isAccessTokenValid(other.getString("access_token")));

        HttpResponse<String> again = postRevoke("Bearer " + access);
        assertEquals(401, again.statusCode());
        assertEquals("{\"type\":\"https://docs.joinpeertube.org/api-rest-reference.html#section/Errors/invalid_token\","
                + "\"detail\":\"Token is invalid\",\"status\":401,"
                + "\"docs\":\"https://docs.joinpeertube.org/api-rest-reference.html#operation/revokeOAuthToken\","
                + "\"code\":\"invalid_token\"}", again.body());
        assertEquals(1, fake.revocations(access));
        assertTrue(fake.wasRevoked(access));
        assertEquals(2, fake.revokeAttempts(access));

        assertProblem(postRevoke(null), 401, "unauthorized_request", "Token is invalid");
        assertProblem(postRevoke("bearer " + other.getString("access_token")), 400, "invalid_request", "Token is invalid");
        assertEquals(4, fake.revokeCalls());

        HttpResponse<String> meError = getMe(null);
        assertEquals("{\"type\":\"https://docs.joinpeertube.org/api-rest-reference.html#section/Errors/unauthorized_request\","
                + "\"detail\":\"Token is invalid\",\"status\":401,\"code\":\"unauthorized_request\"}", meError.body());
    }

    @Test
    void blockingDeletesTheUsersTokens() throws Exception {
        JsonObject session = login();
        fake.block("alice");
        assertFalse(fake.isAccessTokenValid(session.getString("access_token")));
        assertEquals(0, fake.liveTokenCount("alice"));
        assertProblem(postToken(passwordForm("alice", "AlicePassw0rd"), null), 400, "account_blocked", "User is blocked.");
    }

    // --- rate limits and lockout ------------------------------------------------------------------------

    @Test
    void loginRateLimitAnswersPlainText429() throws Exception {
        fake.loginRateLimit(3, Duration.ofMinutes(5));
        HttpResponse<String> first = postToken(passwordForm("alice", "AlicePassw0rd"), null);
        assertEquals("3", first.headers().firstValue("x-ratelimit-limit").orElseThrow());
        assertEquals("2", first.headers().firstValue("x-ratelimit-remaining").orElseThrow());
        postToken(passwordForm("alice", "wrong"), null);
        postToken(refreshForm("garbage"), null);

        HttpResponse<String> limited = postToken(passwordForm("alice", "AlicePassw0rd"), null);
        assertEquals(429, limited.statusCode());
        assertEquals("text/html; charset=utf-8", limited.headers().firstValue("content-type").orElseThrow());
        assertEquals("Too many requests, please try again later.", limited.body());
        long retryAfter = Long.parseLong(limited.headers().firstValue("retry-after").orElseThrow());
        assertTrue(retryAfter > 290 && retryAfter <= 300, "Retry-After " + retryAfter);
        assertEquals("0", limited.headers().firstValue("x-ratelimit-remaining").orElseThrow());
        assertTrue(limited.headers().firstValue("x-ratelimit-reset").isPresent());

        // another client address (X-Forwarded-For from loopback) has its own budget
        assertEquals(200, postToken(passwordForm("alice", "AlicePassw0rd"), null, "X-Forwarded-For", "198.51.100.7")
                .statusCode());
        assertEquals(5, fake.tokenCalls());
    }

    @Test
    void lockoutRefusesEvenTheRightPassword() throws Exception {
        fake.loginLockout(true);
        for (int i = 0; i < 10; i++) {
            postToken(passwordForm("alice", "wrong"), null);
        }
        assertProblem(postToken(passwordForm("alice", "AlicePassw0rd"), null), 429, "too_many_login_failures",
                "Too many login attempts for this account. Please try again later.");
    }

    // --- faults ---------------------------------------------------------------------------------------

    @Test
    void closeConnectionFaultDropsTheRequestWithoutEffect() throws Exception {
        fake.injectFault(Endpoint.TOKEN, Fault.closeConnection(), 1);
        HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        assertThrows(IOException.class, () -> fresh.send(tokenRequest(passwordForm("alice", "AlicePassw0rd"), null),
                HttpResponse.BodyHandlers.ofString()));
        assertEquals(1, fake.tokenCalls());
        assertEquals(0, fake.liveTokenCount("alice"));
        assertEquals(200, postToken(passwordForm("alice", "AlicePassw0rd"), null).statusCode());
    }

    @Test
    void closeAfterProcessingLosesTheResponseButRotates() throws Exception {
        JsonObject session = login();
        fake.injectFault(Endpoint.ANY, FakePeerTube.Fault.closeAfterProcessing(), 1);
        HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        assertThrows(IOException.class, () -> fresh.send(tokenRequest(refreshForm(session.getString("refresh_token")), null),
                HttpResponse.BodyHandlers.ofString()));
        assertFalse(fake.isRefreshTokenValid(session.getString("refresh_token")));
        assertEquals(1, fake.liveTokenCount("alice"));
        assertEquals(0, fake.pendingFaults());
    }

    @Test
    void statusAndDelayFaultsAreConsumedInOrder() throws Exception {
        fake.injectFault(Endpoint.TOKEN, Fault.status(503), 1);
        fake.injectFault(Endpoint.TOKEN, Fault.delay(Duration.ofMillis(300)), 1);
        fake.injectFault(Endpoint.REVOKE, Fault.rateLimited(7), 1);

        HttpResponse<String> unavailable = postToken(passwordForm("alice", "AlicePassw0rd"), null);
        assertEquals(503, unavailable.statusCode());
        assertEquals("{\"type\":\"about:blank\",\"title\":\"Service Unavailable\",\"status\":503}", unavailable.body());
        assertEquals(0, fake.liveTokenCount("alice"));

        long start = System.nanoTime();
        HttpResponse<String> slow = postToken(passwordForm("alice", "AlicePassw0rd"), null);
        assertEquals(200, slow.statusCode());
        assertTrue(System.nanoTime() - start >= Duration.ofMillis(300).toNanos());

        HttpResponse<String> limited = postRevoke("Bearer " + new JsonObject(slow.body()).getString("access_token"));
        assertEquals(429, limited.statusCode());
        assertEquals("7", limited.headers().firstValue("retry-after").orElseThrow());
        assertEquals(200, postToken(passwordForm("alice", "AlicePassw0rd"), null).statusCode());
        assertEquals(3, fake.tokenCalls());
    }

    @Test
    void stopListeningRefusesConnectionsAndKeepsState() throws Exception {
        JsonObject session = login();
        int port = fake.port();
        fake.stopListening();
        try {
            assertTrue(refused(port), "a connection to the stopped fake's port was accepted");
        } finally {
            fake.startListening(); // the other tests of this class share the fake
        }
        assertEquals(port, fake.port());
        assertEquals(200, getMe("Bearer " + session.getString("access_token")).statusCode());
    }

    // --- helpers ------------------------------------------------------------------------------------

    /**
     * True when nothing listens on this loopback port. A connection whose local port is the port
     * itself is Linux's TCP self-connect (possible on a free port of the ephemeral range), not a
     * listener: it counts as refused.
     */
    private static boolean refused(int port) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            return socket.getLocalPort() == port;
        } catch (ConnectException expected) {
            return true;
        }
    }

    private static URI uri(String path) {
        return URI.create(fake.url() + path);
    }

    private static Map<String, String> passwordForm(String username, String password) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("client_id", fake.clientId());
        form.put("client_secret", fake.clientSecret());
        form.put("grant_type", "password");
        form.put("response_type", "code");
        form.put("username", username);
        if (password != null) {
            form.put("password", password);
        }
        return form;
    }

    private static Map<String, String> refreshForm(String refreshToken) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("client_id", fake.clientId());
        form.put("client_secret", fake.clientSecret());
        form.put("grant_type", "refresh_token");
        if (refreshToken != null) {
            form.put("refresh_token", refreshToken);
        }
        return form;
    }

    private static HttpRequest tokenRequest(Map<String, String> form, String userAgent, String... headers) {
        String body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri("/api/v1/users/token"))
                .header("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (userAgent != null) {
            builder.header("User-Agent", userAgent);
        }
        if (headers.length > 0) {
            builder.headers(headers);
        }
        return builder.build();
    }

    private static HttpResponse<String> postToken(Map<String, String> form, String userAgent, String... headers)
            throws IOException, InterruptedException {
        return http.send(tokenRequest(form, userAgent, headers), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject login() throws IOException, InterruptedException {
        HttpResponse<String> response = postToken(passwordForm("alice", "AlicePassw0rd"), null);
        assertEquals(200, response.statusCode());
        return new JsonObject(response.body());
    }

    private static HttpResponse<String> postRevoke(String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri("/api/v1/users/revoke-token"))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> getMe(String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri("/api/v1/users/me")).GET();
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertProblem(HttpResponse<String> response, int status, String code, String detail) {
        assertEquals(status, response.statusCode(), response::body);
        assertEquals(PROBLEM, response.headers().firstValue("content-type").orElseThrow());
        JsonObject body = new JsonObject(response.body());
        assertEquals(code, body.getString("code"));
        assertEquals(detail, body.getString("detail"));
        assertEquals(status, body.getInteger("status"));
        assertEquals("https://docs.joinpeertube.org/api-rest-reference.html#section/Errors/" + code, body.getString("type"));
        assertNull(body.getString("title"));
    }

    /** java.net.http refuses to set Host, so the Host-check requests are written by hand. */
    private static RawResponse rawGet(String path, String host) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", fake.port())) {
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            in.transferTo(buffer);
            return RawResponse.parse(buffer.toString(StandardCharsets.UTF_8));
        }
    }

    private record RawResponse(int status, Map<String, String> headers, String body) {
        static RawResponse parse(String raw) {
            int end = raw.indexOf("\r\n\r\n");
            String[] lines = raw.substring(0, end).split("\r\n");
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(), lines[i].substring(colon + 1).trim());
            }
            return new RawResponse(Integer.parseInt(lines[0].split(" ")[1]), headers, raw.substring(end + 4));
        }

        String header(String name) {
            return headers.get(name);
        }
    }
}
