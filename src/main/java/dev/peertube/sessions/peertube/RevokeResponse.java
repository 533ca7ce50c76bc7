package dev.peertube.sessions.peertube;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** {@code {"success": true, "redirectUrl"?: "..."}}; the redirect comes from external-auth plugins. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RevokeResponse(Boolean success, String redirectUrl) {
}
