package dev.peertube.sessions.peertube;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;

/**
 * The instance's OAuth client, fetched once and kept in memory by each replica (never in Redis:
 * it holds the client secret). PeerTube's {@code invalid_client} makes it fetch the client again,
 * once; a failed fetch is not remembered.
 */
@ApplicationScoped
public class OAuthClientCache {

    private final PeerTubeClient peertube;
    private volatile OAuthClient current;
    /** The fetch in flight, shared by every caller that needs the client meanwhile. */
    private CompletableFuture<OAuthClient> fetching;

    OAuthClientCache(PeerTubeClient peertube) {
        this.peertube = peertube;
    }

    /**
     * Runs a token call with the cached client; when PeerTube answers {@code invalid_client},
     * fetches the client again and runs the call once more. A second {@code invalid_client}
     * is passed on to the caller.
     */
    public <T> Uni<T> withClient(Function<OAuthClient, Uni<T>> call) {
        return get().chain(client -> call.apply(client)
                .onFailure(e -> e instanceof PeerTubeException p && p.hasCode("invalid_client"))
                .recoverWithUni(() -> refetch(client).chain(fresh -> call.apply(fresh))));
    }

    private Uni<OAuthClient> get() {
        OAuthClient client = current;
        return client != null ? Uni.createFrom().item(client) : refetch(null);
    }

    /** Fetches a new client unless another caller already replaced the stale one or is fetching it. */
    private synchronized Uni<OAuthClient> refetch(OAuthClient stale) {
        OAuthClient client = current;
        if (client != null && client != stale) {
            return Uni.createFrom().item(client);
        }
        current = null;
        CompletableFuture<OAuthClient> fetch = fetching;
        if (fetch == null) {
            CompletableFuture<OAuthClient> started = new CompletableFuture<>();
            fetching = started;
            fetch = started;
            peertube.fetchClient().subscribe().with(fetched -> fetchEnded(started, fetched, null),
                    failed -> fetchEnded(started, null, failed));
        }
        return Uni.createFrom().completionStage(fetch);
    }

    /** A failed fetch is not remembered: the next caller tries again. */
    private void fetchEnded(CompletableFuture<OAuthClient> fetch, OAuthClient fetched, Throwable failed) {
        synchronized (this) {
            if (fetching == fetch) {
                fetching = null;
            }
            if (fetched != null) {
                current = fetched;
            }
        }
        if (fetched != null) {
            fetch.complete(fetched);
        } else {
            fetch.completeExceptionally(failed);
        }
    }
}
