package dev.peertube.sessions;

import java.util.HashMap;
import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * Every log line of the service, its REST client, Vert.x, Netty, the Redis client and fault
 * tolerance, down to TRACE, written to {@value #LOG_FILE} for the log hygiene test, with the REST
 * client's request/response logging asked for in configuration.
 */
public class TraceLoggingProfile implements QuarkusTestProfile {

    static final String LOG_FILE = "target/log-hygiene.log";
    static final String[] CATEGORIES = { "dev.peertube.sessions", "io.quarkus.rest.client", "org.jboss.resteasy.reactive",
            "io.quarkus.resteasy.reactive", "io.vertx", "io.netty", "io.quarkus.redis", "io.quarkus.vertx",
            "io.smallrye.faulttolerance" };

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> config = new HashMap<>();
        // TRACE must not be compiled away; the levels themselves are raised by the test while it runs
        // (set here, they would stay raised for every later test in the JVM)
        config.put("quarkus.log.min-level", "TRACE");
        for (String category : CATEGORIES) {
            config.put("quarkus.log.category.\"" + category + "\".min-level", "TRACE");
        }
        config.put("quarkus.log.console.level", "INFO");
        // as if an operator turned REST client logging on: the client pins it off in code
        config.put("quarkus.rest-client.logging.scope", "request-response");
        config.put("quarkus.log.file.enabled", "true");
        config.put("quarkus.log.file.path", LOG_FILE);
        config.put("quarkus.log.file.level", "TRACE");
        config.put("quarkus.log.file.format", "%d{HH:mm:ss,SSS} %-5p [%c] (%t) %s%e%n");
        return config;
    }
}
