package dev.peertube.sessions.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.peertube.sessions.peertube.PeerTubeConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/** Settings that parse but cannot work stop the service, each named by its environment variable. */
class ConfigurationCheckTest {

    @Test
    void defaultsPass() {
        assertEquals(List.of(), problems(Map.of()));
    }

    @Test
    void defaultHostIsTheUrlsAuthorityWithoutDefaultPort() {
        assertEquals("peertube2.cpy.re", config(Map.of()).getConfigMapping(PeerTubeConfig.class).effectiveHost());
        assertEquals("videos.example:9000",
                config(Map.of("peertube.url", "http://videos.example:9000")).getConfigMapping(PeerTubeConfig.class).effectiveHost());
        assertEquals("public.example", config(Map.of("peertube.url", "http://peertube.internal:9000", "peertube.host", "public.example"))
                .getConfigMapping(PeerTubeConfig.class).effectiveHost());
    }

    @Test
    void unusableValuesAreNamed() {
        List<String> problems = problems(Map.of(
                "peertube.url", "ftp://videos.example",
                "peertube.timeout", "0s",
                "peertube.breaker-request-volume", "50",
                "peertube.breaker-failure-ratio", "1.5",
                "peertube.idle-connection-timeout", "10s",
                "session.refresh-skew", "-1s"));
        for (String name : List.of("PEERTUBE_URL", "PEERTUBE_TIMEOUT", "PEERTUBE_BREAKER_REQUEST_VOLUME", "PEERTUBE_BREAKER_FAILURE_RATIO",
                "PEERTUBE_IDLE_CONNECTION_TIMEOUT", "SESSION_REFRESH_SKEW")) {
            assertTrue(problems.stream().anyMatch(problem -> problem.startsWith(name)), name + " in " + problems);
        }
        assertEquals(6, problems.size(), problems.toString());
    }

    private static List<String> problems(Map<String, String> properties) {
        SmallRyeConfig config = config(properties);
        return ConfigurationCheck.problems(config.getConfigMapping(PeerTubeConfig.class), config.getConfigMapping(SessionConfig.class));
    }

    private static SmallRyeConfig config(Map<String, String> properties) {
        return new SmallRyeConfigBuilder()
                .withMapping(PeerTubeConfig.class)
                .withMapping(SessionConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter()) // Quarkus's "3s" form
                .withSources(new PropertiesConfigSource(properties, "test", 500))
                .build();
    }
}
