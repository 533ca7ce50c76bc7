package dev.peertube.sessions.session;

import dev.peertube.sessions.peertube.PeerTubeException;
import dev.peertube.sessions.problem.ApiException;

/**
 * Translates PeerTube's answers into the service's error codes, by status and PeerTube
 * {@code code} only. PeerTube's {@code detail} is never read nor passed on.
 */
final class UpstreamErrors {

    private UpstreamErrors() {
    }

    /** Errors of the password grant (login). */
    static ApiException ofLogin(PeerTubeException e) {
        if (e.isClientFetch() || e.kind() != PeerTubeException.Kind.REJECTED) {
            return ofFailure(e);
        }
        if (e.status() == 401 && (e.hasCode("missing_two_factor") || e.otpRequired())) {
            return new ApiException(401, "otp_required", "This account has two-factor authentication; send `otp`.");
        }
        String code = e.code() == null ? "" : e.code();
        return switch (code) {
            case "invalid_grant", "Error" -> new ApiException(401, "invalid_credentials", "The username or password is wrong.");
            case "invalid_two_factor" -> new ApiException(401, "invalid_otp", "The one-time code is wrong or too old.");
            case "too_long_password" -> new ApiException(400, "password_too_long",
                    "PeerTube refuses passwords over 72 bytes; reset the password on PeerTube.");
            case "account_blocked" -> new ApiException(403, "account_blocked", "The account is blocked on PeerTube.");
            case "email_not_verified" -> new ApiException(403, "email_not_verified", "The account's e-mail address is not verified yet.");
            case "access_denied" -> new ApiException(403, "access_denied",
                    "PeerTube denied access to the account (blocked, or e-mail not verified).");
            case "account_waiting_for_approval" -> new ApiException(403, "account_pending_approval",
                    "The account's registration is awaiting approval by a moderator.");
            case "account_approval_rejected" -> new ApiException(403, "account_rejected", "The account's registration was rejected.");
            case "too_many_login_failures" -> new ApiException(429, "account_locked",
                    "Too many failed logins for this account; try again later.", retryAfter(e, 300));
            case "invalid_client" -> misconfiguredClient();
            default -> ofRejection(e);
        };
    }

    /** Failures of any call that are not PeerTube's verdict on the credentials. */
    static ApiException ofFailure(PeerTubeException e) {
        if (e.isClientFetch() && e.kind() == PeerTubeException.Kind.REJECTED && e.status() == 403) {
            return new ApiException(502, "upstream_misconfigured",
                    "PeerTube refused to hand out its OAuth client for the Host header sent; set PEERTUBE_HOST to PeerTube's "
                            + "public host exactly as in its `webserver` configuration (hostname, plus :port unless 80 or 443).");
        }
        return switch (e.kind()) {
            case CIRCUIT_OPEN -> new ApiException(503, "upstream_unavailable",
                    "PeerTube is failing; calls are paused for a moment.", retryAfter(e, 1));
            case BULKHEAD_FULL -> new ApiException(503, "upstream_unavailable", "Too many calls to PeerTube are in progress.", 1L);
            case CONNECT_FAILED, CONNECTION_LOST -> new ApiException(503, "upstream_unavailable", "PeerTube cannot be reached.", 1L);
            case TIMEOUT -> new ApiException(504, "upstream_timeout", "PeerTube did not answer in time.");
            case SERVER_ERROR, BAD_RESPONSE -> new ApiException(502, "upstream_error", "PeerTube answered with an error or an unusable answer.");
            case REJECTED -> ofRejection(e);
        };
    }

    static ApiException misconfiguredClient() {
        return new ApiException(502, "upstream_misconfigured",
                "PeerTube rejected its own local OAuth client twice; check that PEERTUBE_URL and PEERTUBE_HOST point to one instance.");
    }

    private static ApiException ofRejection(PeerTubeException e) {
        if (e.status() == 429) {
            return new ApiException(429, "rate_limited", "PeerTube is rate limiting this service; retry later.", retryAfter(e, 60));
        }
        if (e.hasCode("invalid_client")) {
            return misconfiguredClient();
        }
        return new ApiException(502, "upstream_error", "PeerTube answered with an unexpected error.");
    }

    private static Long retryAfter(PeerTubeException e, long fallback) {
        return e.retryAfterSeconds().isPresent() ? e.retryAfterSeconds().getAsLong() : fallback;
    }
}
