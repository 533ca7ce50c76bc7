package dev.peertube.sessions.problem;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** An RFC 9457 problem document with the service's stable {@code code}. */
@RegisterForReflection
@Schema(name = "Problem", description = "An RFC 9457 problem document (application/problem+json) with the service's stable `code`.")
public record Problem(
        @Schema(required = true, example = "urn:peertube-session-service:problem:session_not_found") String type,
        @Schema(required = true, example = "Unauthorized") String title,
        @Schema(required = true, example = "401") int status,
        @Schema(required = true, description = "The service's own sentence; never quotes PeerTube, a token or a password")
        String detail,
        @Schema(required = true, description = "Stable, machine-readable error code", enumeration = { "invalid_request",
                "password_too_long", "invalid_credentials", "otp_required", "invalid_otp", "session_not_found", "session_expired",
                "account_blocked", "email_not_verified", "account_pending_approval", "account_rejected", "access_denied",
                "rate_limited", "account_locked", "upstream_error", "upstream_misconfigured", "upstream_unavailable",
                "store_unavailable", "upstream_timeout", "not_found", "method_not_allowed", "internal_error" })
        String code) {

    public static final String MEDIA_TYPE = "application/problem+json";

    static Problem of(int status, String code, String detail) {
        return new Problem("urn:peertube-session-service:problem:" + code, title(status), status, detail, code);
    }

    private static String title(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 406 -> "Not Acceptable";
            case 413 -> "Content Too Large";
            case 415 -> "Unsupported Media Type";
            case 429 -> "Too Many Requests";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> status >= 500 ? "Internal Server Error" : "Bad Request";
        };
    }
}
