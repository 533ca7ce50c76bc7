package dev.peertube.sessions.peertube;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Form;

import org.eclipse.microprofile.faulttolerance.exceptions.BulkheadException;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;
import org.jboss.resteasy.reactive.client.api.LoggingScope;
import org.jboss.resteasy.reactive.client.api.QuarkusRestClientProperties;

import dev.peertube.sessions.metrics.SessionMetrics;
import dev.peertube.sessions.peertube.PeerTubeException.Kind;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.smallrye.faulttolerance.api.Guard;
import io.smallrye.mutiny.Uni;

/**
 * The fault-tolerant face of {@link PeerTubeApi}. Every call goes through one shared circuit
 * breaker, a bulkhead and a timeout; retries are chosen per call by what is safe to repeat.
 * PeerTube's 4xx answers (including 429) are answers, not failures: they never open the breaker
 * and are never retried.
 */
@ApplicationScoped
public class PeerTubeClient {

    /** Sent on every call, from every replica, background ones included. */
    public static final String USER_AGENT = "peertube-session-service/1";

    /** Name of the circuit breaker, for {@code CircuitBreakerMaintenance}. */
    public static final String BREAKER = "peertube";

    /** Reading the client or revoking a token twice is harmless. */
    private static final Set<Kind> RETRY_IDEMPOTENT = EnumSet.of(Kind.SERVER_ERROR, Kind.CONNECT_FAILED, Kind.CONNECTION_LOST);
    /** A repeated password grant at worst mints a second token pair; never after a timeout or a lost answer. */
    private static final Set<Kind> RETRY_LOGIN = EnumSet.of(Kind.SERVER_ERROR, Kind.CONNECT_FAILED);
    /** A refresh that may have reached PeerTube may have rotated the token: only an unsent one is repeated. */
    private static final Set<Kind> RETRY_REFRESH = EnumSet.of(Kind.CONNECT_FAILED);

    /** The last failure of PeerTube itself (not a refusal of credentials), for the health check. */
    public record Failure(String operation, Kind kind, int status, Instant at) {
    }

    private final PeerTubeApi api;
    private final SessionMetrics metrics;
    private final String host;
    private final boolean forwardClientAddress;
    private final long breakerDelayMillis;
    private final Guard upstream;
    private final Guard retryIdempotent;
    private final Guard retryLogin;
    private final Guard retryRefresh;
    private volatile long breakerOpenedAt;
    private volatile Failure lastFailure;

    PeerTubeClient(PeerTubeConfig config, SessionMetrics metrics) {
        this.metrics = metrics;
        long timeoutMillis = config.timeout().toMillis();
        this.host = config.effectiveHost();
        this.forwardClientAddress = config.forwardClientAddress();
        this.breakerDelayMillis = config.breakerDelay().toMillis();
        this.api = QuarkusRestClientBuilder.newBuilder()
                .baseUri(config.url())
                .connectTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .readTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .userAgent(USER_AGENT)
                .followRedirects(false)
                // request and response bodies carry the client secret, passwords and tokens: never logged,
                // whatever quarkus.rest-client.logging.scope says
                .loggingScope(LoggingScope.NONE)
                .property(QuarkusRestClientProperties.CONNECTION_TTL,
                        (int) Math.max(1, config.idleConnectionTimeout().toSeconds()))
                .property(QuarkusRestClientProperties.CONNECTION_POOL_SIZE, config.maxConcurrentCalls())
                .build(PeerTubeApi.class);
        this.upstream = Guard.create()
                .withDescription("PeerTube")
                .withCircuitBreaker()
                    .name(BREAKER)
                    .requestVolumeThreshold(config.breakerRequestVolume())
                    .failureRatio(config.breakerFailureRatio())
                    .delay(breakerDelayMillis, ChronoUnit.MILLIS)
                    .successThreshold(1)
                    // a full bulkhead is this replica's own saturation, not PeerTube failing
                    .when(failure -> failure instanceof PeerTubeException e ? e.isBreakerFailure()
                            : !(failure instanceof BulkheadException))
                    .onStateChange(this::breakerChanged)
                    .done()
                .withTimeout()
                    // the HTTP client's own timeout aborts the request; this one is the backstop
                    .duration(timeoutMillis + 500, ChronoUnit.MILLIS)
                    .done()
                .withBulkhead()
                    .limit(config.maxConcurrentCalls())
                    // a short burst waits for a free slot (within the timeout) instead of failing
                    .queueSize(config.maxConcurrentCalls())
                    .done()
                .build();
        this.retryIdempotent = retrying(config, RETRY_IDEMPOTENT);
        this.retryLogin = retrying(config, RETRY_LOGIN);
        this.retryRefresh = retrying(config, RETRY_REFRESH);
    }

