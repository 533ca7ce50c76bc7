package dev.peertube.sessions;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** The packaged application (prod profile) refuses to start without SESSION_ENCRYPTION_KEYS and says so. */
class ServerKeysStartupIT {

    @Test
    void packagedApplicationRefusesToStartWithoutServerKeysAndNamesTheSetting() throws IOException, InterruptedException {
        Path jar = Path.of("target", "quarkus-app", "quarkus-run.jar");
        assertTrue(Files.exists(jar), "the packaged application exists in the integration-test phase");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-jar", jar.toString()).redirectErrorStream(true);
        builder.environment().remove("SESSION_ENCRYPTION_KEYS");
        builder.environment().put("QUARKUS_HTTP_PORT", "0");
        builder.environment().put("QUARKUS_REDIS_HOSTS", RedisTestResource.REDIS_URL);
        builder.environment().put("SESSION_KEY_PREFIX", RedisTestResource.KEY_PREFIX);
        Process process = builder.start();
        boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(exited, "the application kept running without server keys:\n" + output);
        assertNotEquals(0, process.exitValue(), output);
        assertTrue(output.contains("SESSION_ENCRYPTION_KEYS"), "the startup failure names the setting:\n" + output);
    }
}
