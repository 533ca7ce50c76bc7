package dev.peertube.sessions.bench;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;

/**
 * An open-loop load at a fixed request rate (the wrk2 method, which Debian's wrk lacks): request
 * {@code i} is due at {@code start + i / rate} and is sent then, whatever the earlier ones are
 * doing; its latency runs from that due time to the end of its response, so a stalled server is not
 * hidden by a slowed-down client (no coordinated omission).
 *
 * <p>It shares two cores with the service and Redis, so it is kept lean: plain HTTP/1.1 over
 * keep-alive sockets on one Vert.x event loop, requests written as bytes, answers read by status
 * line and {@code Content-Length} only. A request goes to an idle connection of its server, or
 * is pipelined behind the shortest queue when none is idle (it then waits, and that wait counts).
 */
final class FixedRateLoad implements AutoCloseable {

    private static final int CONNECTIONS_PER_SERVER = 64;
    private static final byte[] HEADERS_END = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** One request; {@code authorization}, {@code contentType} and {@code body} may be null. */
    record Call(HttpMethod method, String url, String authorization, String contentType, String body) {

        static Call get(String url) {
            return new Call(HttpMethod.GET, url, null, null, null);
        }
    }

    /** Latencies in milliseconds. */
    record Result(int sent, int failed, double seconds, double p50, double p99, double p999, List<String> bodies,
            Map<String, Integer> statuses) {

        double rate() {
            return sent / seconds;
        }
    }

    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
            .setInternalBlockingPoolSize(1));
    private final NetClient net = vertx.createNetClient(new NetClientOptions().setConnectTimeout(5000).setTcpNoDelay(true));
    private final Context loop = vertx.getOrCreateContext();
    /** Connections by {@code host:port}; only touched on the event loop. */
    private final Map<String, List<Connection>> servers = new HashMap<>();

    /**
     * @param calls gives request {@code i}; null ends the run early (a pool ran out)
     * @param expected the status every answer must have; any other counts as failed
     * @param keepBodies keep the bodies of the expected answers
     */
    Result run(IntFunction<Call> calls, int expected, double rate, Duration duration, boolean keepBodies) {
        long interval = (long) (1_000_000_000L / rate);
        int total = (int) Math.max(1, duration.toNanos() / interval);
        Run run = new Run(total, expected, keepBodies);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        int sent = 0;
        for (int i = 0; i < total; i++) {
            Call call = calls.apply(i);
            if (call == null) {
                break;
            }
            long due = start + i * interval;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            run.submit(new Pending(run, i, due, call));
            sent++;
        }
        for (int i = sent; i < total; i++) {
            run.done.countDown();
        }
        try {
            if (!run.done.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("requests still unanswered after 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] measured = Arrays.copyOf(run.latencies, sent);
        Arrays.sort(measured);
        return new Result(sent, run.failed, seconds, percentile(measured, 50), percentile(measured, 99),
                percentile(measured, 99.9),
                run.bodies == null ? List.of() : Arrays.stream(run.bodies, 0, sent).filter(Objects::nonNull).toList(),
                run.statuses());
    }

    /** A request on its way: where its answer goes and when it was due. */
    private record Pending(Run run, int index, long due, Call call) {

        void answered(int status, Buffer body) {
            run.answered(this, status, body);
        }

        void failed(String why) {
            run.failed(this, why);
        }
    }

    /**
     * One run's state. Everything but {@link #submit} runs on the client's one event loop, so the
     * counters need no synchronisation ({@link #done} publishes them to the pacing thread). The
     * pacing thread hands requests over through a queue and wakes the event loop only when it is
     * not already draining it.
     */
    private final class Run {

        final long[] latencies;
        final String[] bodies;
        final int expected;
        final CountDownLatch done;
        final int[] byStatus = new int[600];
        final Map<String, Integer> byFailure = new TreeMap<>();
        final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
        final AtomicBoolean scheduled = new AtomicBoolean();
        int failed;

        Run(int total, int expected, boolean keepBodies) {
            this.latencies = new long[total];
            this.bodies = keepBodies ? new String[total] : null;
            this.expected = expected;
            this.done = new CountDownLatch(total);
        }

        void submit(Pending pending) {
            queue.add(pending);
            if (scheduled.compareAndSet(false, true)) {
                loop.runOnContext(drain -> drain());
            }
        }

        private void drain() {
            scheduled.set(false);
            Pending pending;
            while ((pending = queue.poll()) != null) {
                send(pending);
            }
        }

        void answered(Pending pending, int status, Buffer body) {
            latencies[pending.index()] = System.nanoTime() - pending.due();
            byStatus[Math.min(status, byStatus.length - 1)]++;
            if (status != expected) {
                failed++;
            } else if (bodies != null) {
                bodies[pending.index()] = body.toString(StandardCharsets.UTF_8);
            }
            done.countDown();
        }

        void failed(Pending pending, String why) {
            latencies[pending.index()] = System.nanoTime() - pending.due();
            byFailure.merge(why, 1, Integer::sum);
            failed++;
            done.countDown();
        }

        Map<String, Integer> statuses() {
            Map<String, Integer> all = new TreeMap<>(byFailure);
            for (int status = 0; status < byStatus.length; status++) {
                if (byStatus[status] > 0) {
                    all.put(Integer.toString(status), byStatus[status]);
                }
            }
            return all;
        }
    }

    /** On the event loop: the request goes to an idle connection, else behind the shortest queue. */
    private void send(Pending pending) {
        URI uri = URI.create(pending.call().url());
        int port = uri.getPort() > 0 ? uri.getPort() : 80;
        List<Connection> pool = servers.computeIfAbsent(uri.getHost() + ":" + port, server -> new ArrayList<>());
        pool.removeIf(Connection::closed);
        Connection best = null;
        for (Connection connection : pool) {
            if (best == null || connection.inFlight() < best.inFlight()) {
                best = connection;
            }
        }
        if (best == null || (best.inFlight() > 0 && pool.size() < CONNECTIONS_PER_SERVER)) {
            best = new Connection(uri.getHost(), port);
            pool.add(best);
        }
        best.send(pending, request(uri, pending.call()));
    }

    private static Buffer request(URI uri, Call call) {
        String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        StringBuilder head = new StringBuilder(256).append(call.method().name()).append(' ').append(path)
                .append(" HTTP/1.1\r\nHost: ").append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n");
        if (call.authorization() != null) {
            head.append("Authorization: ").append(call.authorization()).append("\r\n");
        }
        byte[] body = call.body() == null ? null : call.body().getBytes(StandardCharsets.UTF_8);
        if (call.contentType() != null) {
            head.append("Content-Type: ").append(call.contentType()).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        Buffer bytes = Buffer.buffer(head.append("\r\n").toString());
        return body == null ? bytes : bytes.appendBytes(body);
    }

    /**
     * One keep-alive connection: writes requests as they come (pipelining when busy) and matches
     * answers to them in order. Answers must carry a {@code Content-Length} (or have no body).
     */
    private final class Connection {

        private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
        private final List<Buffer> unsent = new ArrayList<>();
        private NetSocket socket;
        private Buffer input = Buffer.buffer();
        private boolean closed;

        Connection(String host, int port) {
            net.connect(port, host).onComplete(connected -> {
                if (connected.failed()) {
                    fail("connect " + connected.cause().getClass().getSimpleName());
                    return;
                }
                socket = connected.result();
                socket.handler(this::read);
                socket.closeHandler(end -> fail("closed"));
                unsent.forEach(socket::write);
                unsent.clear();
            });
        }

        int inFlight() {
            return waiting.size();
        }

        boolean closed() {
            return closed;
        }

        void send(Pending pending, Buffer request) {
            if (closed) {
                pending.failed("closed");
                return;
            }
            waiting.add(pending);
            if (socket == null) {
                unsent.add(request);
            } else {
                socket.write(request);
            }
        }

        private void read(Buffer data) {
            input = input.length() == 0 ? data : input.appendBuffer(data);
            while (!waiting.isEmpty()) {
                int headersEnd = indexOf(input, HEADERS_END);
                if (headersEnd < 0) {
                    return;
                }
                String head = input.getString(0, headersEnd, "US-ASCII");
                int status = Integer.parseInt(head.substring(9, 12));
                String lower = head.toLowerCase(Locale.ROOT);
                if (lower.contains("\r\ntransfer-encoding:")) {
                    throw new IllegalStateException("chunked answers are not read by this load tool");
                }
                int length = contentLength(lower);
                int end = headersEnd + HEADERS_END.length + length;
                if (input.length() < end) {
                    return;
                }
                Buffer body = input.slice(headersEnd + HEADERS_END.length, end);
                input = end == input.length() ? Buffer.buffer() : input.getBuffer(end, input.length());
                waiting.poll().answered(status, body);
            }
        }

        private void fail(String why) {
            closed = true;
            Pending pending;
            while ((pending = waiting.poll()) != null) {
                pending.failed(why);
            }
        }
    }

    private static int contentLength(String lowerCaseHead) {
        int at = lowerCaseHead.indexOf("\r\ncontent-length:");
        if (at < 0) {
            return 0;
        }
        int from = at + "\r\ncontent-length:".length();
        int to = lowerCaseHead.indexOf("\r\n", from);
        return Integer.parseInt(lowerCaseHead.substring(from, to < 0 ? lowerCaseHead.length() : to).trim());
    }

    private static int indexOf(Buffer buffer, byte[] needle) {
        int last = buffer.length() - needle.length;
        outer:
        for (int i = 0; i <= last; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (buffer.getByte(i + j) != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.min(sorted.length - 1, Math.max(0, index))] / 1e6;
    }

    @Override
    public void close() {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        loop.runOnContext(stop -> {
            servers.values().forEach(pool -> pool.forEach(connection -> {
                if (connection.socket != null) {
                    connection.socket.close();
                }
            }));
            closed.complete(null);
        });
        closed.orTimeout(5, TimeUnit.SECONDS).exceptionally(slow -> null).join();
        net.close();
        vertx.close();
    }
}
