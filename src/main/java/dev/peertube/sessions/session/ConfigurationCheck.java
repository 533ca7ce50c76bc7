package dev.peertube.sessions.session;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import dev.peertube.sessions.peertube.PeerTubeConfig;
import io.quarkus.runtime.StartupEvent;

/**
 * Refuses to start with settings that parse but cannot work, naming each offending setting by
 * its environment variable.
 */
@ApplicationScoped
public class ConfigurationCheck {

    void onStart(@Observes StartupEvent start, PeerTubeConfig peertube, SessionConfig session) {
        List<String> problems = problems(peertube, session);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("Invalid configuration: " + String.join("; ", problems));
        }
    }

    static List<String> problems(PeerTubeConfig peertube, SessionConfig session) {
        List<String> problems = new ArrayList<>();
        String scheme = peertube.url().getScheme();
        if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || peertube.url().getHost() == null) {
            problems.add("PEERTUBE_URL must be an http:// or https:// URL with a host");
        }
        if (peertube.host().isPresent() && (peertube.host().get().isBlank() || peertube.host().get().contains("/"))) {
            problems.add("PEERTUBE_HOST must be a host name with an optional :port");
        }
        requireBetween(problems, "PEERTUBE_TIMEOUT", peertube.timeout(), Duration.ofMillis(100), Duration.ofMinutes(1));
        requireBetween(problems, "PEERTUBE_BREAKER_DELAY", peertube.breakerDelay(), Duration.ofMillis(100), Duration.ofMinutes(10));
        if (peertube.breakerRequestVolume() < 1 || peertube.breakerRequestVolume() > 20) {
            problems.add("PEERTUBE_BREAKER_REQUEST_VOLUME must be between 1 and 20");
        }
        if (!(peertube.breakerFailureRatio() > 0 && peertube.breakerFailureRatio() <= 1)) {
            problems.add("PEERTUBE_BREAKER_FAILURE_RATIO must be above 0 and at most 1");
        }
        if (peertube.retries() < 0 || peertube.retries() > 5) {
            problems.add("PEERTUBE_RETRIES must be between 0 and 5");
        }
        requireBetween(problems, "PEERTUBE_RETRY_DELAY", peertube.retryDelay(), Duration.ofMillis(1), Duration.ofSeconds(10));
        if (peertube.maxConcurrentCalls() < 1) {
            problems.add("PEERTUBE_MAX_CONCURRENT_CALLS must be at least 1");
        }
        requireBetween(problems, "PEERTUBE_IDLE_CONNECTION_TIMEOUT", peertube.idleConnectionTimeout(), Duration.ofSeconds(1),
                Duration.ofSeconds(4)); // PeerTube closes idle connections after 5 s
        requireBetween(problems, "SESSION_REFRESH_SKEW", session.refreshSkew(), Duration.ZERO, Duration.ofDays(1));
        if (session.keyPrefix().isEmpty()) {
            problems.add("SESSION_KEY_PREFIX must not be empty");
        }
        requireBetween(problems, "SESSION_REVOCATION_POLL_INTERVAL", session.revocationPollInterval(), Duration.ofSeconds(1),
                Duration.ofMinutes(5));
        return problems;
    }

    private static void requireBetween(List<String> problems, String name, Duration value, Duration min, Duration max) {
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            problems.add(name + " must be between " + min + " and " + max);
        }
    }
}
