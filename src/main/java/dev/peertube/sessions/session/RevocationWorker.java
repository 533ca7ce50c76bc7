package dev.peertube.sessions.session;

import java.time.Instant;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.peertube.sessions.peertube.OAuthClientCache;
import dev.peertube.sessions.peertube.PeerTubeClient;
import dev.peertube.sessions.peertube.PeerTubeException;
import dev.peertube.sessions.store.RevocationQueue;
import dev.peertube.sessions.store.RevocationQueue.Revocation;
import dev.peertube.sessions.store.StoreUnavailableException;
import dev.peertube.sessions.store.StoredSession;
import io.quarkus.scheduler.Scheduled;

/**
 * Retries queued revocations, on whichever replica claims them first, until PeerTube takes them
 * or the tokens would have expired anyway. An expired access token is refreshed first.
 */
@ApplicationScoped
public class RevocationWorker {

    private static final Logger LOG = Logger.getLogger(RevocationWorker.class);
    private static final int BATCH = 20;

    private final RevocationQueue queue;
    private final PeerTubeClient peertube;
    private final OAuthClientCache clients;

    RevocationWorker(RevocationQueue queue, PeerTubeClient peertube, OAuthClientCache clients) {
        this.queue = queue;
        this.peertube = peertube;
        this.clients = clients;
    }

    @Scheduled(every = "${session.revocation-poll-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "1s")
    void retryDue() {
        List<Revocation> due;
        try {
            due = queue.claimDue(BATCH, Instant.now());
        } catch (StoreUnavailableException e) {
            return; // readiness reports Redis; nothing to do until it is back
        }
        for (Revocation revocation : due) {
            attempt(revocation);
        }
    }

    private void attempt(Revocation revocation) {
        StoredSession tokens = revocation.tokens();
        Instant now = Instant.now();
        if (!tokens.refreshExpiresAt().isAfter(now)) {
            return; // both tokens are dead by now
        }
        try {
            if (tokens.accessExpiresWithin(SessionService.LOGOUT_MARGIN, now)) {
                String refreshToken = tokens.refreshToken();
                tokens = SessionService.toSession(clients.withClient(client -> peertube.refreshGrant(client, refreshToken, null))
                        .await().indefinitely());
            }
            peertube.revoke(tokens.accessToken(), null).await().indefinitely();
            LOG.info("Queued revocation done");
        } catch (PeerTubeException e) {
            if (e.kind() == PeerTubeException.Kind.REJECTED && e.status() != 429) {
                return; // PeerTube no longer knows these tokens
            }
            int failed = revocation.failedAttempts() + 1;
            try {
                queue.enqueue(new Revocation(tokens, failed), Instant.now().plus(RevocationQueue.backoff(failed)));
            } catch (StoreUnavailableException redisDown) {
                LOG.warn("A queued revocation was dropped: Redis unavailable");
            }
        }
    }
}
