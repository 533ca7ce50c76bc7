package dev.peertube.sessions.problem;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Requests that the HTTP layer would refuse with a bare status before any resource runs get a
 * problem+json answer like every other error: a declared body over the service's size cap
 * (answered {@code 400 invalid_request}, as the contract says of every input limit, never 413)
 * and any other 4xx failure of the routing itself.
 * <p>
 * The cap is checked on {@code Content-Length}; a chunked body is read up to
 * {@code quarkus.http.limits.max-body-size} (a larger, last-resort limit) and then validated
 * field by field.
 */
@Singleton
public class HttpLayerProblems {

    /** Login bodies are a few hundred bytes. */
    static final long MAX_BODY_BYTES = 64 * 1024;

    void register(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(this::screen).failureHandler(this::failed);
    }

    private void screen(RoutingContext context) {
        String length = context.request().getHeader("Content-Length");
        if (length != null && declaredLengthExceeds(length)) {
            // the request is refused before its body is read; the connection cannot be reused
            context.response().putHeader("Connection", "close");
            answer(context, ApiException.invalidRequest("The request body is larger than the service accepts."));
            return;
        }
        context.next();
    }

    private void failed(RoutingContext context) {
        int status = context.statusCode();
        if (context.response().headWritten() || status < 400 || status >= 500) {
            context.next();
            return;
        }
        answer(context, status == 413
                ? ApiException.invalidRequest("The request body is larger than the service accepts.")
                : new ApiException(status, "invalid_request", "The request cannot be processed as sent."));
    }

    private boolean declaredLengthExceeds(String length) {
        try {
            return Long.parseLong(length.trim()) > MAX_BODY_BYTES;
        } catch (NumberFormatException notANumber) {
            return false; // the HTTP layer itself rejects it
        }
    }

    private static void answer(RoutingContext context, ApiException error) {
        context.response()
                .setStatusCode(error.status())
                .putHeader("Content-Type", Problem.MEDIA_TYPE)
                .putHeader("Cache-Control", "no-store")
                .end(Json.encode(Problem.of(error.status(), error.code(), error.detail())));
    }
}
