package dev.peertube.sessions.peertube;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/** The instance's local OAuth client. Kept in memory only; {@link #toString()} hides the secret. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record OAuthClient(
        @JsonProperty("client_id") String clientId,
        @JsonProperty("client_secret") String clientSecret) {

    boolean isUsable() {
        return clientId != null && !clientId.isBlank() && clientSecret != null && !clientSecret.isBlank();
    }

    @Override
    public String toString() {
        return "OAuthClient[clientId=" + clientId + "]";
    }
}
