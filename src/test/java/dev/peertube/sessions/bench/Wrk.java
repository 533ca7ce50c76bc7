package dev.peertube.sessions.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Runs {@code wrk} (Debian package {@code wrk}) with {@code bench/session-load.lua} and reads the
 * one-line result its {@code done()} prints.
 */
final class Wrk {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What one wrk run measured; latencies in milliseconds. */
    record Result(long requests, double seconds, long socketErrors, long statusErrors, long unexpected, long recorded,
            int exhaustedThreads, double p50, double p99, double p999, String statuses) {

        double throughput() {
            return requests / seconds;
        }

        /** Socket errors, timeouts, 4xx/5xx and any status other than the one the mode expects. */
        long errors() {
            return socketErrors + Math.max(statusErrors, unexpected);
        }
    }

    private final int threads;
    private final int connections;
    private final Path script;
    private final Path logDir;

    Wrk(int threads, int connections, Path logDir) {
        this.threads = threads;
        this.connections = connections;
        this.logDir = logDir;
        try {
            this.script = Path.of(Wrk.class.getResource("/bench/session-load.lua").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Fails with a clear message when wrk is missing. */
    static void requireInstalled() {
        boolean found = false;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "wrk"))) {
                found = true;
            }
        }
        if (!found) {
            throw new IllegalStateException("The benchmark needs the HTTP load generator wrk on the PATH: "
                    + "install it with `apt-get install -y wrk` (Debian/Ubuntu) and run again.");
        }
    }

    /**
     * @param url  full URL; its path is used by the {@code plain} and {@code token} modes
     * @param mode a mode of the script (plain, token, login, get, refresh, delete, soak)
     * @param file the session id file of the mode (pool to read, or prefix of the files to write); may be null
     * @param body request body of the login, token and soak modes; may be null
     */
    Result run(String name, String url, String mode, Path file, String body, Duration duration) {
        return run(name, url, mode, file, body, duration, connections);
    }

    Result run(String name, String url, String mode, Path file, String body, Duration duration, int connections) {
        List<String> command = new ArrayList<>(List.of("wrk",
                "-t" + threads, "-c" + connections, "-d" + Math.max(1, duration.toSeconds()) + "s",
                "--timeout", "5s", "-s", script.toString(), url, "--", mode, Integer.toString(threads),
                file == null ? "-" : file.toString()));
        if (body != null) {
            command.add(body);
        }
        try {
            Path log = logDir.resolve("wrk-" + name + ".txt");
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!process.waitFor(duration.toSeconds() + 60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("wrk did not finish: " + name);
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            int at = output.indexOf("BENCH-RESULT ");
            if (process.exitValue() != 0 || at < 0) {
                throw new IllegalStateException("wrk failed (" + name + "):\n" + output);
            }
            JsonNode r = JSON.readTree(output.substring(at + "BENCH-RESULT ".length()).lines().findFirst().orElseThrow());
            return new Result(r.get("requests").asLong(), r.get("durationMicros").asLong() / 1e6,
                    r.get("connectErrors").asLong() + r.get("readErrors").asLong() + r.get("writeErrors").asLong()
                            + r.get("timeouts").asLong(),
                    r.get("statusErrors").asLong(), r.get("unexpected").asLong(), r.get("recorded").asLong(),
                    r.get("exhaustedThreads").asInt(),
                    r.get("p50").asLong() / 1000.0, r.get("p99").asLong() / 1000.0, r.get("p999").asLong() / 1000.0,
                    r.get("statuses").toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
