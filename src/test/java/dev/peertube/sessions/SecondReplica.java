package dev.peertube.sessions;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.peertube.sessions.fake.FakePeerTube;
import dev.peertube.sessions.fake.FakePeerTubeResource;

/**
 * Another replica of the packaged application, started from the test on a port of its own,
 * with the same Redis, PeerTube and keys as the one the test framework launched.
 */
final class SecondReplica implements AutoCloseable {

    private final Process process;
    private final int port;

    private SecondReplica(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static SecondReplica start() throws IOException, InterruptedException {
        Path jar = Path.of("target", "quarkus-app", "quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("package the application first: " + jar);
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        FakePeerTube fake = FakePeerTubeResource.fake();
        Map<String, String> config = new HashMap<>(new RedisTestResource().start());
        config.put("peertube.url", fake.url());
        config.put("peertube.host", FakePeerTubeResource.PUBLIC_HOST);
        config.put("quarkus.http.port", Integer.toString(port));
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        config.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-jar");
        command.add(jar.toString());
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(Path.of("target", "second-replica.log").toFile()).start();
        SecondReplica replica = new SecondReplica(process, port);
        replica.awaitReady();
        return replica;
    }

    int port() {
        return port;
    }

    private void awaitReady() throws InterruptedException {
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready")).timeout(Duration.ofSeconds(2)).build();
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline && process.isAlive()) {
            try {
                if (client.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(100);
        }
        close();
        throw new IllegalStateException("the second replica did not become ready; see target/second-replica.log");
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
