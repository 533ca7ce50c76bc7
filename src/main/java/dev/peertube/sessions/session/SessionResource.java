package dev.peertube.sessions.session;

import java.util.concurrent.CompletionStage;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import com.fasterxml.jackson.databind.JsonNode;

import dev.peertube.sessions.problem.ApiException;
import dev.peertube.sessions.problem.Problem;
import dev.peertube.sessions.store.SessionTicket;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.container.ContainerResponseContext;

/**
 * The HTTP face of the service. The session id travels only in {@code Authorization: Bearer};
 * every answer is marked {@code Cache-Control: no-store}.
 */
@Path("/session")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "session")
public class SessionResource {

    // OpenAPI: every error answer is a Problem; the descriptions list the codes each status can carry
    private static final String PROBLEM = Problem.MEDIA_TYPE;
    private static final String UPSTREAM_502 = "`upstream_error` (PeerTube answered 5xx or something unusable), "
            + "`upstream_misconfigured` (PeerTube refused the Host sent, or its own client)";
    private static final String UPSTREAM_503 = "`upstream_unavailable` (breaker open, connection refused, bulkhead full), "
            + "`store_unavailable` (Redis cannot be reached); with Retry-After";
    private static final String UPSTREAM_504 = "`upstream_timeout`: PeerTube did not answer in time";
    private static final String NO_SESSION = "`session_not_found` (no, malformed, unknown or expired session id), "
            + "`session_expired` (PeerTube rejected the refresh token; the session is deleted); with WWW-Authenticate: Bearer";

    private final SessionService sessions;

    SessionResource(SessionService sessions) {
        this.sessions = sessions;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Log in", description = "Logs the user in to PeerTube and answers a new session id with its access token.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = LoginRequest.class)))
    @APIResponse(responseCode = "201", description = "Logged in; keep `sessionId`",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = SessionToken.class)))
    @APIResponse(responseCode = "400", description = "`invalid_request` (malformed JSON, a field missing, too long or not a "
            + "string, an otp that is not 6 digits), `password_too_long` (PeerTube refuses passwords over 72 bytes)",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "401", description = "`invalid_credentials`, `otp_required` (send `otp`), `invalid_otp`",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "403", description = "`account_blocked`, `email_not_verified`, `account_pending_approval`, "
            + "`account_rejected`, `access_denied` (PeerTube <= 8.0, blocked or unverified)",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "415", description = "`invalid_request`: the body is not application/json",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "429", description = "`rate_limited` (PeerTube's rate limit), `account_locked` (too many "
            + "failed logins); with Retry-After", headers = @Header(name = "Retry-After", schema = @Schema(implementation = Long.class)),
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "502", description = UPSTREAM_502,
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = UPSTREAM_503, headers = @Header(name = "Retry-After", schema = @Schema(implementation = Long.class)),
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "504", description = UPSTREAM_504,
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    public Uni<Response> login(JsonNode body, @Context HttpServerRequest request) {
        return sessions.login(LoginRequest.parse(body), clientAddress(request))
                .map(token -> Response.status(Response.Status.CREATED).entity(token).build());
    }

    @GET
    @Operation(summary = "Current access token", description = "The session's access token, refreshed first when it expires "
            + "within the refresh skew. When that refresh fails because PeerTube is unavailable while the old token still "
            + "works, the old token is answered.")
    @SecurityRequirement(name = SessionApi.SESSION_SCHEME)
    @APIResponse(responseCode = "200", description = "The current access token (no `sessionId`)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = SessionToken.class)))
    @APIResponse(responseCode = "401", description = NO_SESSION,
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "429", description = "`rate_limited`: PeerTube's rate limit; with Retry-After",
            headers = @Header(name = "Retry-After", schema = @Schema(implementation = Long.class)),
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "502", description = UPSTREAM_502,
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = UPSTREAM_503, headers = @Header(name = "Retry-After", schema = @Schema(implementation = Long.class)),
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "504", description = UPSTREAM_504,
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    public CompletionStage<SessionToken> current(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @Context HttpServerRequest request) {
        return sessions.current(ticket(authorization), clientAddress(request));
    }

    @POST
    @Path("/refresh")
    @Operation(summary = "Refresh now", description = "Rotates the tokens now, or joins a rotation of this session in progress.")
    @SecurityRequirement(name = SessionApi.SESSION_SCHEME)
    @APIResponse(responseCode = "200", description = "The new access token (no `sessionId`)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = SessionToken.class)))
    @APIResponse(responseCode = "401", description = NO_SESSION,
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "429", description = "`rate_limited`: PeerTube's rate limit; with Retry-After",
            headers = @Header(name = "Retry-After", schema = @Schema(implementation = Long.class)),
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "502", description = UPSTREAM_502,
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = UPSTREAM_503, headers = @Header(name = "Retry-After", schema = @Schema(implementation = Long.class)),
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "504", description = UPSTREAM_504,
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    public SessionToken refresh(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @Context HttpServerRequest request) {
        return sessions.refresh(ticket(authorization), clientAddress(request));
    }

    /** Idempotent: any bearer value that is not a live session ends with 204 as well. */
    @DELETE
    @Operation(summary = "Log out", description = "Revokes the tokens at PeerTube and deletes the session. Idempotent: a bearer "
            + "value that is not (or no longer) a live session also answers 204.")
    @SecurityRequirement(name = SessionApi.SESSION_SCHEME)
    @APIResponse(responseCode = "204", description = "Revoked and deleted (or there was no such session)")
    @APIResponse(responseCode = "202", description = "Deleted; PeerTube could not be reached, so the revocation is queued and retried")
    @APIResponse(responseCode = "401", description = "`session_not_found`: no Authorization header at all",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "`store_unavailable`: Redis cannot be reached; with Retry-After",
            headers = @Header(name = "Retry-After", schema = @Schema(implementation = Long.class)),
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class)))
    public Response logout(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @Context HttpServerRequest request) {
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
    public void noStore(HttpServerRequest request, ContainerResponseContext response) {
        if (request.path().startsWith("/session")) {
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
