package dev.peertube.sessions.metrics;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;

import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import dev.peertube.sessions.peertube.PeerTubeClient;
import dev.peertube.sessions.problem.ApiException;
import dev.peertube.sessions.problem.Problem;
import dev.peertube.sessions.store.RevocationQueue;
import dev.peertube.sessions.store.StoreUnavailableException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.faulttolerance.api.CircuitBreakerState;

/**
 * The service's own metrics, served in Prometheus format at {@code /q/metrics}. Every tag value
 * comes from a small fixed set (API error codes, operation names, HTTP statuses): never a token,
 * a password, a session id or anything else a caller sent.
 */
@ApplicationScoped
public class SessionMetrics {

    /** A refresh started by {@code GET /session} (or a logout) because the access token was about to expire. */
    public static final String PROACTIVE = "proactive";
    /** A refresh asked for with {@code POST /session/refresh}. */
    public static final String FORCED = "forced";
    /** A caller that found a refresh of the same session in flight in this process and shared its result. */
    public static final String JOINED = "joined";

    static final String LOGINS = "sessions.logins";
    static final String REFRESHES = "sessions.refreshes";
    static final String LOGOUTS = "sessions.logouts";
    static final String UPSTREAM_CALLS = "peertube.calls";
    static final String BREAKER_STATE = "peertube.breaker.state";
    static final String REVOCATIONS_QUEUED = "sessions.revocations.queued";

    private static final String LOGINS_HELP = "Logins (POST /session), by outcome";
    private static final String REFRESHES_HELP = "Session refreshes, by what started them and by outcome";
    private static final String LOGOUTS_HELP = "Logouts (DELETE /session), by outcome";

    private final MeterRegistry registry;
    private final RevocationQueue revocations;
    /** Last length of the revocation queue read from Redis; NaN while Redis cannot be read. */
    private volatile double queuedRevocations = Double.NaN;

    SessionMetrics(MeterRegistry registry, RevocationQueue revocations) {
        this.registry = registry;
        this.revocations = revocations;
    }

    /** Gauges that read other beans are registered once the application runs, outside any bean construction. */
    void registerGauges(@Observes StartupEvent started, PeerTubeClient peertube) {
        for (CircuitBreakerState state : CircuitBreakerState.values()) {
            Gauge.builder(BREAKER_STATE, peertube, client -> client.breakerState() == state ? 1 : 0)
                    .description("1 for the current state of this replica's PeerTube circuit breaker, 0 for the others")
                    .tag("state", state.name().toLowerCase(Locale.ROOT))
                    .register(registry);
        }
        // the usual outcomes exist from the start, so rates and dashboards see zeros rather than gaps
        Counter.builder(LOGINS).description(LOGINS_HELP).tag("code", "ok").register(registry);
        Counter.builder(LOGOUTS).description(LOGOUTS_HELP).tag("code", "ok").register(registry);
        for (String trigger : new String[] { PROACTIVE, FORCED, JOINED }) {
            Counter.builder(REFRESHES).description(REFRESHES_HELP).tag("code", "ok").tag("trigger", trigger).register(registry);
        }
        Gauge.builder(REVOCATIONS_QUEUED, this, metrics -> metrics.queuedRevocations)
                .description("Revocations waiting in the shared Redis queue (NaN while Redis cannot be read)")
                .register(registry);
    }

    /**
     * Reads the queue length in the background, so a scrape never waits for Redis and still
     * answers while Redis is down.
     */
    @Scheduled(every = "${session.revocation-poll-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void readQueueLength() {
        try {
            queuedRevocations = revocations.size();
        } catch (StoreUnavailableException e) {
            queuedRevocations = Double.NaN;
        }
    }

    /** Runs one refresh (or the wait for one in flight) and counts it by trigger and outcome. */
    public <T> T refresh(String trigger, Supplier<T> refresh) {
        try {
            T refreshed = refresh.get();
            count(REFRESHES, REFRESHES_HELP, "ok", "trigger", trigger);
            return refreshed;
        } catch (RuntimeException e) {
            count(REFRESHES, REFRESHES_HELP, codeOf(e), "trigger", trigger);
            throw e;
        }
    }

    /** One attempt of a PeerTube call (each retry is an attempt of its own). */
    public void upstreamCall(String operation, String outcome, String status, long nanos) {
        Timer.builder(UPSTREAM_CALLS)
                .description("Calls to PeerTube, by operation, outcome and HTTP status")
                .tag("operation", operation)
                .tag("outcome", outcome)
                .tag("status", status)
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Counts logins and logouts by the outcome the caller saw, framework errors (bad JSON, wrong media type) included. */
    @ServerResponseFilter
    public void countOutcome(ContainerRequestContext request, ContainerResponseContext response) {
        String path = request.getUriInfo().getPath();
        if (!"/session".equals(path) && !"/session/".equals(path)) {
            return;
        }
        switch (request.getMethod()) {
            case "POST" -> count(LOGINS, LOGINS_HELP, outcomeOf(response), null, null);
            case "DELETE" -> count(LOGOUTS, LOGOUTS_HELP, outcomeOf(response), null, null);
            default -> {
                // GET /session is counted as a refresh only when it refreshes
            }
        }
    }

    private void count(String name, String description, String code, String tag, String value) {
        Counter.Builder counter = Counter.builder(name).description(description).tag("code", code);
        if (tag != null) {
            counter.tag(tag, value);
        }
        counter.register(registry).increment();
    }

    /** {@code ok} for 2xx, {@code queued} for a logout answered 202, else the problem's stable code. */
    private static String outcomeOf(ContainerResponseContext response) {
        if (response.getEntity() instanceof Problem problem) {
            return problem.code();
        }
        int status = response.getStatus();
        if (status == 202) {
            return "queued";
        }
        return status < 300 ? "ok" : "http_" + status;
    }

    private static String codeOf(RuntimeException e) {
        if (e instanceof ApiException api) {
            return api.code();
        }
        if (e instanceof StoreUnavailableException) {
            return "store_unavailable";
        }
        return "internal_error";
    }
}
