package dev.peertube.sessions.session;

import java.time.Instant;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;

import dev.peertube.sessions.store.StoredSession;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The answer to login, current token and refresh: the access token and when it and the session
 * expire. {@code sessionId} is only present in the login answer. No field holds the refresh token.
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "SessionToken", description = "A PeerTube access token and when it and the session expire; never the refresh token.")
public record SessionToken(
        @Schema(description = "The opaque session id (64 base64url characters); only in the login answer",
                pattern = "^[A-Za-z0-9_-]{64}$") String sessionId,
        @Schema(required = true, enumeration = "Bearer") String tokenType,
        @Schema(required = true, description = "PeerTube access token") String accessToken,
        @Schema(required = true, description = "When the access token expires (UTC)")
        @JsonSerialize(using = UtcSecondsSerializer.class) Instant expiresAt,
        @Schema(required = true, description = "When the session ends unless refreshed (the refresh token's expiry, "
                + "moved forward by every refresh)")
        @JsonSerialize(using = UtcSecondsSerializer.class) Instant sessionExpiresAt) {

    static SessionToken of(StoredSession session) {
        return new SessionToken(null, "Bearer", session.accessToken(), session.accessExpiresAt(), session.refreshExpiresAt());
    }

    static SessionToken of(String sessionId, StoredSession session) {
        return new SessionToken(sessionId, "Bearer", session.accessToken(), session.accessExpiresAt(), session.refreshExpiresAt());
    }

    @Override
    public String toString() {
        return "SessionToken[expiresAt=" + expiresAt + ", sessionExpiresAt=" + sessionExpiresAt + "]";
    }
}
