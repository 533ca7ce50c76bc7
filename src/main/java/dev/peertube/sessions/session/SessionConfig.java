package dev.peertube.sessions.session;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** How sessions behave; {@code SESSION_REFRESH_SKEW} maps onto {@link #refreshSkew()}. */
@ConfigMapping(prefix = "session")
public interface SessionConfig {

    /** The access token is refreshed first when it expires within this. */
    @WithDefault("60s")
    Duration refreshSkew();

    /** Prefix of every Redis key the service writes, so several deployments can share one Redis. */
    @WithDefault("pts:")
    String keyPrefix();

    /**
     * Server keys (base64 of 32 bytes, comma-separated; the first encrypts, all decrypt) for what
     * the service must read without the caller, such as queued revocations. Required in prod.
     */
    Optional<List<String>> encryptionKeys();

    /** How often each replica looks for queued revocations that are due. */
    @WithDefault("1s")
    Duration revocationPollInterval();

    /** Limits on login attempts, counted in Redis so that every replica shares them. */
    LoginLimit loginLimit();

    /**
     * Fixed-window limits on login attempts, checked before PeerTube is called. Every attempt
     * takes a slot; a successful login gives its slot back, so the limits count failed attempts.
     */
    interface LoginLimit {

        /** Attempts per username (compared case-insensitively) and window; 0 turns the limit off. */
        @WithDefault("10")
        int perUsername();

        /** Attempts per client address and window; 0 turns the limit off. */
        @WithDefault("30")
        int perAddress();

        /** Length of the window; it starts with the first attempt. */
        @WithDefault("5m")
        Duration window();
    }
}
