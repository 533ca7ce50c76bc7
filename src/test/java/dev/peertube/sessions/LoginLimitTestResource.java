package dev.peertube.sessions;

import java.util.HashMap;
import java.util.Map;

/**
 * The test Redis with low login limits, forwarding of the caller's address to PeerTube, and
 * 127.0.0.1 as the only trusted proxy (so a peer on 127.0.0.2 is an untrusted caller).
 */
public class LoginLimitTestResource extends RedisTestResource {

    static final int PER_USERNAME = 3;
    static final int PER_ADDRESS = 6;

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        config.put("session.login-limit.per-username", Integer.toString(PER_USERNAME));
        config.put("session.login-limit.per-address", Integer.toString(PER_ADDRESS));
        config.put("session.login-limit.window", "5m");
        config.put("peertube.forward-client-address", "true");
        config.put("quarkus.http.proxy.proxy-address-forwarding", "true");
        config.put("quarkus.http.proxy.allow-x-forwarded", "true");
        config.put("quarkus.http.proxy.trusted-proxies", "127.0.0.1");
        return config;
    }
}
