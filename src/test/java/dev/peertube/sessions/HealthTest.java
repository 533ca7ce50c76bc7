package dev.peertube.sessions;

import static dev.peertube.sessions.SessionCalls.login;
import static dev.peertube.sessions.SessionCalls.sessionOf;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;

/**
 * The health endpoints: readiness follows Redis, liveness depends on nothing outside the process,
 * and PeerTube's state is reported (from memory, without a call) where no probe looks.
 */
@QuarkusTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class HealthTest extends ServiceTestBase {

    @BeforeEach
    void reset() {
        CircuitBreakerMaintenance.get().resetAll();
    }

    @AfterEach
    void restore() {
        fake.startListening();
        CircuitBreakerMaintenance.get().resetAll();
    }

    @Test
    void readinessReportsRedis() {
        given().when().get("/q/health/ready").then()
                .statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.find { it.name == 'Redis connection health check' }.status", equalTo("UP"));
    }

    @Test
    void livenessAndStartupAreUp() {
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().when().get("/q/health/started").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void peerTubeWellnessReportsTheClosedBreakerWithoutCallingPeerTube() {
        sessionOf("alice", PASSWORD);
        int calls = fake.clientCalls() + fake.tokenCalls() + fake.revokeCalls();
        given().when().get("/q/health/well").then()
                .statusCode(200)
                .body("checks.find { it.name == 'PeerTube' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'PeerTube' }.data.circuitBreaker", equalTo("closed"));
        org.junit.jupiter.api.Assertions.assertEquals(calls, fake.clientCalls() + fake.tokenCalls() + fake.revokeCalls());
    }

    @Test
    void anOpenBreakerIsReportedButKeepsThePodReadyAndAlive() {
        sessionOf("alice", PASSWORD);
        fake.stopListening();
        for (int i = 0; i < 10; i++) {
            login("alice", PASSWORD).statusCode(503);
        }
        given().when().get("/q/health/well").then()
                .statusCode(503)
                .body("checks.find { it.name == 'PeerTube' }.status", equalTo("DOWN"))
                .body("checks.find { it.name == 'PeerTube' }.data.circuitBreaker", equalTo("open"))
                .body("checks.find { it.name == 'PeerTube' }.data.lastErrorKind", equalTo("connect_failed"))
                .body("checks.find { it.name == 'PeerTube' }.data.lastErrorOperation", equalTo("token_password"))
                .body("checks.find { it.name == 'PeerTube' }.data.lastErrorAt", notNullValue());
        given().when().get("/q/health/ready").then()
                .statusCode(200)
                .body("checks.name", not(hasItem("PeerTube")));
        given().when().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void aSlowPeerTubeIsRememberedAsTheLastError() {
        sessionOf("alice", PASSWORD);
        fake.slowdown(Duration.ofSeconds(2)); // over the 1 s test timeout
        try {
            login("alice", PASSWORD).statusCode(504);
        } finally {
            fake.slowdown(Duration.ZERO);
        }
        given().when().get("/q/health/well").then()
                .body("checks.find { it.name == 'PeerTube' }.data.lastErrorKind", equalTo("timeout"));
    }
}
