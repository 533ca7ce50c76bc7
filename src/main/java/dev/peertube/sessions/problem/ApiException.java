package dev.peertube.sessions.problem;

import java.util.OptionalLong;

/**
 * An answer of the service's HTTP contract that is not a success: an HTTP status, a stable
 * {@code code} and the service's own sentence. No stack trace, nothing from the wire.
 */
public final class ApiException extends RuntimeException {

    private final int status;
    private final String code;
    private final Long retryAfterSeconds;

    public ApiException(int status, String code, String detail) {
        this(status, code, detail, null);
    }

    public ApiException(int status, String code, String detail, Long retryAfterSeconds) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String detail() {
        return getMessage();
    }

    public OptionalLong retryAfterSeconds() {
        return retryAfterSeconds == null ? OptionalLong.empty() : OptionalLong.of(retryAfterSeconds);
    }

    public static ApiException invalidRequest(String detail) {
        return new ApiException(400, "invalid_request", detail);
    }

    public static ApiException sessionNotFound() {
        return new ApiException(401, "session_not_found",
                "No live session matches the bearer value; log in again.");
    }

    public static ApiException sessionExpired() {
        return new ApiException(401, "session_expired",
                "PeerTube ended this session (its refresh token was rejected); log in again.");
    }

    public static ApiException storeUnavailable() {
        return new ApiException(503, "store_unavailable", "The session store cannot be reached; try again shortly.", 1L);
    }
}
