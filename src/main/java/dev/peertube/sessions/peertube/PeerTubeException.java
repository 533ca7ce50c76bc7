package dev.peertube.sessions.peertube;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.TimeoutException;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Anything but a usable answer from PeerTube, classified by HTTP status and PeerTube's
 * {@code code} (never by {@code detail}, which PeerTube translates). Carries no stack trace
 * and no message from the wire: nothing secret can leak through it.
 */
public final class PeerTubeException extends RuntimeException {

    /** What went wrong, from the caller's point of view. */
    public enum Kind {
        /** PeerTube answered 4xx (including 429): an answer, not a failure of PeerTube. */
        REJECTED(false, true),
        /** PeerTube answered 5xx. */
        SERVER_ERROR(true, true),
        /** PeerTube answered something the contract does not allow (wrong status, unreadable body). */
        BAD_RESPONSE(true, true),
        /** No answer within the timeout; the request may have been processed. */
        TIMEOUT(true, true),
        /** The connection could not be opened: the request was never sent. */
        CONNECT_FAILED(true, false),
        /** The connection closed before an answer; the request may have been processed. */
        CONNECTION_LOST(true, true),
        /** The circuit breaker is open: PeerTube was not called. */
        CIRCUIT_OPEN(false, false),
        /** Too many concurrent calls to PeerTube: this one was not made. */
        BULKHEAD_FULL(false, false);

        private final boolean breakerFailure;
        private final boolean mayHaveReachedPeerTube;

        Kind(boolean breakerFailure, boolean mayHaveReachedPeerTube) {
            this.breakerFailure = breakerFailure;
            this.mayHaveReachedPeerTube = mayHaveReachedPeerTube;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Kind kind;
    private final int status;
    private final String code;
    private final Long retryAfterSeconds;
    private final boolean otpRequired;
    private final boolean clientFetch;

    public PeerTubeException(Kind kind, int status, String code, Long retryAfterSeconds, boolean otpRequired) {
        this(kind, status, code, retryAfterSeconds, otpRequired, false);
    }

    private PeerTubeException(Kind kind, int status, String code, Long retryAfterSeconds, boolean otpRequired,
            boolean clientFetch) {
        super(describe(kind, status, code), null, false, false);
        this.kind = kind;
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
        this.otpRequired = otpRequired;
        this.clientFetch = clientFetch;
    }

    /** The same failure, marked as coming from {@code oauth-clients/local}. */
    PeerTubeException duringClientFetch() {
        return new PeerTubeException(kind, status, code, retryAfterSeconds, otpRequired, true);
    }

    /** The failure happened while fetching the OAuth client, not during the call itself. */
    public boolean isClientFetch() {
        return clientFetch;
    }

    public static PeerTubeException of(Kind kind) {
        return new PeerTubeException(kind, 0, null, null, false);
    }

    public static PeerTubeException circuitOpen(long retryAfterSeconds) {
        return new PeerTubeException(Kind.CIRCUIT_OPEN, 0, null, retryAfterSeconds, false);
    }

    public Kind kind() {
        return kind;
    }

    /** HTTP status PeerTube answered with, 0 when it did not answer. */
    public int status() {
        return status;
    }

    /** PeerTube's {@code code}, or null (plain-text 429, empty bodies, the 403 of the Host check). */
    public String code() {
        return code;
    }

    public boolean hasCode(String expected) {
        return expected.equals(code);
    }

    /** Seconds to wait, from PeerTube's {@code Retry-After} or the breaker's remaining delay. */
    public OptionalLong retryAfterSeconds() {
        return retryAfterSeconds == null ? OptionalLong.empty() : OptionalLong.of(retryAfterSeconds);
    }

    /** PeerTube answered {@code x-peertube-otp: required; app}. */
    public boolean otpRequired() {
        return otpRequired;
    }

    /** Connection failures, timeouts, 5xx and unusable answers count; 4xx and 429 do not. */
    public boolean isBreakerFailure() {
        return kind.breakerFailure;
    }

    /** False only when PeerTube certainly never received the request, so repeating it is harmless. */
    public boolean mayHaveReachedPeerTube() {
        return kind.mayHaveReachedPeerTube;
    }

    /** Builds the exception for a non-2xx answer. */
    static PeerTubeException fromResponse(Response response) {
        int status = response.getStatus();
        Kind kind = status >= 500 ? Kind.SERVER_ERROR : status >= 400 ? Kind.REJECTED : Kind.BAD_RESPONSE;
        String otpHeader = response.getHeaderString("x-peertube-otp");
        boolean otpRequired = otpHeader != null && otpHeader.toLowerCase(Locale.ROOT).startsWith("required");
        return new PeerTubeException(kind, status, readCode(response), parseRetryAfter(response.getHeaderString("Retry-After")),
                otpRequired);
    }

    /** Classifies a transport failure (connect, timeout, closed connection, unreadable body). */
    static PeerTubeException fromTransport(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof PeerTubeException e) {
                return e;
            }
            if (t instanceof ConnectException || t instanceof UnknownHostException) {
                return of(Kind.CONNECT_FAILED);
            }
            if (t instanceof TimeoutException || t instanceof java.net.SocketTimeoutException
                    || t.getClass().getSimpleName().contains("Timeout")) {
                return of(Kind.TIMEOUT);
            }
            if (t instanceof com.fasterxml.jackson.core.JacksonException) {
                return of(Kind.BAD_RESPONSE);
            }
            if (t.getClass().getSimpleName().contains("Closed")
                    || (t.getMessage() != null && t.getMessage().contains("closed"))) {
                return of(Kind.CONNECTION_LOST);
            }
        }
        return of(Kind.CONNECTION_LOST);
    }

    private static String readCode(Response response) {
        MediaType type = response.getMediaType();
        if (type == null || !type.getSubtype().toLowerCase(Locale.ROOT).endsWith("json") || !response.hasEntity()) {
            return null;
        }
        try {
            String body = response.readEntity(String.class);
            if (body == null || body.isBlank()) {
                return null;
            }
            JsonNode code = JSON.readTree(body).get("code");
            return code != null && code.isTextual() ? code.asText() : null;
        } catch (Exception unreadable) {
            return null;
        }
    }

    static Long parseRetryAfter(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String trimmed = value.trim();
        try {
            return Math.max(0, Long.parseLong(trimmed));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = DateTimeFormatter.RFC_1123_DATE_TIME.parse(trimmed, Instant::from);
                return Math.max(0, Duration.between(Instant.now(), at).toSeconds());
            } catch (RuntimeException notADate) {
                return null;
            }
        }
    }

    private static String describe(Kind kind, int status, String code) {
        StringBuilder text = new StringBuilder("PeerTube call failed: ").append(kind);
        if (status != 0) {
            text.append(", status ").append(status);
        }
        if (code != null) {
            text.append(", code ").append(code.length() > 64 ? code.substring(0, 64) : code);
        }
        return text.toString();
    }
}
