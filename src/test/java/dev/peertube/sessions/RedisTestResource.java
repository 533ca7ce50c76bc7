package dev.peertube.sessions;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Points the application, in test and in the packaged prod run alike, at the real Redis on
 * loopback, in a database index and key prefix of its own, with short upstream timings.
 */
public class RedisTestResource implements QuarkusTestResourceLifecycleManager {

    /** Database index 7 unless {@code TEST_REDIS_DB} names another (two checkouts testing at once). */
    public static final String REDIS_URL = "redis://127.0.0.1:6379/" + System.getenv().getOrDefault("TEST_REDIS_DB", "7");
    public static final String KEY_PREFIX = "pts-test:";

    @Override
    public Map<String, String> start() {
        return Map.of(
                "quarkus.redis.hosts", REDIS_URL,
                "session.key-prefix", KEY_PREFIX,
                // a fixed test key: the prod profile of the *IT runs requires one
                "session.encryption-keys", "q1Bq0hXv0VbX0Q3m4vQZ8kK7o5o1M2h3Yc6yN9tJ0fE=",
                "peertube.timeout", "2s",
                "peertube.breaker-delay", "2s",
                "peertube.retry-delay", "50ms",
                "session.revocation-poll-interval", "1s",
                // no readiness grace period between test runs: nothing routes traffic here
                "quarkus.shutdown.delay", "0s",
                // generous: the login-limit tests set their own, lower limits
                "session.login-limit.per-username", "1000",
                "session.login-limit.per-address", "10000");
    }

    @Override
    public void stop() {
    }
}
