package dev.peertube.sessions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The secret finder used by the dump and log tests finds what it must, and only that. */
class SecretsTest {

    static final String TOKEN = "4f1c0a9be8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3";
    static final String SESSION_ID = "q7VdXk2fGf9m1v0A3hB5cZ8wT4yU6iO0pL2kJ9hG7fD5sA3qW1eR8tY6uI4oP2aS";

    final Secrets secrets = new Secrets().add("token", TOKEN).add("otp", "123456").addSessionId(SESSION_ID);

    @Test
    void findsSecretsRawEncodedAndEmbeddedInEncodedValues() {
        assertEquals(List.of("token"), secrets.foundIn("access=" + TOKEN + ";"));
        assertEquals(List.of("token"), secrets.foundIn(Base64.getEncoder().encodeToString(TOKEN.getBytes(StandardCharsets.UTF_8))));
        assertEquals(List.of("token"), secrets.foundIn(HexFormat.of().formatHex(("xx" + TOKEN).getBytes(StandardCharsets.UTF_8))));
        String embedded = Base64.getUrlEncoder().encodeToString(("{\"a\":\"" + TOKEN + "\"}").getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("token"), secrets.foundIn("value " + embedded));
        assertTrue(secrets.foundIn("Bearer " + SESSION_ID).contains("session id q7VdXk…"));
        byte[] secretPart = java.util.Arrays.copyOfRange(Base64.getUrlDecoder().decode(SESSION_ID), 16, 48);
        assertEquals(List.of("secret of session q7VdXk…"), secrets.foundIn(HexFormat.of().formatHex(secretPart)));
    }

    @Test
    void findsAnOtpOnlyAsANumberOfItsOwn() {
        assertEquals(List.of("otp 123456"), secrets.foundIn("x-peertube-otp: 123456"));
        assertEquals(List.of(), secrets.foundIn("took 9123456789 ns at port 41234"));
        assertEquals(List.of("otp 123456"), secrets.foundIn(Base64.getEncoder().encodeToString("x-peertube-otp=123456".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void findsNothingInUnrelatedData() {
        assertEquals(List.of(), secrets.foundIn("2026-01-01 10:00:00,123 INFO [dev.peertube.sessions] login ok 201 in 12 ms"));
        byte[] random = new byte[4096];
        new java.security.SecureRandom().nextBytes(random);
        assertEquals(List.of(), secrets.foundIn(random));
    }
}
