package dev.peertube.sessions.session;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.peertube.sessions.metrics.SessionMetrics;
import dev.peertube.sessions.peertube.OAuthClientCache;
import dev.peertube.sessions.peertube.PeerTubeClient;
import dev.peertube.sessions.peertube.PeerTubeConfig;
import dev.peertube.sessions.peertube.PeerTubeException;
import dev.peertube.sessions.peertube.TokenResponse;
import dev.peertube.sessions.problem.ApiException;
import dev.peertube.sessions.store.LoginLimiter;
import dev.peertube.sessions.store.RefreshLock;
import dev.peertube.sessions.store.RevocationQueue;
import dev.peertube.sessions.store.RevocationQueue.Revocation;
import dev.peertube.sessions.store.SessionStore;
import dev.peertube.sessions.store.SessionTicket;
import dev.peertube.sessions.store.StoreUnavailableException;
import dev.peertube.sessions.store.StoredSession;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

/**
 * The use cases: log in, serve the current token (refreshing it first when it is about to
 * expire), refresh now, log out. A session is refreshed by one caller at a time, in this process
 * (callers share the refresh in flight) and across replicas (a Redis lock, then a re-read).
 */
@ApplicationScoped
public class SessionService {

    private static final Logger LOG = Logger.getLogger(SessionService.class);
    /** An access token this close to its expiry is refreshed before it is used to log out. */
    static final Duration LOGOUT_MARGIN = Duration.ofSeconds(5);
    private static final long LOCK_POLL_MILLIS = 25;

    /** How a logout ended, which decides between 204 and 202. */
    public enum Logout {
        /** PeerTube revoked the tokens, or they were already dead. */
        DONE,
        /** PeerTube could not be reached: the session is gone here and its revocation is queued. */
        QUEUED
    }

    private final PeerTubeClient peertube;
    private final OAuthClientCache clients;
    private final SessionStore store;
    private final RefreshLock refreshLock;
    private final RevocationQueue revocations;
    private final SessionMetrics metrics;
    private final LoginLimiter loginLimiter;
    private final Duration refreshSkew;
    private final Duration lockLease;
    private final Duration refreshWait;
    private final ConcurrentHashMap<String, CompletableFuture<StoredSession>> refreshesInFlight = new ConcurrentHashMap<>();

    SessionService(PeerTubeClient peertube, OAuthClientCache clients, SessionStore store, RefreshLock refreshLock,
            RevocationQueue revocations, SessionConfig sessionConfig, PeerTubeConfig peertubeConfig, SessionMetrics metrics,
            LoginLimiter loginLimiter) {
        this.peertube = peertube;
        this.clients = clients;
        this.store = store;
        this.refreshLock = refreshLock;
        this.revocations = revocations;
        this.metrics = metrics;
        this.loginLimiter = loginLimiter;
        this.refreshSkew = sessionConfig.refreshSkew();
        // outlives one refresh call (it is never retried once sent); renewed while the call runs
        this.lockLease = peertubeConfig.timeout().multipliedBy(2).plusSeconds(1);
        this.refreshWait = peertubeConfig.timeout().multipliedBy(3).plusSeconds(1);
    }

    /**
     * Logs in without blocking, so it runs on the event loop: the limiter's two counters in one
     * round trip, the password grant, the write of the new session. A session that cannot be
     * stored is revoked at PeerTube before the failure is answered.
     */
    public Uni<SessionToken> login(LoginRequest login, String clientAddress) {
        return loginLimiter.attempt(login.username(), clientAddress).chain(attempt -> {
            if (attempt.refused()) {
                throw new ApiException(429, "rate_limited", "Too many login attempts; retry later.", attempt.retryAfterSeconds());
            }
            return clients.withClient(client -> peertube.passwordGrant(client, login.username(), login.password(), login.otp(),
                            login.externalAuthToken(), clientAddress))
                    .onFailure(PeerTubeException.class).transform(e -> UpstreamErrors.ofLogin((PeerTubeException) e))
                    .chain(grant -> {
                        StoredSession session = toSession(grant);
                        SessionTicket ticket = store.newTicket();
                        return Uni.createFrom().completionStage(() -> store.saveAsync(ticket, session))
                                .onFailure(StoreUnavailableException.class).call(() -> revokeQuietly(session, clientAddress))
                                .map(saved -> {
                                    loginLimiter.succeeded(attempt);
                                    return SessionToken.of(ticket.encode(), session);
                                });
                    });
        });
    }

    /**
     * The current access token, refreshed first when it expires within the configured skew. The
     * common case (one Redis read, a token still fresh) never blocks, so it runs on the event
     * loop; a refresh moves to a worker thread.
     */
    public CompletionStage<SessionToken> current(SessionTicket ticket, String clientAddress) {
        return store.findAsync(ticket).thenCompose(found -> {
            StoredSession session = found.orElseThrow(ApiException::sessionNotFound);
            if (!session.accessExpiresWithin(refreshSkew, Instant.now())) {
                return CompletableFuture.completedStage(SessionToken.of(session));
            }
            return CompletableFuture.supplyAsync(() -> refreshBeforeUse(ticket, session, clientAddress),
                    Infrastructure.getDefaultWorkerPool());
        });
    }

    private SessionToken refreshBeforeUse(SessionTicket ticket, StoredSession session, String clientAddress) {
        try {
            return SessionToken.of(refreshShared(ticket, session, clientAddress, SessionMetrics.PROACTIVE));
        } catch (ApiException e) {
            if (e.status() >= 429 && session.accessExpiresAt().isAfter(Instant.now())) {
                // PeerTube is unavailable but the token still works: serve it, refresh on a later call
                return SessionToken.of(session);
            }
            throw e;
        }
    }

