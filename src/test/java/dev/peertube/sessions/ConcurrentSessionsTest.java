package dev.peertube.sessions;

import static dev.peertube.sessions.SessionCalls.current;
import static dev.peertube.sessions.SessionCalls.login;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;

/**
 * Many callers at once, each on its own session: the Redis reads of one event-loop turn share a
 * write and come back together, and every caller still gets its own session's token.
 */
@QuarkusTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class ConcurrentSessionsTest extends ServiceTestBase {

    private static final int USERS = 12;
    private static final int CALLS_PER_USER = 40;

    @Test
    void concurrentReadsOfManySessionsEachAnswerTheirOwnToken() throws Exception {
        List<String> sessionIds = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            fake.addUser("user" + u, PASSWORD);
            ExtractableResponse<Response> session = login("user" + u, PASSWORD).statusCode(201).extract();
            sessionIds.add(session.path("sessionId"));
            tokens.add(session.path("accessToken"));
        }
        ExecutorService callers = Executors.newFixedThreadPool(24);
        try {
            List<Callable<Map.Entry<Integer, ExtractableResponse<Response>>>> calls = new ArrayList<>();
            for (int i = 0; i < USERS * CALLS_PER_USER; i++) {
                int user = i % USERS;
                calls.add(() -> Map.entry(user, current(sessionIds.get(user)).extract()));
            }
            int answered = 0;
            for (Future<Map.Entry<Integer, ExtractableResponse<Response>>> call : callers.invokeAll(calls)) {
                Map.Entry<Integer, ExtractableResponse<Response>> answer = call.get();
                assertEquals(200, answer.getValue().statusCode(), answer.getValue().asString());
                assertEquals(tokens.get(answer.getKey()), answer.getValue().path("accessToken"), "the token of user" + answer.getKey());
                answered++;
            }
            assertEquals(USERS * CALLS_PER_USER, answered);
        } finally {
            callers.shutdownNow();
        }
    }
}
