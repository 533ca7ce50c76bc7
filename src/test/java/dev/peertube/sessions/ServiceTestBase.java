package dev.peertube.sessions;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;

import dev.peertube.sessions.fake.FakePeerTube;
import dev.peertube.sessions.fake.FakePeerTubeResource;

/**
 * Where the HTTP tests start from: the fake PeerTube reset, with one user, alice, and no key
 * of the test prefix left in the test Redis database.
 */
abstract class ServiceTestBase {

    static final String PASSWORD = "correct horse battery";
    static final TestRedis redis = new TestRedis();

    FakePeerTube fake;

    @BeforeEach
    void resetFakeAndStore() {
        fake = FakePeerTubeResource.fake();
        fake.reset();
        redis.deleteAll();
        fake.addUser("alice", PASSWORD);
    }

    @AfterAll
    static void leaveNoKeys() {
        redis.deleteAll();
    }
}
