package dev.peertube.sessions.store;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import dev.peertube.sessions.session.SessionConfig;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.keys.KeyCommands;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;

/**
 * Sessions in Redis, one key each, encrypted under a key derived from the ticket's secret
 * (which Redis never sees). A key lives exactly as long as the session's refresh token.
 */
@ApplicationScoped
public class SessionStore {

    private static final String KEY_INFO = "peertube-session-service/session/v1";

    private final PipelinedRedis pipelined;
    private final KeyCommands<String> keys;
    private final SecureRandom random = new SecureRandom();
    private final SessionCipher cipher = new SessionCipher(random);
    private final String prefix;

    SessionStore(RedisDataSource redis, PipelinedRedis pipelined, SessionConfig config) {
        this.pipelined = pipelined;
        this.keys = redis.key();
        this.prefix = config.keyPrefix();
    }

    public SessionTicket newTicket() {
        return SessionTicket.generate(random);
    }

    /** The session, or empty when it is unknown, expired, or not decryptable with this ticket. */
    public Optional<StoredSession> find(SessionTicket ticket) {
        return PipelinedRedis.await(findAsync(ticket));
    }

    /**
     * {@link #find} without blocking: one {@code GET}, then decryption on the calling thread.
     * Fails with {@link StoreUnavailableException} when Redis does not answer within its timeout.
     */
    public CompletionStage<Optional<StoredSession>> findAsync(SessionTicket ticket) {
        String key = sessionKey(ticket);
        return pipelined.send(Request.cmd(Command.GET).arg(key))
                .map(record -> record == null ? Optional.<StoredSession>empty()
                        : cipher.decrypt(keyOf(ticket), key, record.toBytes()).flatMap(SessionStore::readSession))
                .toCompletionStage();
    }

    /** Writes the session with a TTL ending when its refresh token expires. */
    public void save(SessionTicket ticket, StoredSession session) {
        PipelinedRedis.await(saveAsync(ticket, session));
    }

    /** {@link #save} without blocking. */
    public CompletionStage<Void> saveAsync(SessionTicket ticket, StoredSession session) {
        String key = sessionKey(ticket);
        byte[] record = cipher.encrypt(keyOf(ticket), key, session.toBytes());
        Instant expiry = session.refreshExpiresAt();
        Instant earliest = Instant.now().plusSeconds(1);
        long expiresAtMillis = (expiry.isAfter(earliest) ? expiry : earliest).toEpochMilli();
        return pipelined.send(Request.cmd(Command.SET).arg(key).arg(record).arg("PXAT").arg(expiresAtMillis))
                .<Void>mapEmpty().toCompletionStage();
    }

    public void delete(SessionTicket ticket) {
        String key = sessionKey(ticket);
        redis(() -> keys.del(key));
    }

    String sessionKey(SessionTicket ticket) {
        return prefix + "session:{" + ticket.lookupKey() + "}";
    }

    /** Same hash tag as the session key, so both land in one cluster slot. */
    String lockKey(SessionTicket ticket) {
        return prefix + "refresh-lock:{" + ticket.lookupKey() + "}";
    }

    private static byte[] keyOf(SessionTicket ticket) {
        return SessionCipher.deriveKey(ticket.secret(), KEY_INFO);
    }

    private static Optional<StoredSession> readSession(byte[] plaintext) {
        try {
            return Optional.of(StoredSession.fromBytes(plaintext));
        } catch (IOException | RuntimeException corrupt) {
            return Optional.empty();
        }
    }

    /** Runs one Redis command; any failure of Redis becomes {@link StoreUnavailableException}. */
    static <T> T redis(Supplier<T> command) {
        try {
            return command.get();
        } catch (RuntimeException unreachable) {
            throw new StoreUnavailableException();
        }
    }
}
