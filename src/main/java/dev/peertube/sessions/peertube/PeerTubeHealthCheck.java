package dev.peertube.sessions.peertube;

import java.util.Locale;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.smallrye.health.api.Wellness;

/**
 * How PeerTube looks from this replica, at {@code /q/health/well}: the circuit breaker's state
 * and the last failure, read from memory without calling PeerTube. DOWN while the breaker is
 * open. A wellness check on purpose: PeerTube failing must neither take the pods out of the
 * Service (readiness) nor restart them (liveness); the breaker already answers for it.
 */
@Wellness
@ApplicationScoped
public class PeerTubeHealthCheck implements HealthCheck {

    private final PeerTubeClient peertube;

    PeerTubeHealthCheck(PeerTubeClient peertube) {
        this.peertube = peertube;
    }

    @Override
    public HealthCheckResponse call() {
        CircuitBreakerState state = peertube.breakerState();
        HealthCheckResponseBuilder answer = HealthCheckResponse.named("PeerTube")
                .status(state != CircuitBreakerState.OPEN)
                .withData("circuitBreaker", state.name().toLowerCase(Locale.ROOT));
        peertube.lastFailure().ifPresent(failure -> {
            answer.withData("lastErrorKind", failure.kind().name().toLowerCase(Locale.ROOT))
                    .withData("lastErrorOperation", failure.operation())
                    .withData("lastErrorAt", failure.at().toString());
            if (failure.status() != 0) {
                answer.withData("lastErrorStatus", failure.status());
            }
        });
        return answer.build();
    }
}
