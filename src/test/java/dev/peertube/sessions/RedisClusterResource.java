package dev.peertube.sessions;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A three-master Redis Cluster of the test's own, on free loopback ports, built with
 * {@code redis-server --cluster-enabled yes} and {@code redis-cli --cluster create}.
 */
public class RedisClusterResource extends RedisTestResource {

    private static final List<Integer> ports = new ArrayList<>();
    private static Path dir;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("pts-cluster");
            for (int i = 0; i < 3; i++) {
                try (ServerSocket socket = new ServerSocket(0)) {
                    ports.add(socket.getLocalPort());
                }
            }
            for (int port : ports) {
                Path node = Files.createDirectories(dir.resolve(Integer.toString(port)));
                run("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--daemonize", "yes",
                        "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--dir", node.toString(),
                        "--save", "", "--appendonly", "no", "--logfile", node.resolve("redis.log").toString());
            }
            awaitPing();
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            ports.forEach(port -> create.add("127.0.0.1:" + port));
            create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            run(create.toArray(String[]::new));
            awaitClusterOk();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> config = new HashMap<>(super.start());
        config.put("quarkus.redis.hosts", ports.stream().map(port -> "redis://127.0.0.1:" + port).collect(Collectors.joining(",")));
        config.put("quarkus.redis.client-type", "cluster");
        return config;
    }

    @Override
    public void stop() {
        for (int port : ports) {
            run("redis-cli", "-p", Integer.toString(port), "shutdown", "nosave");
        }
        ports.clear();
    }

    /** A node of the cluster, for assertions with {@code redis-cli -c}. */
    public static int anyPort() {
        return ports.get(0);
    }

    /** Runs {@code redis-cli -c -p <node> args...} and returns what it printed. */
    public static String cli(String... args) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-c", "-p", Integer.toString(anyPort())));
        command.addAll(List.of(args));
        return run(command.toArray(String[]::new));
    }

    /** Keys matching the pattern on every master (a SCAN only covers the node it is sent to). */
    public static List<String> scanAll(String pattern) {
        List<String> keys = new ArrayList<>();
        for (int port : ports) {
            for (String key : run("redis-cli", "-p", Integer.toString(port), "--scan", "--pattern", pattern).split("\\s+")) {
                if (!key.isBlank()) {
                    keys.add(key);
                }
            }
        }
        return keys;
    }

    private static void awaitPing() {
        for (int port : ports) {
            long deadline = System.currentTimeMillis() + 10_000;
            while (!run("redis-cli", "-p", Integer.toString(port), "ping").contains("PONG")) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("cluster node " + port + " did not start");
                }
                sleep();
            }
        }
    }

    private static void awaitClusterOk() {
        long deadline = System.currentTimeMillis() + 20_000;
        while (!ports.stream().allMatch(port -> run("redis-cli", "-p", Integer.toString(port), "cluster", "info").contains("cluster_state:ok"))) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("the Redis Cluster did not reach cluster_state:ok");
            }
            sleep();
        }
    }

    private static String run(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor(20, TimeUnit.SECONDS);
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("redis-server and redis-cli must be installed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
