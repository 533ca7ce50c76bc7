package dev.peertube.sessions.session;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import com.fasterxml.jackson.databind.JsonNode;

import dev.peertube.sessions.problem.ApiException;
import dev.peertube.sessions.store.SessionTicket;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;

/**
 * The HTTP face of the service. The session id travels only in {@code Authorization: Bearer};
 * every answer is marked {@code Cache-Control: no-store}.
 */
@Path("/session")
@Produces(MediaType.APPLICATION_JSON)
public class SessionResource {

    private final SessionService sessions;

    SessionResource(SessionService sessions) {
        this.sessions = sessions;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response login(JsonNode body, HttpServerRequest request) {
        SessionToken token = sessions.login(LoginRequest.parse(body), clientAddress(request));
        return Response.status(Response.Status.CREATED).entity(token).build();
    }

    @GET
    public SessionToken current(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, HttpServerRequest request) {
        return sessions.current(ticket(authorization), clientAddress(request));
    }

    @POST
    @Path("/refresh")
    public SessionToken refresh(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, HttpServerRequest request) {
        return sessions.refresh(ticket(authorization), clientAddress(request));
    }

    /** Idempotent: any bearer value that is not a live session ends with 204 as well. */
    @DELETE
    public Response logout(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, HttpServerRequest request) {
        String bearer = bearerValue(authorization);
        var ticket = SessionTicket.parse(bearer);
        if (ticket.isEmpty()) {
            return Response.noContent().build();
        }
        return switch (sessions.logout(ticket.get(), clientAddress(request))) {
            case DONE -> Response.noContent().build();
            case QUEUED -> Response.accepted().build();
        };
    }

    @ServerResponseFilter
    public void noStore(ContainerRequestContext request, ContainerResponseContext response) {
        if (request.getUriInfo().getPath().startsWith("/session")) {
            response.getHeaders().putSingle(HttpHeaders.CACHE_CONTROL, "no-store");
            response.getHeaders().putSingle("Pragma", "no-cache");
        }
    }

    private static SessionTicket ticket(String authorization) {
        return SessionTicket.parse(bearerValue(authorization)).orElseThrow(ApiException::sessionNotFound);
    }

    /** The value after {@code Bearer } (scheme case-insensitive); 401 when there is no bearer at all. */
    private static String bearerValue(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            throw ApiException.sessionNotFound();
        }
        String trimmed = authorization.trim();
        if (trimmed.length() < 7 || !trimmed.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return "";
        }
        return trimmed.substring(7).trim();
    }

    private static String clientAddress(HttpServerRequest request) {
        return request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
    }
}
