package dev.peertube.sessions.peertube;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Form;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.quarkus.rest.client.reactive.ClientExceptionMapper;
import io.smallrye.mutiny.Uni;

/**
 * PeerTube's three session calls, as PeerTube really answers them (see the contract documents):
 * the token endpoint takes only form bodies with the client credentials inside, revocation
 * takes the access token as a {@code Bearer} header.
 */
@Path("/api/v1")
interface PeerTubeApi {

    /** The instance's local OAuth client; PeerTube checks that {@code Host} is exactly its public host. */
    @GET
    @Path("/oauth-clients/local")
    @Produces(MediaType.APPLICATION_JSON)
    Uni<OAuthClient> localClient(@HeaderParam("Host") String host);

    /** Password or refresh_token grant, depending on the form's {@code grant_type}. */
    @POST
    @Path("/users/token")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Produces(MediaType.APPLICATION_JSON)
    Uni<TokenResponse> token(Form form,
            @HeaderParam("x-peertube-otp") String otp,
            @HeaderParam("X-Forwarded-For") String forwardedFor);

    /** Revokes the access token and the refresh token of its pair. */
    @POST
    @Path("/users/revoke-token")
    @Produces(MediaType.APPLICATION_JSON)
    Uni<RevokeResponse> revokeToken(@HeaderParam("Authorization") String bearer,
            @HeaderParam("X-Forwarded-For") String forwardedFor);

    @ClientExceptionMapper
    static RuntimeException toException(Response response) {
        return PeerTubeException.fromResponse(response);
    }
}
