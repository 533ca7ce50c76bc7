package dev.peertube.sessions;

import static io.restassured.RestAssured.given;

import java.util.LinkedHashMap;
import java.util.Map;

import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;

/** The service's four calls, as a caller makes them. */
public final class SessionCalls {

    private SessionCalls() {
    }

    public static ValidatableResponse login(String username, String password) {
        return login(body(username, password, null));
    }

    public static ValidatableResponse login(Map<String, Object> body) {
        return given().contentType(ContentType.JSON).body(body).when().post("/session").then();
    }

    /** Logs in and returns the session id, asserting the 201. */
    public static String sessionOf(String username, String password) {
        return login(username, password).statusCode(201).extract().path("sessionId");
    }

    public static ValidatableResponse current(String sessionId) {
        return given().header("Authorization", "Bearer " + sessionId).when().get("/session").then();
    }

    public static ValidatableResponse refresh(String sessionId) {
        return given().header("Authorization", "Bearer " + sessionId).when().post("/session/refresh").then();
    }

    public static ValidatableResponse logout(String sessionId) {
        return given().header("Authorization", "Bearer " + sessionId).when().delete("/session").then();
    }

    public static Map<String, Object> body(String username, String password, String otp) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("username", username);
        if (password != null) {
            body.put("password", password);
        }
        if (otp != null) {
            body.put("otp", otp);
        }
        return body;
    }
}
