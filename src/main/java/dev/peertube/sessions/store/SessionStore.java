package dev.peertube.sessions.store;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import dev.peertube.sessions.session.SessionConfig;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.keys.KeyCommands;
import io.quarkus.redis.datasource.value.ReactiveValueCommands;
import io.quarkus.redis.datasource.value.SetArgs;
import io.smallrye.mutiny.Uni;

/**
 * Sessions in Redis, one key each, encrypted under a key derived from the ticket's secret
 * (which Redis never sees). A key lives exactly as long as the session's refresh token.
 */
@ApplicationScoped
public class SessionStore {

    private static final String KEY_INFO = "peertube-session-service/session/v1";

    private final ReactiveValueCommands<String, byte[]> reactiveValues;
    private final KeyCommands<String> keys;
    private final SecureRandom random = new SecureRandom();
    private final SessionCipher cipher = new SessionCipher(random);
    private final String prefix;
    private final Duration timeout;

    SessionStore(RedisDataSource redis, ReactiveRedisDataSource reactiveRedis, SessionConfig config,
            @ConfigProperty(name = "quarkus.redis.timeout") Duration timeout) {
        this.reactiveValues = reactiveRedis.value(byte[].class);
        this.keys = redis.key();
        this.prefix = config.keyPrefix();
        this.timeout = timeout;
    }

    public SessionTicket newTicket() {
        return SessionTicket.generate(random);
    }

    /** The session, or empty when it is unknown, expired, or not decryptable with this ticket. */
    public Optional<StoredSession> find(SessionTicket ticket) {
        return findAsync(ticket).await().indefinitely();
    }

    /**
     * {@link #find} without blocking: one {@code GET}, then decryption on the calling thread.
     * Fails with {@link StoreUnavailableException} when Redis does not answer within its timeout.
     */
    public Uni<Optional<StoredSession>> findAsync(SessionTicket ticket) {
        String key = sessionKey(ticket);
        return redis(reactiveValues.get(key), timeout)
                .map(record -> record == null ? Optional.<StoredSession>empty()
                        : cipher.decrypt(keyOf(ticket), key, record).flatMap(SessionStore::readSession));
    }

    /** Writes the session with a TTL ending when its refresh token expires. */
    public void save(SessionTicket ticket, StoredSession session) {
        saveAsync(ticket, session).await().indefinitely();
    }

    /** {@link #save} without blocking. */
    public Uni<Void> saveAsync(SessionTicket ticket, StoredSession session) {
        String key = sessionKey(ticket);
        byte[] record = cipher.encrypt(keyOf(ticket), key, session.toBytes());
        Instant expiry = session.refreshExpiresAt();
        Instant earliest = Instant.now().plusSeconds(1);
        SetArgs ttl = new SetArgs().pxAt(expiry.isAfter(earliest) ? expiry : earliest);
        return redis(reactiveValues.set(key, record, ttl), timeout);
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

    /**
     * One Redis command without blocking: no answer within {@code timeout}, or any failure of
     * Redis, becomes {@link StoreUnavailableException}.
     */
    static <T> Uni<T> redis(Uni<T> command, Duration timeout) {
        return command.ifNoItem().after(timeout).fail()
                .onFailure().transform(unreachable -> new StoreUnavailableException());
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