    /**
     * Retries with exponential backoff and jitter, stopping early enough that the whole call
     * answers within three times the timeout. A timeout is never retried, nor an open breaker.
     */
    private static Guard retrying(PeerTubeConfig config, Set<Kind> retryable) {
        long timeoutMillis = config.timeout().toMillis();
        long delayMillis = Math.max(1, config.retryDelay().toMillis());
        return Guard.create()
                .withRetry()
                    .maxRetries(config.retries())
                    .delay(delayMillis, ChronoUnit.MILLIS)
                    .jitter(Math.max(1, delayMillis / 2), ChronoUnit.MILLIS)
                    .maxDuration(timeoutMillis + timeoutMillis / 2, ChronoUnit.MILLIS)
                    .whenException(failure -> failure instanceof PeerTubeException e && retryable.contains(e.kind()))
                    .withExponentialBackoff()
                        .factor(2)
                        .maxDelay(Math.max(delayMillis, timeoutMillis / 2), ChronoUnit.MILLIS)
                        .done()
                    .done()
                .build();
    }

    /** {@code GET /api/v1/oauth-clients/local} with the configured public {@code Host}. */
    public Uni<OAuthClient> fetchClient() {
        return call(retryIdempotent, "client", () -> api.localClient(host))
                .map(client -> {
                    if (client == null || !client.isUsable()) {
                        throw PeerTubeException.of(Kind.BAD_RESPONSE);
                    }
                    return client;
                })
                .onFailure(PeerTubeException.class).transform(e -> ((PeerTubeException) e).duringClientFetch());
    }

    /**
     * Password grant, with the OTP header for 2FA accounts, or an external-auth plugin's token.
     * {@code clientAddress} (may be null) is forwarded only when configured.
     */
    public Uni<TokenResponse> passwordGrant(OAuthClient client, String username, String password, String otp,
            String externalAuthToken, String clientAddress) {
        String forwardedFor = forwardedFor(clientAddress);
        Form form = clientForm(client, "password").param("username", username);
        if (password != null) {
            form.param("password", password);
        }
        if (externalAuthToken != null) {
            form.param("externalAuthToken", externalAuthToken);
        }
        return call(retryLogin, "token_password", () -> api.token(form, otp, forwardedFor)).map(PeerTubeClient::usable);
    }

    /** Refresh grant: PeerTube answers a new pair and kills the old one. Never repeated once possibly received. */
    public Uni<TokenResponse> refreshGrant(OAuthClient client, String refreshToken, String clientAddress) {
        String forwardedFor = forwardedFor(clientAddress);
        Form form = clientForm(client, "refresh_token").param("refresh_token", refreshToken);
        return call(retryRefresh, "token_refresh", () -> api.token(form, null, forwardedFor)).map(PeerTubeClient::usable);
    }

    /** Revokes the pair of this access token. */
    public Uni<Void> revoke(String accessToken, String clientAddress) {
        String forwardedFor = forwardedFor(clientAddress);
        return call(retryIdempotent, "revoke", () -> api.revokeToken("Bearer " + accessToken, forwardedFor)).replaceWithVoid();
    }

