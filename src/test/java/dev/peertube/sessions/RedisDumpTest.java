package dev.peertube.sessions;

import static dev.peertube.sessions.SessionCalls.body;
import static dev.peertube.sessions.SessionCalls.current;
import static dev.peertube.sessions.SessionCalls.login;
import static dev.peertube.sessions.SessionCalls.logout;
import static dev.peertube.sessions.SessionCalls.refresh;
import static dev.peertube.sessions.SessionCalls.sessionOf;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTube;
import dev.peertube.sessions.fake.FakePeerTubeResource;
import dev.peertube.sessions.fake.Totp;
import dev.peertube.sessions.store.SessionTicket;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Whoever reads the service's Redis learns nothing usable: every key and value of the database,
 * after logins, refreshes, logouts and a queued revocation, holds no token, session id, password,
 * client secret or OTP; a session record opens only under its own key, with its own session id.
 */
@QuarkusTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class RedisDumpTest {

    static final TestRedis redis = new TestRedis();

    FakePeerTube fake;

    @BeforeEach
    void reset() {
        fake = FakePeerTubeResource.fake();
        fake.reset();
        redis.deleteAll();
    }

    @AfterEach
    void restore() {
        fake.startListening();
    }

    @AfterAll
    static void closeRedis() {
        redis.deleteAll();
        redis.close();
    }

    @Test
    void dumpOfTheWholeDatabaseHoldsNoSecret() {
        Secrets secrets = new Secrets();
        String alicePassword = "alice-" + UUID.randomUUID();
        String bobPassword = "bob-" + UUID.randomUUID();
        String carolPassword = "carol-" + UUID.randomUUID();
        String bobSeed = Totp.randomSecret();
        fake.addUser("alice", alicePassword);
        fake.addUser("bob", bobPassword).otpSecret(bobSeed);
        fake.addUser("carol", carolPassword);
        secrets.add("alice's password", alicePassword).add("bob's password", bobPassword).add("carol's password", carolPassword)
                .add("bob's TOTP seed", bobSeed);

        List<String> sessionIds = new ArrayList<>();
        String alice1 = sessionOf("alice", alicePassword);
        String alice2 = sessionOf("alice", alicePassword);
        login("bob", bobPassword).statusCode(401).body("code", equalTo("otp_required"));
        String otp = Totp.now(bobSeed);
        secrets.add("bob's OTP", otp);
        String bob = login(body("bob", bobPassword, otp)).statusCode(201).extract().path("sessionId");
        String carol = sessionOf("carol", carolPassword);
        String externalToken = fake.issueExternalAuthToken("dave");
        secrets.add("dave's external auth token", externalToken);
        Map<String, Object> daveLogin = new HashMap<>(body("dave", null, null));
        daveLogin.put("externalAuthToken", externalToken);
        String dave = login(daveLogin).statusCode(201).extract().path("sessionId");
        login("carol", "wrong-" + carolPassword).statusCode(401);
        sessionIds.addAll(List.of(alice1, alice2, bob, carol, dave));

        refresh(alice1).statusCode(200);
        refresh(bob).statusCode(200);
        current(dave).statusCode(200);
        logout(carol).statusCode(204);
        fake.stopListening();
        logout(alice2).statusCode(202); // queued: PeerTube is down

        sessionIds.forEach(secrets::addSessionId);
        fake.issuedTokens().forEach(token -> secrets.add("token " + token.substring(0, 6) + "…", token));
        secrets.add("client secret", fake.clientSecret());
        secrets.add("client id", fake.clientId());

        List<String> keys = redis.allKeys();
        int values = 0;
        List<String> leaks = new ArrayList<>();
        for (String key : keys) {
            secrets.foundIn(key).forEach(found -> leaks.add(found + " in the key " + key));
            for (byte[] value : redis.values(key)) {
                values++;
                secrets.foundIn(value).forEach(found -> leaks.add(found + " in the value of " + key));
            }
        }
        assertEquals(List.of(), leaks);
        // the dump is not trivially empty: three live sessions, the queued revocation, the login counters
        assertEquals(3, redis.sessionKeys().size(), keys.toString());
        assertEquals(1, redis.sortedSetMembers(RedisTestResource.KEY_PREFIX + "revocations").size(), keys.toString());
        assertTrue(keys.stream().anyMatch(k -> k.contains("login-limit:user:")), keys.toString());
        assertTrue(values >= 7, "values read: " + values);
        assertTrue(secrets.size() > 20);
        for (String key : keys) {
            assertTrue(!key.toLowerCase().contains("alice") && !key.contains("127.0.0.1"), "no username or address in " + key);
        }
    }

    @Test
    void tamperedRecordIsSessionNotFound() {
        fake.addUser("alice", "alice-password");
        String sessionId = sessionOf("alice", "alice-password");
        String key = keyOf(sessionId);
        byte[] record = redis.getBytes(key);
        record[record.length / 2] ^= 0x01;
        redis.setBytes(key, record);
        current(sessionId).statusCode(401).body("code", equalTo("session_not_found"));
        refresh(sessionId).statusCode(401).body("code", equalTo("session_not_found"));
        assertEquals(0, fake.refreshGrants());
    }

    @Test
    void truncatedRecordIsSessionNotFound() {
        fake.addUser("alice", "alice-password");
        String sessionId = sessionOf("alice", "alice-password");
        String key = keyOf(sessionId);
        byte[] record = redis.getBytes(key);
        for (int length : new int[] { record.length - 1, 29, 13, 1, 0 }) {
            redis.setBytes(key, Arrays.copyOf(record, length));
            current(sessionId).statusCode(401).body("code", equalTo("session_not_found"));
        }
    }

    @Test
    void recordCopiedUnderAnotherSessionsKeyIsSessionNotFound() {
        fake.addUser("alice", "alice-password");
        fake.addUser("mallory", "mallory-password");
        String victim = sessionOf("alice", "alice-password");
        String attacker = sessionOf("mallory", "mallory-password");
        redis.setBytes(keyOf(attacker), redis.getBytes(keyOf(victim)));
        current(attacker).statusCode(401).body("code", equalTo("session_not_found"));
        current(victim).statusCode(200);
    }

    @Test
    void recordDecryptsOnlyWithItsOwnSessionId() {
        fake.addUser("alice", "alice-password");
        String sessionId = sessionOf("alice", "alice-password");
        String other = sessionOf("alice", "alice-password");
        // the lookup id of one session with the secret of another: the same Redis key, the wrong key to decrypt
        String forged = sessionId.substring(0, 22) + other.substring(22);
        assertEquals(keyOf(sessionId), keyOf(forged));
        current(forged).statusCode(401).body("code", equalTo("session_not_found"));
        current(sessionId).statusCode(200);
        assertTrue(new String(redis.getBytes(keyOf(sessionId)), StandardCharsets.ISO_8859_1).length() > 0);
    }

    private static String keyOf(String sessionId) {
        return RedisTestResource.KEY_PREFIX + "session:{" + SessionTicket.parse(sessionId).orElseThrow().lookupKey() + "}";
    }
}
