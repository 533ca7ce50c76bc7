package dev.peertube.sessions.fake;

import java.time.Duration;

/**
 * A fault the {@link FakePeerTube} plays instead of (or around) a normal answer; see
 * {@link FakePeerTube#injectFault(FakePeerTube.Endpoint, Fault, int)}.
 *
 * <p>The same factories exist as {@code FakePeerTube.Fault.delay(...)} etc.; both spellings give the
 * same values, so tests may import whichever reads better.
 */
public sealed interface Fault permits FakePeerTube.Fault {

    /** Answer normally, but only after {@code delay}; the request takes effect after the delay too. */
    static FakePeerTube.Fault delay(Duration delay) {
        return FakePeerTube.Fault.delay(delay);
    }

    /** Answer {@code status} with an {@code about:blank} problem body; no effect on state. */
    static FakePeerTube.Fault status(int status) {
        return FakePeerTube.Fault.status(status);
    }

    /** Close the TCP connection without answering; no effect on state. */
    static FakePeerTube.Fault closeConnection() {
        return FakePeerTube.Fault.closeConnection();
    }

    /** Apply the request's effect (e.g. rotate the refresh token), then close without answering. */
    static FakePeerTube.Fault closeAfterProcessing() {
        return FakePeerTube.Fault.closeAfterProcessing();
    }

    /** Answer PeerTube's plain-text 429 with {@code Retry-After: retryAfterSeconds}; no effect on state. */
    static FakePeerTube.Fault rateLimited(int retryAfterSeconds) {
        return FakePeerTube.Fault.rateLimited(retryAfterSeconds);
    }
}
