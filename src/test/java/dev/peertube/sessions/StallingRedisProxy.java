package dev.peertube.sessions;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy in front of the test Redis whose connections can be made to stop answering while
 * they stay open (a Redis host gone without closing them), while new connections work.
 */
public class StallingRedisProxy extends RedisTestResource {

    private static final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private static volatile ServerSocket server;

    @Override
    public Map<String, String> start() {
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        daemon(StallingRedisProxy::accept);
        Map<String, String> config = new HashMap<>(super.start());
        config.put("quarkus.redis.hosts", REDIS_URL.replace(":6379/", ":" + server.getLocalPort() + "/"));
        config.put("quarkus.redis.timeout", "1s");
        return config;
    }

    @Override
    public void stop() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        open.forEach(Connection::close);
    }

    /** Every connection open now stops forwarding, both ways; answers the number of them. */
    public static int stallOpenConnections() {
        open.forEach(connection -> connection.stalled = true);
        return open.size();
    }

    private static void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket redis = new Socket("127.0.0.1", 6379);
                Connection connection = new Connection(client, redis);
                open.add(connection);
                daemon(() -> connection.pump(client, redis));
                daemon(() -> connection.pump(redis, client));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private static void daemon(Runnable task) {
        Thread thread = new Thread(task, "stalling-redis-proxy");
        thread.setDaemon(true);
        thread.start();
    }

    private static final class Connection {

        final Socket client;
        final Socket redis;
        volatile boolean stalled;

        Connection(Socket client, Socket redis) {
            this.client = client;
            this.redis = redis;
        }

        /** Copies bytes until either side closes; once stalled, reads and drops them. */
        void pump(Socket from, Socket to) {
            byte[] buffer = new byte[8192];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (!stalled) {
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException closed) {
                // the other pump closes the pair
            } finally {
                close();
            }
        }

        void close() {
            open.remove(this);
            try {
                client.close();
                redis.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }
}
