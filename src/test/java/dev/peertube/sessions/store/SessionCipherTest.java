package dev.peertube.sessions.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** AES-256-GCM records and HKDF keys: a record opens only with its key and under its Redis key. */
class SessionCipherTest {

    static final String REDIS_KEY = "pts:session:{abc}";

    final SecureRandom random = new SecureRandom();
    final SessionCipher cipher = new SessionCipher(random);

    @Test
    void hkdfMatchesRfc5869TestCase3() {
        // RFC 5869 A.3: IKM = 22 × 0x0b, no salt, no info; the first 32 bytes of the OKM
        byte[] okm = SessionCipher.deriveKey(HexFormat.of().parseHex("0b".repeat(22)), "");
        assertEquals("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d", HexFormat.of().formatHex(okm));
    }

    @Test
    void recordDecryptsWithItsKeyUnderItsRedisKey() {
        byte[] key = key();
        byte[] plaintext = "access and refresh".getBytes(StandardCharsets.UTF_8);
        byte[] record = cipher.encrypt(key, REDIS_KEY, plaintext);
        assertArrayEquals(plaintext, cipher.decrypt(key, REDIS_KEY, record).orElseThrow());
        assertEquals(1 + 12 + plaintext.length + 16, record.length, "version, nonce, ciphertext, tag");
        assertFalse(new String(record, StandardCharsets.ISO_8859_1).contains("access"), "no plaintext in the record");
    }

    @Test
    void sameSessionWrittenTwiceGivesDifferentRecords() {
        byte[] key = key();
        byte[] plaintext = new byte[40];
        byte[] first = cipher.encrypt(key, REDIS_KEY, plaintext);
        byte[] second = cipher.encrypt(key, REDIS_KEY, plaintext);
        assertFalse(Arrays.equals(first, second), "a fresh nonce per write");
    }

    @Test
    void everyTamperedByteMakesTheRecordUnreadable() {
        byte[] key = key();
        byte[] record = cipher.encrypt(key, REDIS_KEY, "secret tokens".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < record.length; i++) {
            byte[] tampered = record.clone();
            tampered[i] ^= 0x01;
            assertTrue(cipher.decrypt(key, REDIS_KEY, tampered).isEmpty(), "byte " + i + " flipped");
        }
    }

    @Test
    void truncatedOrExtendedRecordIsUnreadable() {
        byte[] key = key();
        byte[] record = cipher.encrypt(key, REDIS_KEY, "secret tokens".getBytes(StandardCharsets.UTF_8));
        for (int length = 0; length < record.length; length++) {
            assertTrue(cipher.decrypt(key, REDIS_KEY, Arrays.copyOf(record, length)).isEmpty(), "truncated to " + length);
        }
        assertTrue(cipher.decrypt(key, REDIS_KEY, Arrays.copyOf(record, record.length + 1)).isEmpty());
        assertTrue(cipher.decrypt(key, REDIS_KEY, null).isEmpty());
    }

    @Test
    void recordMovedToAnotherRedisKeyIsUnreadable() {
        byte[] key = key();
        byte[] record = cipher.encrypt(key, REDIS_KEY, "secret tokens".getBytes(StandardCharsets.UTF_8));
        assertTrue(cipher.decrypt(key, "pts:session:{abd}", record).isEmpty());
    }

    @Test
    void recordIsUnreadableWithAnyOtherKey() {
        byte[] record = cipher.encrypt(key(), REDIS_KEY, "secret tokens".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 100; i++) {
            assertTrue(cipher.decrypt(key(), REDIS_KEY, record).isEmpty());
        }
    }

    @Test
    void sessionOpensOnlyWithTheSecretOfItsOwnTicket() throws Exception {
        SessionTicket mine = SessionTicket.generate(random);
        SessionTicket other = SessionTicket.generate(random);
        StoredSession session = new StoredSession("access", "refresh", Instant.ofEpochSecond(10), Instant.ofEpochSecond(20));
        byte[] record = cipher.encrypt(ticketKey(mine), REDIS_KEY, session.toBytes());
        Optional<byte[]> opened = cipher.decrypt(ticketKey(mine), REDIS_KEY, record);
        assertEquals(session, StoredSession.fromBytes(opened.orElseThrow()));
        assertTrue(cipher.decrypt(ticketKey(other), REDIS_KEY, record).isEmpty());
        // a ticket with the same lookup id but another secret (what a forged session id would be)
        String forged = mine.encode().substring(0, 22) + other.encode().substring(22);
        SessionTicket forgedTicket = SessionTicket.parse(forged).orElseThrow();
        assertEquals(mine.lookupKey(), forgedTicket.lookupKey(), "same Redis key");
        assertTrue(cipher.decrypt(ticketKey(forgedTicket), REDIS_KEY, record).isEmpty());
    }

    @Test
    void ticketRoundTripsAndRedisKeyRevealsNeitherPart() {
        SessionTicket ticket = SessionTicket.generate(random);
        String encoded = ticket.encode();
        assertEquals(64, encoded.length());
        assertEquals(ticket.lookupKey(), SessionTicket.parse(encoded).orElseThrow().lookupKey());
        assertFalse(ticket.lookupKey().contains(encoded.substring(0, 16)));
        assertEquals("SessionTicket[redacted]", ticket.toString());
    }

    private static byte[] ticketKey(SessionTicket ticket) {
        return SessionCipher.deriveKey(ticket.secret(), "peertube-session-service/session/v1");
    }

    private byte[] key() {
        byte[] key = new byte[32];
        random.nextBytes(key);
        return key;
    }
}
