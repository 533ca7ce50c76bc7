package dev.peertube.sessions.peertube;

import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * The instance's OAuth client, fetched once and kept in memory by each replica (never in Redis:
 * it holds the client secret). PeerTube's {@code invalid_client} makes it fetch the client again,
 * once; a failed fetch is not remembered.
 */
@ApplicationScoped
public class OAuthClientCache {

    private final PeerTubeClient peertube;
    private volatile OAuthClient current;

    OAuthClientCache(PeerTubeClient peertube) {
        this.peertube = peertube;
    }

    /**
     * Runs a token call with the cached client; when PeerTube answers {@code invalid_client},
     * fetches the client again and runs the call once more. A second {@code invalid_client}
     * is thrown to the caller.
     */
    public <T> T withClient(Function<OAuthClient, T> call) {
        OAuthClient client = get();
        try {
            return call.apply(client);
        } catch (PeerTubeException e) {
            if (!e.hasCode("invalid_client")) {
                throw e;
            }
        }
        return call.apply(refetch(client));
    }

    OAuthClient get() {
        OAuthClient client = current;
        return client != null ? client : refetch(null);
    }

    /** Fetches a new client unless another caller already replaced the stale one. */
    private synchronized OAuthClient refetch(OAuthClient stale) {
        OAuthClient client = current;
        if (client != null && client != stale) {
            return client;
        }
        current = null;
        client = peertube.fetchClient();
        current = client;
        return client;
    }
}
