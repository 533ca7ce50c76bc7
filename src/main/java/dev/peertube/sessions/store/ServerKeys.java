package dev.peertube.sessions.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.peertube.sessions.session.SessionConfig;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.Startup;

/**
 * The server keys of {@code SESSION_ENCRYPTION_KEYS}: the first encrypts, every one decrypts,
 * so keys can be rotated by putting the new key first. Each record starts with the 4-byte
 * fingerprint of its key. Required in prod; generated per start in dev and test.
 */
@Startup
@ApplicationScoped
public class ServerKeys {

    private static final Logger LOG = Logger.getLogger(ServerKeys.class);
    private static final int FINGERPRINT_BYTES = 4;

    private final List<byte[]> keys = new ArrayList<>();
    private final List<byte[]> fingerprints = new ArrayList<>();
    /** The pseudonym key of each purpose, derived once from the first server key. */
    private final Map<String, byte[]> pseudonymKeys = new ConcurrentHashMap<>();
    private final SessionCipher cipher;

    @Inject
    ServerKeys(SessionConfig config) {
        this(config.encryptionKeys().orElse(List.of()), LaunchMode.current());
    }

    /** The keys as configured, checked for the given launch mode (prod requires at least one). */
    ServerKeys(List<String> configuredKeys, LaunchMode mode) {
        SecureRandom random = new SecureRandom();
        this.cipher = new SessionCipher(random);
        List<String> configured = configuredKeys.stream().map(String::trim).filter(k -> !k.isEmpty()).toList();
        if (configured.isEmpty()) {
            if (mode == LaunchMode.NORMAL) {
                throw new IllegalStateException("SESSION_ENCRYPTION_KEYS (session.encryption-keys) is required in the prod profile: "
                        + "set it to one or more base64-encoded 32-byte keys, e.g. from `openssl rand -base64 32`.");
            }
            byte[] key = new byte[32];
            random.nextBytes(key);
            LOG.warn("SESSION_ENCRYPTION_KEYS is not set: using a key generated for this run only; queued revocations will not survive a restart.");
            add(key);
            return;
        }
        for (int i = 0; i < configured.size(); i++) {
            add(decode(configured.get(i), i));
        }
    }

    byte[] encrypt(String associatedData, byte[] plaintext) {
        byte[] record = cipher.encrypt(keys.get(0), associatedData, plaintext);
        return ByteBuffer.allocate(FINGERPRINT_BYTES + record.length).put(fingerprints.get(0)).put(record).array();
    }

    Optional<byte[]> decrypt(String associatedData, byte[] data) {
        if (data == null || data.length <= FINGERPRINT_BYTES) {
            return Optional.empty();
        }
        byte[] fingerprint = Arrays.copyOf(data, FINGERPRINT_BYTES);
        for (int i = 0; i < keys.size(); i++) {
            if (MessageDigest.isEqual(fingerprint, fingerprints.get(i))) {
                return cipher.decrypt(keys.get(i), associatedData, Arrays.copyOfRange(data, FINGERPRINT_BYTES, data.length));
            }
        }
        return Optional.empty();
    }

    /**
     * A keyed hash of {@code value} (HMAC-SHA256 under a key derived with HKDF from the first
     * server key for {@code purpose}), base64url: names something in Redis without revealing it.
     */
    String pseudonym(String purpose, String value) {
        byte[] key = pseudonymKeys.computeIfAbsent(purpose,
                p -> SessionCipher.deriveKey(keys.get(0), "peertube-session-service/" + p));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(SessionCipher.hmac(key, value.getBytes(StandardCharsets.UTF_8)));
    }

    private void add(byte[] key) {
        keys.add(key);
        try {
            fingerprints.add(Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(key), FINGERPRINT_BYTES));
        } catch (NoSuchAlgorithmException missing) {
            throw new IllegalStateException(missing);
        }
    }

    private static byte[] decode(String value, int index) {
        byte[] key;
        try {
            key = (value.contains("-") || value.contains("_") ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(value);
        } catch (IllegalArgumentException notBase64) {
            throw new IllegalStateException("SESSION_ENCRYPTION_KEYS: key #" + (index + 1) + " is not valid base64.");
        }
        if (key.length != 32) {
            throw new IllegalStateException("SESSION_ENCRYPTION_KEYS: key #" + (index + 1) + " must decode to 32 bytes, not " + key.length + ".");
        }
        return key;
    }
}