    /** Rotates the tokens now (or joins a rotation already in progress). */
    public SessionToken refresh(SessionTicket ticket, String clientAddress) {
        return SessionToken.of(refreshShared(ticket, find(ticket), clientAddress, SessionMetrics.FORCED));
    }

    /** Revokes at PeerTube and deletes the session; queues the revocation when PeerTube cannot take it. */
    public Logout logout(SessionTicket ticket, String clientAddress) {
        Optional<StoredSession> found = store.find(ticket);
        if (found.isEmpty()) {
            return Logout.DONE;
        }
        StoredSession session = found.get();
        if (session.accessExpiresWithin(LOGOUT_MARGIN, Instant.now())) {
            try {
                session = refreshShared(ticket, session, clientAddress, SessionMetrics.PROACTIVE);
            } catch (ApiException e) {
                if (e.status() == 401) {
                    return Logout.DONE; // PeerTube already ended it; the session is deleted
                }
                return queue(ticket, session);
            }
        }
        try {
            peertube.revoke(session.accessToken(), clientAddress).await().indefinitely();
        } catch (PeerTubeException e) {
            if (e.kind() != PeerTubeException.Kind.REJECTED || e.status() == 429) {
                return queue(ticket, session);
            }
            // 401 invalid_token: already revoked or expired at PeerTube
        }
        store.delete(ticket);
        return Logout.DONE;
    }

    private Logout queue(SessionTicket ticket, StoredSession session) {
        store.delete(ticket);
        revocations.enqueue(new Revocation(session, 0), Instant.now());
        LOG.info("PeerTube unavailable at logout: revocation queued");
        return Logout.QUEUED;
    }

    private StoredSession find(SessionTicket ticket) {
        return store.find(ticket).orElseThrow(ApiException::sessionNotFound);
    }

    /** One refresh per session in this process: later callers wait for the one in flight. */
    private StoredSession refreshShared(SessionTicket ticket, StoredSession seen, String clientAddress, String trigger) {
        CompletableFuture<StoredSession> mine = new CompletableFuture<>();
        CompletableFuture<StoredSession> running = refreshesInFlight.putIfAbsent(ticket.lookupKey(), mine);
        if (running != null) {
            return metrics.refresh(SessionMetrics.JOINED, () -> await(running));
        }
        try {
            StoredSession refreshed = metrics.refresh(trigger, () -> refreshAcrossReplicas(ticket, seen, clientAddress));
            mine.complete(refreshed);
            return refreshed;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            refreshesInFlight.remove(ticket.lookupKey(), mine);
        }
    }

    /**
     * One refresh per session across replicas: whoever holds the Redis lock refreshes; the others
     * wait and re-read the session until its refresh token changes.
     */
    private StoredSession refreshAcrossReplicas(SessionTicket ticket, StoredSession seen, String clientAddress) {
        long deadline = System.nanoTime() + refreshWait.toNanos();
        while (true) {
            Optional<RefreshLock.Lease> lease = refreshLock.tryAcquire(ticket, lockLease);
            if (lease.isPresent()) {
                try (RefreshLock.Lease held = lease.get()) {
                    StoredSession latest = find(ticket);
                    return rotatedSince(seen, latest) ? latest : rotate(ticket, latest, clientAddress);
                }
            }
            pause();
            StoredSession latest = find(ticket);
            if (rotatedSince(seen, latest)) {
                return latest;
            }
            if (System.nanoTime() > deadline) {
                throw new ApiException(503, "upstream_unavailable", "Another refresh of this session is taking too long.", 1L);
            }
        }
    }

    private StoredSession rotate(SessionTicket ticket, StoredSession session, String clientAddress) {
        TokenResponse grant;
        try {
            grant = clients.withClient(client -> peertube.refreshGrant(client, session.refreshToken(), clientAddress))
                    .await().indefinitely();
        } catch (PeerTubeException e) {
            if (e.kind() == PeerTubeException.Kind.REJECTED && e.hasCode("invalid_grant")) {
                store.delete(ticket);
                throw ApiException.sessionExpired();
            }
            throw UpstreamErrors.ofFailure(e);
        }
        StoredSession refreshed = toSession(grant);
        store.save(ticket, refreshed);
        return refreshed;
    }

    private StoredSession await(CompletableFuture<StoredSession> running) {
        try {
            return running.get(refreshWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw new ApiException(502, "upstream_error", "The refresh failed.");
        } catch (TimeoutException e) {
            throw new ApiException(503, "upstream_unavailable", "Another refresh of this session is taking too long.", 1L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "upstream_unavailable", "The refresh was interrupted.", 1L);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(LOCK_POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "upstream_unavailable", "The refresh was interrupted.", 1L);
        }
    }

    private static boolean rotatedSince(StoredSession seen, StoredSession latest) {
        return !MessageDigest.isEqual(seen.refreshToken().getBytes(StandardCharsets.UTF_8),
                latest.refreshToken().getBytes(StandardCharsets.UTF_8));
    }

    /** The tokens of a grant, with expiry instants from PeerTube's seconds-left lifetimes. */
    static StoredSession toSession(TokenResponse grant) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        return new StoredSession(grant.accessToken(), grant.refreshToken(),
                now.plusSeconds(grant.expiresIn()), now.plusSeconds(grant.refreshTokenExpiresIn()));
    }

    /** Login succeeded at PeerTube but the session could not be stored: do not leave the tokens alive. */
    private Uni<Void> revokeQuietly(StoredSession session, String clientAddress) {
        return peertube.revoke(session.accessToken(), clientAddress).onFailure().recoverWithItem(failed -> {
            LOG.debug("Could not revoke the tokens of a session that was not stored");
            return null;
        });
    }
}
