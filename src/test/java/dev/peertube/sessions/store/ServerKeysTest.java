package dev.peertube.sessions.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.quarkus.runtime.LaunchMode;

/** SESSION_ENCRYPTION_KEYS: required in prod, rotation by putting the new key first. */
class ServerKeysTest {

    static final String QUEUE = "pts:revocations";
    static final byte[] DATA = "queued tokens".getBytes(StandardCharsets.UTF_8);

    final SecureRandom random = new SecureRandom();
    final String keyA = newKey();
    final String keyB = newKey();

    @Test
    void recordWrittenWithTheOldKeyDecryptsAfterRotation() {
        byte[] record = keys(keyA).encrypt(QUEUE, DATA);
        assertArrayEquals(DATA, keys(keyB, keyA).decrypt(QUEUE, record).orElseThrow());
    }

    @Test
    void recordWrittenWithARetiredKeyNoLongerDecrypts() {
        byte[] record = keys(keyA).encrypt(QUEUE, DATA);
        assertTrue(keys(keyB).decrypt(QUEUE, record).isEmpty());
    }

    @Test
    void theFirstKeyEncrypts() {
        byte[] record = keys(keyB, keyA).encrypt(QUEUE, DATA);
        assertArrayEquals(DATA, keys(keyB).decrypt(QUEUE, record).orElseThrow());
        assertTrue(keys(keyA).decrypt(QUEUE, record).isEmpty());
    }

    @Test
    void recordIsBoundToItsRedisKeyAndTamperingIsDetected() {
        ServerKeys keys = keys(keyA);
        byte[] record = keys.encrypt(QUEUE, DATA);
        assertTrue(keys.decrypt("pts:other", record).isEmpty());
        for (int i = 0; i < record.length; i++) {
            byte[] tampered = record.clone();
            tampered[i] ^= 0x01;
            assertTrue(keys.decrypt(QUEUE, tampered).isEmpty(), "byte " + i + " flipped");
        }
        assertTrue(keys.decrypt(QUEUE, new byte[4]).isEmpty());
    }

    @Test
    void prodRefusesToStartWithoutKeysAndNamesTheSetting() {
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> new ServerKeys(List.of(), LaunchMode.NORMAL));
        assertTrue(refused.getMessage().contains("SESSION_ENCRYPTION_KEYS"), refused.getMessage());
        assertThrows(IllegalStateException.class, () -> new ServerKeys(List.of(" ", ""), LaunchMode.NORMAL));
    }

    @Test
    void devAndTestGenerateAKeyPerRun() {
        ServerKeys first = new ServerKeys(List.of(), LaunchMode.TEST);
        ServerKeys second = new ServerKeys(List.of(), LaunchMode.DEVELOPMENT);
        byte[] record = first.encrypt(QUEUE, DATA);
        assertArrayEquals(DATA, first.decrypt(QUEUE, record).orElseThrow());
        assertTrue(second.decrypt(QUEUE, record).isEmpty(), "each run has its own key");
    }

    @Test
    void malformedKeysAreRefusedWithoutEchoingThem() {
        String notBase64 = "not base64 at all!";
        IllegalStateException bad = assertThrows(IllegalStateException.class, () -> new ServerKeys(List.of(keyA, notBase64), LaunchMode.NORMAL));
        assertTrue(bad.getMessage().contains("SESSION_ENCRYPTION_KEYS") && bad.getMessage().contains("#2"), bad.getMessage());
        assertFalse(bad.getMessage().contains(notBase64));
        String shortKey = Base64.getEncoder().encodeToString(new byte[16]);
        IllegalStateException wrongLength = assertThrows(IllegalStateException.class, () -> new ServerKeys(List.of(shortKey), LaunchMode.NORMAL));
        assertTrue(wrongLength.getMessage().contains("32 bytes"), wrongLength.getMessage());
        assertFalse(wrongLength.getMessage().contains(shortKey));
    }

    @Test
    void base64UrlKeysAreAcceptedToo() {
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        raw[0] = (byte) 0xfb; // makes '-' or '_' likely in base64url
        String url = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        String standard = Base64.getEncoder().encodeToString(raw);
        byte[] record = keys(standard).encrypt(QUEUE, DATA);
        assertArrayEquals(DATA, keys(url).decrypt(QUEUE, record).orElseThrow());
    }

    @Test
    void pseudonymsAreKeyedStableAndRevealNothing() {
        ServerKeys keys = keys(keyA);
        String alice = keys.pseudonym("login-limit/user", "alice");
        assertEquals(alice, keys.pseudonym("login-limit/user", "alice"));
        assertNotEquals(alice, keys.pseudonym("login-limit/address", "alice"), "one key per purpose");
        assertNotEquals(alice, keys(keyB).pseudonym("login-limit/user", "alice"), "keyed by the server key");
        assertFalse(alice.contains("alice"));
        assertEquals(43, alice.length(), "HMAC-SHA256, base64url");
    }

    private static ServerKeys keys(String... keys) {
        return new ServerKeys(List.of(keys), LaunchMode.NORMAL);
    }

    private String newKey() {
        byte[] key = new byte[32];
        random.nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }
}
