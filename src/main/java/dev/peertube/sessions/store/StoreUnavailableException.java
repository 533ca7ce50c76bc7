package dev.peertube.sessions.store;

/** Redis could not be reached or answered with an error. Carries no message from the wire. */
public final class StoreUnavailableException extends RuntimeException {

    public StoreUnavailableException() {
        super("Redis unavailable", null, false, false);
    }
}
