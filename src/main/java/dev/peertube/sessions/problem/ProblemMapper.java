package dev.peertube.sessions.problem;

import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.core.JacksonException;

import dev.peertube.sessions.store.StoreUnavailableException;

/** The one place where exceptions become problem+json answers. Never a stack trace, never a secret. */
public class ProblemMapper {

    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    @ServerExceptionMapper
    public Response apiError(ApiException e) {
        return problem(e);
    }

    @ServerExceptionMapper
    public Response storeUnavailable(StoreUnavailableException e) {
        LOG.warn("Redis unavailable");
        return problem(ApiException.storeUnavailable());
    }

    @ServerExceptionMapper
    public Response unreadableJson(JacksonException e) {
        return problem(ApiException.invalidRequest("The request body is not valid JSON."));
    }

    @ServerExceptionMapper
    public Response unsupportedMediaType(NotSupportedException e) {
        return problem(new ApiException(415, "invalid_request", "The request body must be application/json."));
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException e) {
        return problem(new ApiException(404, "not_found", "There is no such resource."));
    }

    @ServerExceptionMapper
    public Response methodNotAllowed(NotAllowedException e) {
        Response answer = problem(new ApiException(405, "method_not_allowed", "This method is not allowed on this resource."));
        String allow = e.getResponse().getHeaderString(HttpHeaders.ALLOW);
        return allow == null ? answer : Response.fromResponse(answer).header(HttpHeaders.ALLOW, allow).build();
    }

    @ServerExceptionMapper
    public Response otherHttpError(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            return unexpected(e);
        }
        return problem(new ApiException(status, "invalid_request", "The request cannot be processed as sent."));
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        // the type only: messages of library exceptions may quote request data
        LOG.errorf("Unexpected failure: %s", e.getClass().getName());
        return problem(new ApiException(500, "internal_error", "The service failed unexpectedly; try again."));
    }

    static Response problem(ApiException e) {
        Response.ResponseBuilder answer = Response.status(e.status())
                .type(Problem.MEDIA_TYPE)
                .entity(Problem.of(e.status(), e.code(), e.detail()));
        e.retryAfterSeconds().ifPresent(seconds -> answer.header(HttpHeaders.RETRY_AFTER, seconds));
        if (e.status() == 401) {
            answer.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        }
        return answer.build();
    }
}
