package dev.peertube.sessions.peertube;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/** PeerTube's token answer; lifetimes are seconds left, floored. {@link #toString()} hides the tokens. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TokenResponse(
        @JsonProperty("token_type") String tokenType,
        @JsonProperty("access_token") String accessToken,
        @JsonProperty("refresh_token") String refreshToken,
        @JsonProperty("expires_in") Long expiresIn,
        @JsonProperty("refresh_token_expires_in") Long refreshTokenExpiresIn) {

    boolean isUsable() {
        return accessToken != null && !accessToken.isBlank()
                && refreshToken != null && !refreshToken.isBlank()
                && expiresIn != null && expiresIn >= 0
                && refreshTokenExpiresIn != null && refreshTokenExpiresIn >= 0;
    }

    @Override
    public String toString() {
        return "TokenResponse[expiresIn=" + expiresIn + ", refreshTokenExpiresIn=" + refreshTokenExpiresIn + "]";
    }
}
