package dev.peertube.sessions.session;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.peertube.sessions.store.StoredSession;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The answer to login, current token and refresh: the access token and when it and the session
 * expire. {@code sessionId} is only present in the login answer. No field holds the refresh token.
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SessionToken(String sessionId, String tokenType, String accessToken, Instant expiresAt, Instant sessionExpiresAt) {

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
