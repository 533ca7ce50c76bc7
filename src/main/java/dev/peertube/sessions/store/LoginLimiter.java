package dev.peertube.sessions.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import jakarta.enterprise.context.ApplicationScoped;

import dev.peertube.sessions.session.SessionConfig;
import io.quarkus.redis.datasource.RedisDataSource;
import io.vertx.mutiny.redis.client.Response;

/**
 * Fixed-window counters of login attempts per username and per client address, in Redis so that
 * every replica shares them. An attempt takes a slot in both windows before PeerTube is called
 * (atomically, so concurrent attempts cannot exceed a limit); a successful login gives its slots
 * back. Key names carry a keyed hash of the username or address, never the value itself.
 */
@ApplicationScoped
public class LoginLimiter {

    /** INCR, and PEXPIRE when the window starts; answers the count and the window's remaining milliseconds. */
    private static final String TAKE = """
            local n = redis.call('INCR', KEYS[1])
            if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
            local ttl = redis.call('PTTL', KEYS[1])
            if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
            return {n, ttl}""";
    /** DECR only while the window lives (a late give-back never creates a key without expiry); an empty window is deleted. */
    private static final String GIVE_BACK = """
            local v = redis.call('GET', KEYS[1])
            if not v then return 0 end
            local n = tonumber(v) - 1
            if n <= 0 then redis.call('DEL', KEYS[1]); return 0 end
            return redis.call('DECR', KEYS[1])""";

    /** The slots an attempt took, or the seconds to wait when a limit is reached. */
    public record Attempt(List<String> keys, long retryAfterSeconds) {

        public boolean refused() {
            return retryAfterSeconds > 0;
        }

        @Override
        public String toString() {
            return "Attempt[retryAfterSeconds=" + retryAfterSeconds + "]";
        }
    }

    private final RedisDataSource redis;
    private final ServerKeys keys;
    private final String prefix;
    private final int perUsername;
    private final int perAddress;
    private final String windowMillis;

    LoginLimiter(RedisDataSource redis, ServerKeys keys, SessionConfig config) {
        this.redis = redis;
        this.keys = keys;
        this.prefix = config.keyPrefix() + "login-limit:";
        this.perUsername = config.loginLimit().perUsername();
        this.perAddress = config.loginLimit().perAddress();
        this.windowMillis = Long.toString(Math.max(1, config.loginLimit().window().toMillis()));
    }

    /**
     * Takes a slot for this address (may be null), then for this username. A refused attempt
     * does not call PeerTube; the address slot it took still counts.
     */
    public Attempt attempt(String username, String clientAddress) {
        List<String> taken = new ArrayList<>(2);
        if (perAddress > 0 && clientAddress != null) {
            String key = prefix + "address:" + keys.pseudonym("login-limit/address", clientAddress);
            long wait = take(key, perAddress);
            taken.add(key);
            if (wait > 0) {
                return new Attempt(List.copyOf(taken), wait);
            }
        }
        if (perUsername > 0) {
            String key = prefix + "user:" + keys.pseudonym("login-limit/user", username.trim().toLowerCase(Locale.ROOT));
            long wait = take(key, perUsername);
            taken.add(key);
            if (wait > 0) {
                return new Attempt(List.copyOf(taken), wait);
            }
        }
        return new Attempt(List.copyOf(taken), 0);
    }

    /** A successful login gives its slots back. Best effort: a failure here only costs a slot. */
    public void succeeded(Attempt attempt) {
        for (String key : attempt.keys()) {
            try {
                redis.execute("EVAL", GIVE_BACK, "1", key);
            } catch (RuntimeException redisDown) {
                return;
            }
        }
    }

    /** 0 when the attempt is within the limit, otherwise the seconds left in the window (at least 1). */
    private long take(String key, int limit) {
        Response answer = SessionStore.redis(() -> redis.execute("EVAL", TAKE, "1", key, windowMillis));
        long count = answer.get(0).toLong();
        long millisLeft = answer.get(1).toLong();
        return count <= limit ? 0 : Math.max(1, (millisLeft + 999) / 1000);
    }
}
