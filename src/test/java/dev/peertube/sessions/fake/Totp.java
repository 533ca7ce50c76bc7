package dev.peertube.sessions.fake;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Locale;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * RFC 6238 TOTP as PeerTube uses it (library {@code otpauth}): HMAC-SHA1, 6 digits, 30 s period,
 * secrets in RFC 4648 base32. PeerTube accepts the codes of the previous, current and next step
 * (window ±1), see {@link #isValid(String, String, Instant)}.
 */
public final class Totp {

    /** Length of a step in seconds. */
    public static final int PERIOD_SECONDS = 30;
    /** Number of digits of a code. */
    public static final int DIGITS = 6;
    /** Steps accepted on each side of the current one. */
    public static final int WINDOW = 1;

    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Totp() {
    }

    /** The code for {@code base32Secret} at the instant {@code at}, zero-padded to 6 digits. */
    public static String code(String base32Secret, Instant at) {
        return codeForStep(decodeBase32(base32Secret), Math.floorDiv(at.getEpochSecond(), PERIOD_SECONDS));
    }

    /** The code for {@code base32Secret} right now. */
    public static String now(String base32Secret) {
        return code(base32Secret, Instant.now());
    }

    /** A new random secret: 20 random bytes as 32 base32 characters (what PeerTube generates). */
    public static String randomSecret() {
        byte[] bytes = new byte[20];
        RANDOM.nextBytes(bytes);
        return encodeBase32(bytes);
    }

    /** Whether {@code code} is accepted at {@code at} with PeerTube's window of ±1 step. */
    public static boolean isValid(String base32Secret, String code, Instant at) {
        if (code == null || code.length() != DIGITS) {
            return false;
        }
        byte[] key = decodeBase32(base32Secret);
        long step = Math.floorDiv(at.getEpochSecond(), PERIOD_SECONDS);
        for (long s = step - WINDOW; s <= step + WINDOW; s++) {
            if (codeForStep(key, s).equals(code)) {
                return true;
            }
        }
        return false;
    }

    private static String codeForStep(byte[] key, long step) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(key, "HmacSHA1"));
            byte[] hash = mac.doFinal(ByteBuffer.allocate(8).putLong(step).array());
            int offset = hash[hash.length - 1] & 0x0f;
            int binary = ((hash[offset] & 0x7f) << 24)
                    | ((hash[offset + 1] & 0xff) << 16)
                    | ((hash[offset + 2] & 0xff) << 8)
                    | (hash[offset + 3] & 0xff);
            int otp = binary % 1_000_000;
            return String.format(Locale.ROOT, "%06d", otp);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 is not available", e);
        }
    }

    static byte[] decodeBase32(String secret) {
        if (secret == null) {
            throw new IllegalArgumentException("secret is null");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int buffer = 0;
        int bits = 0;
        for (char c : secret.toCharArray()) {
            if (c == '=' || c == ' ' || c == '-') {
                continue;
            }
            int value = ALPHABET.indexOf(Character.toUpperCase(c));
            if (value < 0) {
                throw new IllegalArgumentException("not a base32 secret");
            }
            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8) {
                out.write((buffer >> (bits - 8)) & 0xff);
                bits -= 8;
            }
        }
        return out.toByteArray();
    }

    static String encodeBase32(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (byte b : bytes) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                sb.append(ALPHABET.charAt((buffer >> (bits - 5)) & 0x1f));
                bits -= 5;
            }
        }
        if (bits > 0) {
            sb.append(ALPHABET.charAt((buffer << (5 - bits)) & 0x1f));
        }
        return sb.toString();
    }
}
