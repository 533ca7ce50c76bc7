package dev.peertube.sessions;

import static dev.peertube.sessions.SessionCalls.current;
import static dev.peertube.sessions.SessionCalls.login;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;

/**
 * Redis connections that stay open but stop answering (a host gone without closing them): each
 * costs one command that times out, then it is never used again, while the connections opened
 * after it serve. A timeout of 1 s here.
 */
@QuarkusTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(StallingRedisProxy.class)
class RedisStallTest extends ServiceTestBase {

    private static final int IN_A_ROW = 30;

    @Test
    void aConnectionThatStopsAnsweringIsReplacedAfterOneTimeout() {
        String sessionId = login("alice", PASSWORD).statusCode(201).extract().path("sessionId");
        for (int i = 0; i < 20; i++) {
            current(sessionId).statusCode(200); // the event loops' connections are open
        }
        int stalled = StallingRedisProxy.stallOpenConnections();
        assertTrue(stalled > 0, "connections to stall");

        List<Integer> statuses = new ArrayList<>();
        int inARow = 0;
        while (inARow < IN_A_ROW && statuses.size() < stalled + 2 * IN_A_ROW) {
            ExtractableResponse<Response> answer = current(sessionId).extract();
            statuses.add(answer.statusCode());
            if (answer.statusCode() == 200) {
                inARow++;
            } else {
                assertEquals(503, answer.statusCode(), answer.asString());
                assertEquals("store_unavailable", answer.path("code"));
                inARow = 0;
            }
        }
        assertEquals(IN_A_ROW, inARow, "answers after " + stalled + " connections stalled: " + statuses);
        long timeouts = statuses.stream().filter(status -> status == 503).count();
        assertTrue(timeouts >= 1 && timeouts <= stalled, timeouts + " timeouts for " + stalled + " stalled connections: " + statuses);
    }
}
