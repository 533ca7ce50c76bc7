package dev.peertube.sessions;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A redis-server of the test's own on a free loopback port, which the test can stop and start
 * again; it saves its data on shutdown and loads it on start, like a Redis with persistence.
 */
public class PrivateRedisResource extends RedisTestResource {

    private static volatile int port;
    private static volatile Path dir;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("pts-redis");
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        startRedis();
        Map<String, String> config = new HashMap<>(super.start());
        config.put("quarkus.redis.hosts", url());
        config.put("peertube.max-concurrent-calls", "2");
        return config;
    }

    @Override
    public void stop() {
        stopRedis();
    }

    public static String url() {
        return "redis://127.0.0.1:" + port + "/0";
    }

    /** Starts redis-server (again), on the same port, with the data it saved when stopped. */
    public static void startRedis() {
        run(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--daemonize", "yes",
                "--dir", dir.toString(), "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no",
                "--logfile", dir.resolve("redis.log").toString()));
        awaitPort(true);
    }

    /** Saves and stops redis-server: connections are refused until {@link #startRedis()}. */
    public static void stopRedis() {
        run(List.of("redis-cli", "-p", Integer.toString(port), "shutdown", "save"));
        awaitPort(false);
    }

    /** Redis stops answering commands (connections stay open) for this long. */
    public static void pause(Duration duration) {
        run(List.of("redis-cli", "-p", Integer.toString(port), "client", "pause", Long.toString(duration.toMillis()), "all"));
    }

    private static void run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException e) {
            throw new IllegalStateException("redis-server and redis-cli must be installed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitPort(boolean open) {
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            boolean listening;
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                listening = true;
            } catch (IOException refused) {
                listening = false;
            }
            if (listening == open) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new IllegalStateException("redis-server on port " + port + " did not " + (open ? "start" : "stop"));
    }
}
