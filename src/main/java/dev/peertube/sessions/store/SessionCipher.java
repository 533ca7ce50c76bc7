package dev.peertube.sessions.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM with a random 96-bit nonce per write; the Redis key is bound as associated data,
 * so a record moved to another key does not decrypt. Keys come from HKDF-SHA256 (RFC 5869).
 * Record layout: {@code version(1) | nonce(12) | ciphertext+tag(16)}.
 */
final class SessionCipher {

    private static final byte VERSION = 1;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    // provider lookups are the costly part of a MAC or a cipher: one instance per thread, re-initialised per use
    private static final byte[] ZERO_SALT = new byte[32];
    private static final ThreadLocal<Mac> MACS = ThreadLocal.withInitial(() -> instance(() -> Mac.getInstance("HmacSHA256")));
    private static final ThreadLocal<Mac> ZERO_SALT_MACS = ThreadLocal.withInitial(() -> instance(() -> {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(ZERO_SALT, "HmacSHA256"));
        return mac;
    }));

    private final SecureRandom random;
    private final ThreadLocal<Cipher> ciphers = ThreadLocal.withInitial(() -> instance(() -> Cipher.getInstance("AES/GCM/NoPadding")));

    SessionCipher(SecureRandom random) {
        this.random = random;
    }

    byte[] encrypt(byte[] key, String redisKey, byte[] plaintext) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher cipher = cipher(Cipher.ENCRYPT_MODE, key, nonce, redisKey);
            ByteBuffer record = ByteBuffer.allocate(1 + NONCE_BYTES + cipher.getOutputSize(plaintext.length));
            record.put(VERSION).put(nonce);
            cipher.doFinal(ByteBuffer.wrap(plaintext), record);
            return record.array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }

    /** Empty for anything that is not an intact record written under this key and Redis key. */
    Optional<byte[]> decrypt(byte[] key, String redisKey, byte[] record) {
        if (record == null || record.length < 1 + NONCE_BYTES + TAG_BITS / 8 || record[0] != VERSION) {
            return Optional.empty();
        }
        try {
            byte[] nonce = Arrays.copyOfRange(record, 1, 1 + NONCE_BYTES);
            Cipher cipher = cipher(Cipher.DECRYPT_MODE, key, nonce, redisKey);
            return Optional.of(cipher.doFinal(record, 1 + NONCE_BYTES, record.length - 1 - NONCE_BYTES));
        } catch (GeneralSecurityException tamperedOrWrongKey) {
            return Optional.empty();
        }
    }

    /** HKDF-SHA256 with an all-zero salt, producing one 32-byte block. */
    static byte[] deriveKey(byte[] inputKeyMaterial, String info) {
        // the extract step's key is always the zero salt: a MAC keyed once per thread
        byte[] pseudoRandomKey = ZERO_SALT_MACS.get().doFinal(inputKeyMaterial);
        byte[] infoBytes = info.getBytes(StandardCharsets.UTF_8);
        byte[] block = Arrays.copyOf(infoBytes, infoBytes.length + 1);
        block[infoBytes.length] = 1;
        return hmac(pseudoRandomKey, block);
    }

    /** HMAC-SHA256 of {@code data} under {@code key}. */
    static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = MACS.get();
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private Cipher cipher(int mode, byte[] key, byte[] nonce, String redisKey) throws GeneralSecurityException {
        Cipher cipher = ciphers.get();
        cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
        cipher.updateAAD(redisKey.getBytes(StandardCharsets.UTF_8));
        return cipher;
    }

    interface Lookup<T> {
        T get() throws GeneralSecurityException;
    }

    /** A JCE object of an algorithm every Java runtime has; its absence is a broken runtime. */
    static <T> T instance(Lookup<T> lookup) {
        try {
            return lookup.get();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JCE algorithm unavailable", e);
        }
    }
}
