package dev.peertube.sessions.peertube;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Where PeerTube is and how hard the service tries to reach it. Environment names such as
 * {@code PEERTUBE_URL}, {@code PEERTUBE_HOST}, {@code PEERTUBE_TIMEOUT} and
 * {@code PEERTUBE_BREAKER_DELAY} map onto these properties.
 */
@ConfigMapping(prefix = "peertube")
public interface PeerTubeConfig {

    /** Where the service reaches PeerTube, possibly an internal (cluster) address. */
    @WithDefault("https://peertube2.cpy.re")
    URI url();

    /**
     * The {@code Host} header sent to {@code oauth-clients/local}: PeerTube's public host, with
     * {@code :port} unless the port is 80 or 443. Defaults to the host of {@link #url()}.
     */
    Optional<String> host();

    /** Per-call timeout; it aborts the HTTP request itself. */
    @WithDefault("3s")
    Duration timeout();

    /** How long the circuit breaker stays open before it lets one trial call through. */
    @WithDefault("10s")
    Duration breakerDelay();

    /** Number of recent calls the breaker looks at (it opens after at most this many failures). */
    @WithDefault("10")
    int breakerRequestVolume();

    /** Share of failures among the recent calls that opens the breaker. */
    @WithDefault("0.5")
    double breakerFailureRatio();

    /** Retries of a call that is safe to repeat (never a 4xx, never a refresh that may have been received). */
    @WithDefault("2")
    int retries();

    /** First backoff delay; it doubles with each retry, with jitter. */
    @WithDefault("100ms")
    Duration retryDelay();

    /** Maximum number of concurrent calls to PeerTube from one replica. */
    @WithDefault("32")
    int maxConcurrentCalls();

    /**
     * Idle time after which a pooled connection is closed. PeerTube (Node) closes idle keep-alive
     * connections after 5 s, so this must stay below that.
     */
    @WithDefault("3s")
    Duration idleConnectionTimeout();

    /** Send the end user's address to PeerTube in {@code X-Forwarded-For} (PeerTube must trust this service as a proxy). */
    @WithDefault("false")
    boolean forwardClientAddress();

    /** The Host header value to send: the configured one, or the URL's authority without a default port. */
    default String effectiveHost() {
        return host().filter(h -> !h.isBlank()).orElseGet(() -> {
            URI url = url();
            int port = url.getPort();
            boolean defaultPort = port == -1 || port == 80 || port == 443;
            return defaultPort ? url.getHost() : url.getHost() + ":" + port;
        });
    }
}