    /** The end user's address for {@code X-Forwarded-For}, when forwarding is enabled; null sends no header. */
    private String forwardedFor(String clientAddress) {
        return forwardClientAddress ? clientAddress : null;
    }

    /** Current breaker state, as seen by this replica (also right after a maintenance reset). */
    public CircuitBreakerState breakerState() {
        return CircuitBreakerMaintenance.get().currentState(BREAKER);
    }

    /** The last time PeerTube failed (5xx, timeout, connection, unusable answer, 429), if it did since startup. */
    public Optional<Failure> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    /**
     * Times one attempt of a call (a retry is an attempt of its own) by outcome and status, and
     * remembers the last failure of PeerTube itself.
     */
    private <T> Supplier<Uni<T>> measured(String operation, Supplier<Uni<T>> request) {
        return () -> {
            long start = System.nanoTime();
            return request.get()
                    .onItem().invoke(answer -> metrics.upstreamCall(operation, "ok", "2xx", System.nanoTime() - start))
                    .onFailure().transform(e -> {
                        PeerTubeException failure = PeerTubeException.fromTransport(e);
                        metrics.upstreamCall(operation, failure.kind().name().toLowerCase(Locale.ROOT),
                                failure.status() == 0 ? "none" : String.valueOf(failure.status()), System.nanoTime() - start);
                        if (failure.isBreakerFailure() || failure.status() == 429) {
                            lastFailure = new Failure(operation, failure.kind(), failure.status(), Instant.now());
                        }
                        return failure;
                    });
        };
    }

    private static Form clientForm(OAuthClient client, String grantType) {
        return new Form()
                .param("client_id", client.clientId())
                .param("client_secret", client.clientSecret())
                .param("grant_type", grantType);
    }

    private static TokenResponse usable(TokenResponse token) {
        if (token == null || !token.isUsable()) {
            throw PeerTubeException.of(Kind.BAD_RESPONSE);
        }
        return token;
    }

    /**
     * One call: retried by {@code retry}, each attempt measured and passed through the shared
     * guard. Nothing blocks: timeouts, retry delays and a full bulkhead's queue are timers and
     * callbacks, so a call can start on an event loop.
     */
    private <T> Uni<T> call(Guard retry, String operation, Supplier<Uni<T>> request) {
        Supplier<Uni<T>> attempt = measured(operation, request);
        return retry.get(() -> guarded(attempt), uni())
                .onFailure().transform(PeerTubeException::fromTransport);
    }

    /** Breaker, timeout and bulkhead; their refusals become {@link PeerTubeException}s too. */
    private <T> Uni<T> guarded(Supplier<Uni<T>> attempt) {
        return upstream.get(attempt, uni()).onFailure().transform(failure -> {
            if (failure instanceof CircuitBreakerOpenException) {
                return PeerTubeException.circuitOpen(secondsUntilHalfOpen());
            }
            if (failure instanceof BulkheadException) {
                return PeerTubeException.of(Kind.BULKHEAD_FULL);
            }
            if (failure instanceof TimeoutException) {
                return PeerTubeException.of(Kind.TIMEOUT);
            }
            return failure;
        });
    }

    /** The guards see a {@link Uni}, which makes them asynchronous; the element type is not used. */
    @SuppressWarnings({ "unchecked", "rawtypes" })
    private static <T> Class<Uni<T>> uni() {
        return (Class) Uni.class;
    }

    private void breakerChanged(CircuitBreakerState state) {
        if (state == CircuitBreakerState.OPEN) {
            breakerOpenedAt = System.currentTimeMillis();
        }
    }

    private long secondsUntilHalfOpen() {
        long left = breakerOpenedAt + breakerDelayMillis - System.currentTimeMillis();
        return Math.max(1, (left + 999) / 1000);
    }
}
