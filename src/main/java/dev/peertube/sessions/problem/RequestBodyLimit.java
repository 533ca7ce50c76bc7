package dev.peertube.sessions.problem;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.core.HttpHeaders;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Caps request bodies at {@code quarkus.http.limits.max-body-size} and answers a larger one,
 * with or without {@code Content-Length}, as {@code 400 invalid_request} problem+json. It runs
 * before Quarkus's own check, which would answer a bare 413.
 */
@ApplicationScoped
public class RequestBodyLimit {

    /** Just before Quarkus's upload limit route ({@code RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT}, -2). */
    private static final int ORDER = -3;

    private final long maxBytes;
    private final ObjectMapper json;

    RequestBodyLimit(@ConfigProperty(name = "quarkus.http.limits.max-body-size", defaultValue = "64K") MemorySize maxBodySize,
            ObjectMapper json) {
        this.maxBytes = maxBodySize.asLongValue();
        this.json = json;
    }

    void install(@Observes Router router) {
        router.route().order(ORDER)
                .handler(BodyHandler.create(false).setBodyLimit(maxBytes))
                .handler(RequestBodyLimit::emptyBodyIsABody)
                .failureHandler(this::tooLarge);
    }

    /**
     * A request without body bytes leaves no body behind, and Quarkus REST would then wait for a
     * stream that has already ended: hand it an empty body instead.
     */
    @SuppressWarnings("deprecation")
    private static void emptyBodyIsABody(RoutingContext context) {
        if (context.getBody() == null) {
            context.setBody(Buffer.buffer());
        }
        context.next();
    }

    private void tooLarge(RoutingContext context) {
        if (context.failure() instanceof HttpClosedException) {
            return; // the client went away while sending its body: there is no one to answer
        }
        if (context.statusCode() != 413) {
            context.next();
            return;
        }
        if (context.response().ended()) {
            return;
        }
        byte[] body;
        try {
            body = json.writeValueAsBytes(Problem.of(400, "invalid_request", "The request body is larger than " + maxBytes + " bytes."));
        } catch (JsonProcessingException impossible) {
            body = new byte[0];
        }
        context.response()
                .setStatusCode(400)
                .putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(Buffer.buffer(body));
    }
}
