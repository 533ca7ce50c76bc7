package dev.peertube.sessions.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.enterprise.context.ApplicationScoped;

import dev.peertube.sessions.session.SessionConfig;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.sortedset.ScoreRange;
import io.quarkus.redis.datasource.sortedset.SortedSetCommands;
import io.quarkus.redis.datasource.sortedset.ZRangeArgs;

/**
 * Revocations that PeerTube could not take when the user logged out, kept in one Redis sorted
 * set scored by the time of the next attempt, encrypted with the server key. Any replica may
 * claim a due entry; removing it from the set is the claim, so each attempt happens once.
 */
@ApplicationScoped
public class RevocationQueue {

    /** A queued revocation: the tokens of the ended session and how many attempts failed. */
    public record Revocation(StoredSession tokens, int failedAttempts) {
        @Override
        public String toString() {
            return "Revocation[failedAttempts=" + failedAttempts + "]";
        }
    }

    private final SortedSetCommands<String, String> sortedSets;
    private final ServerKeys keys;
    private final String queueKey;

    RevocationQueue(RedisDataSource redis, ServerKeys keys, SessionConfig config) {
        this.sortedSets = redis.sortedSet(String.class, String.class);
        this.keys = keys;
        this.queueKey = config.keyPrefix() + "revocations";
    }

    public void enqueue(Revocation revocation, Instant due) {
        String member = Base64.getEncoder().encodeToString(keys.encrypt(queueKey, serialize(revocation)));
        SessionStore.redis(() -> sortedSets.zadd(queueKey, due.toEpochMilli(), member));
    }

    /** Claims up to {@code max} entries that are due; entries that no longer decrypt are dropped. */
    public List<Revocation> claimDue(int max, Instant now) {
        List<String> due = SessionStore.redis(() -> sortedSets.zrangebyscore(queueKey,
                new ScoreRange<>(Double.NEGATIVE_INFINITY, (double) now.toEpochMilli()), new ZRangeArgs().limit(0, max)));
        List<Revocation> claimed = new ArrayList<>(due.size());
        for (String member : due) {
            if (SessionStore.redis(() -> sortedSets.zrem(queueKey, member)) == 1) {
                decode(member).ifPresent(claimed::add);
            }
        }
        return claimed;
    }

    public long size() {
        return SessionStore.redis(() -> sortedSets.zcard(queueKey));
    }

    private Optional<Revocation> decode(String member) {
        try {
            return keys.decrypt(queueKey, Base64.getDecoder().decode(member)).flatMap(RevocationQueue::deserialize);
        } catch (IllegalArgumentException notBase64) {
            return Optional.empty();
        }
    }

    private static byte[] serialize(Revocation revocation) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(160);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(revocation.failedAttempts());
            out.write(revocation.tokens().toBytes());
        } catch (IOException impossible) {
            throw new UncheckedIOException(impossible);
        }
        return bytes.toByteArray();
    }

    private static Optional<Revocation> deserialize(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            int attempts = in.readInt();
            return Optional.of(new Revocation(StoredSession.fromBytes(in.readAllBytes()), attempts));
        } catch (IOException corrupt) {
            return Optional.empty();
        }
    }

    /** Exponential backoff from 1 s, capped at 30 s, with up to 250 ms of jitter. */
    public static Duration backoff(int failedAttempts) {
        long base = Math.min(30_000L, 500L << Math.min(Math.max(failedAttempts, 1), 6));
        return Duration.ofMillis(base + ThreadLocalRandom.current().nextLong(250));
    }
}
