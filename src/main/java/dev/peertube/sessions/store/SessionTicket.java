package dev.peertube.sessions.store;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

/**
 * The session id handed to callers: a random lookup id (128 bits) followed by a random secret
 * (256 bits), base64url without padding (64 characters). Redis is keyed by a hash of the id
 * part only; the secret, which derives the session's encryption key, is never stored.
 */
public final class SessionTicket {

    static final int ID_BYTES = 16;
    static final int SECRET_BYTES = 32;
    /** Length of the encoded ticket: 48 bytes in unpadded base64url. */
    public static final int ENCODED_LENGTH = 64;

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    /** A provider look-up per digest costs more than the digest of 16 bytes: one instance per thread. */
    private static final ThreadLocal<MessageDigest> SHA256 =
            ThreadLocal.withInitial(() -> SessionCipher.instance(() -> MessageDigest.getInstance("SHA-256")));

    private final byte[] id;
    private final byte[] secret;
    private final String lookupKey;

    private SessionTicket(byte[] id, byte[] secret) {
        this.id = id;
        this.secret = secret;
        this.lookupKey = ENCODER.encodeToString(sha256(id));
    }

    public static SessionTicket generate(SecureRandom random) {
        byte[] id = new byte[ID_BYTES];
        byte[] secret = new byte[SECRET_BYTES];
        random.nextBytes(id);
        random.nextBytes(secret);
        return new SessionTicket(id, secret);
    }

    /** Checks the format before anything touches Redis: exactly 64 base64url characters. */
    public static Optional<SessionTicket> parse(String value) {
        if (value == null || value.length() != ENCODED_LENGTH) {
            return Optional.empty();
        }
        for (int i = 0; i < ENCODED_LENGTH; i++) {
            char c = value.charAt(i);
            boolean base64url = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
            if (!base64url) {
                return Optional.empty();
            }
        }
        byte[] raw = Base64.getUrlDecoder().decode(value);
        return Optional.of(new SessionTicket(Arrays.copyOfRange(raw, 0, ID_BYTES), Arrays.copyOfRange(raw, ID_BYTES, raw.length)));
    }

    public String encode() {
        byte[] raw = Arrays.copyOf(id, ID_BYTES + SECRET_BYTES);
        System.arraycopy(secret, 0, raw, ID_BYTES, SECRET_BYTES);
        return ENCODER.encodeToString(raw);
    }

    /** The hash of the id part: what Redis keys are made of. Decrypts nothing on its own. */
    public String lookupKey() {
        return lookupKey;
    }

    byte[] secret() {
        return secret;
    }

    private static byte[] sha256(byte[] data) {
        return SHA256.get().digest(data);
    }

    @Override
    public String toString() {
        return "SessionTicket[redacted]";
    }
}
