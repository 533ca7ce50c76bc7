package dev.peertube.sessions;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** {@code /q/openapi} describes the four calls, their answers, the problem schema and the bearer scheme. */
@QuarkusTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class OpenApiTest {

    static final String PROBLEM_REF = "#/components/schemas/Problem";

    static JsonNode openApi() throws Exception {
        String json = given().queryParam("format", "json").when().get("/q/openapi").then().statusCode(200).extract().asString();
        return new ObjectMapper().readTree(json);
    }

    static Map<String, JsonNode> operations(JsonNode api) {
        return Map.of(
                "POST /session", api.path("paths").path("/session").path("post"),
                "GET /session", api.path("paths").path("/session").path("get"),
                "DELETE /session", api.path("paths").path("/session").path("delete"),
                "POST /session/refresh", api.path("paths").path("/session/refresh").path("post"));
    }

    @Test
    void describesTheFourOperations() throws Exception {
        JsonNode api = openApi();
        assertEquals(Set.of("/session", "/session/refresh"), names(api.path("paths")), "only the session API");
        assertEquals(Set.of("delete", "get", "post"), names(api.path("paths").path("/session")));
        assertEquals(Set.of("post"), names(api.path("paths").path("/session/refresh")));
        operations(api).forEach((name, operation) -> assertFalse(operation.path("summary").asText().isBlank(), name));

        JsonNode login = api.path("paths").path("/session").path("post");
        assertEquals("#/components/schemas/LoginRequest", login.at("/requestBody/content/application~1json/schema/$ref").asText());
        assertEquals("#/components/schemas/SessionToken", login.at("/responses/201/content/application~1json/schema/$ref").asText());
        assertEquals("#/components/schemas/SessionToken",
                api.path("paths").path("/session").path("get").at("/responses/200/content/application~1json/schema/$ref").asText());
        assertEquals(Set.of("200", "202", "204"), successes(api), "the success answers of the four calls");
        for (String bodiless : List.of("GET /session", "DELETE /session", "POST /session/refresh")) {
            assertTrue(operations(api).get(bodiless).path("requestBody").isMissingNode(), bodiless + " takes no body");
        }
    }

    @Test
    void sessionCallsRequireTheBearerScheme() throws Exception {
        JsonNode api = openApi();
        JsonNode scheme = api.at("/components/securitySchemes/session");
        assertEquals("http", scheme.path("type").asText());
        assertEquals("bearer", scheme.path("scheme").asText());
        for (String name : List.of("GET /session", "DELETE /session", "POST /session/refresh")) {
            assertTrue(operations(api).get(name).path("security").get(0).has("session"), name);
        }
        assertTrue(operations(api).get("POST /session").path("security").isMissingNode(), "login needs no session");
    }

    @Test
    void everyErrorAnswerIsAProblemNamingItsCodes() throws Exception {
        JsonNode api = openApi();
        operations(api).forEach((name, operation) -> operation.path("responses").properties().forEach(response -> {
            if (response.getKey().startsWith("4") || response.getKey().startsWith("5")) {
                assertEquals(PROBLEM_REF, response.getValue().at("/content/application~1problem+json/schema/$ref").asText(),
                        name + " " + response.getKey());
                assertTrue(response.getValue().path("description").asText().matches(".*`[a-z_]+`.*"),
                        name + " " + response.getKey() + " names its codes");
            }
        }));
        assertEquals(Set.of("201", "400", "401", "403", "415", "429", "502", "503", "504"),
                names(operations(api).get("POST /session").path("responses")));
        assertEquals(Set.of("200", "401", "429", "502", "503", "504"), names(operations(api).get("GET /session").path("responses")));
        assertFalse(operations(api).get("GET /session").at("/responses/503/headers/Retry-After").isMissingNode());

        JsonNode problem = api.at("/components/schemas/Problem");
        List<String> required = new ArrayList<>();
        problem.path("required").forEach(field -> required.add(field.asText()));
        assertTrue(required.containsAll(List.of("type", "title", "status", "detail", "code")));
        List<String> codes = new ArrayList<>();
        problem.at("/properties/code/enum").forEach(code -> codes.add(code.asText()));
        assertTrue(codes.containsAll(List.of("invalid_request", "invalid_credentials", "otp_required", "session_not_found",
                "session_expired", "rate_limited", "upstream_unavailable", "store_unavailable", "upstream_timeout")), codes.toString());
        assertFalse(api.at("/components/schemas/SessionToken/properties").has("refreshToken"));
    }

    private static Set<String> successes(JsonNode api) {
        Set<String> statuses = new TreeSet<>();
        operations(api).values().forEach(operation -> names(operation.path("responses")).stream()
                .filter(status -> status.startsWith("2") && !status.equals("201")).forEach(statuses::add));
        return statuses;
    }

    private static Set<String> names(JsonNode object) {
        Set<String> names = new TreeSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
