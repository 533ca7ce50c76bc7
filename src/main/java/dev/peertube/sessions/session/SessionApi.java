package dev.peertube.sessions.session;

import jakarta.ws.rs.core.Application;

import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The API's description at {@code /q/openapi}: what it is and how callers authenticate. */
@OpenAPIDefinition(
        info = @Info(title = "PeerTube Session Service", version = "1",
                description = "Logs users in to PeerTube and keeps their sessions alive for other services. Callers hold an "
                        + "opaque session id and get a valid PeerTube access token whenever they ask; the refresh token "
                        + "never leaves the service. Every error is application/problem+json (RFC 9457) with a stable `code`."),
        tags = @Tag(name = "session", description = "Login, current access token, refresh, logout"))
@SecurityScheme(securitySchemeName = SessionApi.SESSION_SCHEME, type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "The session id from the login answer, as `Authorization: Bearer <sessionId>`; never in a URL.")
public class SessionApi extends Application {

    /** Name of the bearer scheme the session calls require. */
    public static final String SESSION_SCHEME = "session";
}
