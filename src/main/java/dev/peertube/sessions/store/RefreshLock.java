package dev.peertube.sessions.store;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.redis.datasource.RedisDataSource;
import io.vertx.mutiny.redis.client.Response;

/**
 * A per-session lock in Redis, so that replicas refresh a session one at a time. The lease is
 * extended while its holder works, and released only by its holder (compare-and-delete).
 */
@ApplicationScoped
public class RefreshLock {

    private static final String RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
    private static final String EXTEND = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

    private final RedisDataSource redis;
    private final SessionStore store;
    private final SecureRandom random = new SecureRandom();
    private final ScheduledExecutorService extender = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "refresh-lock-extender");
        thread.setDaemon(true);
        return thread;
    });

    RefreshLock(RedisDataSource redis, SessionStore store) {
        this.redis = redis;
        this.store = store;
    }

    /** Takes the lock if nobody holds it; the lease is renewed every third of its length until closed. */
    public Optional<Lease> tryAcquire(SessionTicket ticket, Duration lease) {
        String key = store.lockKey(ticket);
        byte[] raw = new byte[16];
        random.nextBytes(raw);
        String owner = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        String millis = Long.toString(lease.toMillis());
        Response taken = SessionStore.redis(() -> redis.execute("SET", key, owner, "NX", "PX", millis));
        if (taken == null) {
            return Optional.empty();
        }
        long period = Math.max(10, lease.toMillis() / 3);
        ScheduledFuture<?> renewal = extender.scheduleAtFixedRate(() -> {
            try {
                redis.execute("EVAL", EXTEND, "1", key, owner, millis);
            } catch (RuntimeException redisDown) {
                // the lease then runs out on its own; the holder's write decides
            }
        }, period, period, TimeUnit.MILLISECONDS);
        return Optional.of(new Lease(key, owner, renewal));
    }

    @PreDestroy
    void stop() {
        extender.shutdownNow();
    }

    /** A held lock; closing it stops the renewal and releases the lock if it is still ours. */
    public final class Lease implements AutoCloseable {
        private final String key;
        private final String owner;
        private final ScheduledFuture<?> renewal;

        private Lease(String key, String owner, ScheduledFuture<?> renewal) {
            this.key = key;
            this.owner = owner;
            this.renewal = renewal;
        }

        @Override
        public void close() {
            renewal.cancel(false);
            try {
                redis.execute("EVAL", RELEASE, "1", key, owner);
            } catch (RuntimeException redisDown) {
                // the lease expires by itself
            }
        }
    }
}
