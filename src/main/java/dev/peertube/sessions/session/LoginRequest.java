package dev.peertube.sessions.session;

import java.nio.charset.StandardCharsets;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.databind.JsonNode;

import dev.peertube.sessions.problem.ApiException;

/**
 * A validated login body. Strings must be JSON strings (no coercion from numbers or arrays), unknown fields are ignored;
 * {@code password} is required unless {@code externalAuthToken} is given.
 */
@Schema(name = "LoginRequest", description = "Fields must be JSON strings; unknown fields are ignored.")
public record LoginRequest(
        @Schema(required = true, minLength = 1, maxLength = 255, description = "PeerTube username or e-mail") String username,
        @Schema(description = "Required unless `externalAuthToken` is given; at most 1024 bytes (PeerTube itself refuses "
                + "more than 72)") String password,
        @Schema(pattern = "^[0-9]{6}$", description = "The current one-time code of an account with two-factor authentication")
        String otp,
        @Schema(minLength = 1, maxLength = 256, description = "A PeerTube external-auth plugin's token, instead of the password")
        String externalAuthToken) {

    static final int MAX_USERNAME_CHARS = 255;
    static final int MAX_PASSWORD_BYTES = 1024;
    static final int MAX_EXTERNAL_TOKEN_CHARS = 256;

    static LoginRequest parse(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiException.invalidRequest("The request body must be a JSON object.");
        }
        String username = text(body, "username");
        String password = text(body, "password");
        String otp = text(body, "otp");
        String externalAuthToken = text(body, "externalAuthToken");

        if (username == null || username.isEmpty()) {
            throw ApiException.invalidRequest("`username` is required.");
        }
        if (username.length() > MAX_USERNAME_CHARS) {
            throw ApiException.invalidRequest("`username` is longer than " + MAX_USERNAME_CHARS + " characters.");
        }
        if (externalAuthToken != null && (externalAuthToken.isEmpty() || externalAuthToken.length() > MAX_EXTERNAL_TOKEN_CHARS)) {
            throw ApiException.invalidRequest("`externalAuthToken` must have 1 to " + MAX_EXTERNAL_TOKEN_CHARS + " characters.");
        }
        if (password == null || password.isEmpty()) {
            if (externalAuthToken == null) {
                throw ApiException.invalidRequest("`password` is required unless `externalAuthToken` is given.");
            }
            password = null;
        } else if (password.getBytes(StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
            throw ApiException.invalidRequest("`password` is longer than " + MAX_PASSWORD_BYTES + " bytes.");
        }
        if (otp != null && !isSixDigits(otp)) {
            throw ApiException.invalidRequest("`otp` must be exactly 6 digits.");
        }
        return new LoginRequest(username, password, otp, externalAuthToken);
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw ApiException.invalidRequest("`" + field + "` must be a JSON string.");
        }
        return value.textValue();
    }

    private static boolean isSixDigits(String otp) {
        if (otp.length() != 6) {
            return false;
        }
        for (int i = 0; i < 6; i++) {
            char c = otp.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "LoginRequest[redacted]";
    }
}
