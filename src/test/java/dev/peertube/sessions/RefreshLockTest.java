package dev.peertube.sessions;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import dev.peertube.sessions.store.RefreshLock;
import dev.peertube.sessions.store.SessionTicket;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** The per-session refresh lock in Redis: exclusive, renewed while held, released by its holder. */
@QuarkusTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class RefreshLockTest {

    @Inject
    RefreshLock lock;

    @Test
    void leaseIsRenewedWhileHeldAndFreedOnRelease() throws InterruptedException {
        SessionTicket ticket = SessionTicket.generate(new SecureRandom());
        Optional<RefreshLock.Lease> first = lock.tryAcquire(ticket, Duration.ofSeconds(1));
        assertTrue(first.isPresent());
        Thread.sleep(3_500); // three and a half leases: only the renewal keeps it
        assertFalse(lock.tryAcquire(ticket, Duration.ofSeconds(1)).isPresent(), "still held by the first holder");
        first.get().close();
        Optional<RefreshLock.Lease> second = lock.tryAcquire(ticket, Duration.ofSeconds(1));
        assertTrue(second.isPresent(), "free once released");
        second.get().close();
    }

    @Test
    void locksOfDifferentSessionsAreIndependent() {
        SecureRandom random = new SecureRandom();
        SessionTicket one = SessionTicket.generate(random);
        SessionTicket other = SessionTicket.generate(random);
        try (RefreshLock.Lease held = lock.tryAcquire(one, Duration.ofSeconds(2)).orElseThrow()) {
            Optional<RefreshLock.Lease> otherLease = lock.tryAcquire(other, Duration.ofSeconds(2));
            assertTrue(otherLease.isPresent(), "another session's lock is free");
            otherLease.get().close();
            assertFalse(lock.tryAcquire(one, Duration.ofSeconds(2)).isPresent(), "the same session's lock is not");
        }
    }
}
