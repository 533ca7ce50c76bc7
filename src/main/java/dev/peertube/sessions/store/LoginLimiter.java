package dev.peertube.sessions.store;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;

import dev.peertube.sessions.session.SessionConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;

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

    private final PipelinedRedis redis;
    private final ServerKeys keys;
    private final String prefix;
    private final int perUsername;
    private final int perAddress;
    private final String windowMillis;

    LoginLimiter(PipelinedRedis redis, ServerKeys keys, SessionConfig config) {
        this.redis = redis;
        this.keys = keys;
        this.prefix = config.keyPrefix() + "login-limit:";
        this.perUsername = config.loginLimit().perUsername();
        this.perAddress = config.loginLimit().perAddress();
        this.windowMillis = Long.toString(Math.max(1, config.loginLimit().window().toMillis()));
    }

    /**
     * Takes a slot for this address (may be null) and one for this username, both at once (one
     * round trip; the two keys may live on different cluster nodes). A refused attempt does not
     * call PeerTube; its address slot still counts, its username slot is given back when only the
     * address was over its limit, so a blocked address cannot lock a user out.
     */
    public Uni<Attempt> attempt(String username, String clientAddress) {
        String addressKey = perAddress > 0 && clientAddress != null
                ? prefix + "address:" + keys.pseudonym("login-limit/address", clientAddress) : null;
        String userKey = perUsername > 0
                ? prefix + "user:" + keys.pseudonym("login-limit/user", username.trim().toLowerCase(Locale.ROOT)) : null;
        return Uni.createFrom().completionStage(() -> {
            Future<Long> address = take(addressKey, perAddress);
            Future<Long> user = take(userKey, perUsername);
            return Future.all(address, user).map(both -> {
                if (address.result() > 0) {
                    giveBack(userKey);
                    return new Attempt(List.of(addressKey), address.result());
                }
                List<String> taken = Stream.of(addressKey, userKey).filter(Objects::nonNull).toList();
                return new Attempt(taken, user.result());
            }).toCompletionStage();
        });
    }

    /** A successful login gives its slots back, without waiting: a failure here only costs a slot. */
    public void succeeded(Attempt attempt) {
        attempt.keys().forEach(this::giveBack);
    }

    private void giveBack(String key) {
        if (key != null) {
            redis.send(Request.cmd(Command.EVAL).arg(GIVE_BACK).arg(1).arg(key)); // a failure only costs a slot
        }
    }

    /** 0 when the attempt is within the limit (or there is no such limit), otherwise the seconds left in the window (at least 1). */
    private Future<Long> take(String key, int limit) {
        if (key == null) {
            return Future.succeededFuture(0L);
        }
        return redis.send(Request.cmd(Command.EVAL).arg(TAKE).arg(1).arg(key).arg(windowMillis)).map(answer -> {
            long count = answer.get(0).toLong();
            long millisLeft = answer.get(1).toLong();
            return count <= limit ? 0L : Math.max(1, (millisLeft + 999) / 1000);
        });
    }
}
