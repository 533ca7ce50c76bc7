package dev.peertube.sessions.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * An open-loop load at a fixed request rate (the wrk2 method, which Debian's wrk lacks): request
 * {@code i} is due at {@code start + i / rate} and is sent then, whatever the earlier ones are
 * doing; its latency runs from that due time to the end of its response, so a stalled server is not
 * hidden by a slowed-down client (no coordinated omission). A Vert.x HTTP client on one event loop
 * with a pool of keep-alive connections sends the requests.
 */
final class FixedRateLoad implements AutoCloseable {

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
    private final HttpClient client = vertx.createHttpClient(
            new HttpClientOptions().setKeepAlive(true).setConnectTimeout(5000),
            new PoolOptions().setHttp1MaxSize(64));

    /**
     * @param calls gives request {@code i}; null ends the run early (a pool ran out)
     * @param expected the status every answer must have; any other counts as failed
     * @param keepBodies keep the bodies of the expected answers
     */
    Result run(IntFunction<Call> calls, int expected, double rate, Duration duration, boolean keepBodies) {
        long interval = (long) (1_000_000_000L / rate);
        int total = (int) Math.max(1, duration.toNanos() / interval);
        long[] latencies = new long[total];
        String[] bodies = keepBodies ? new String[total] : null;
        AtomicInteger failed = new AtomicInteger();
        Map<String, Integer> statuses = new ConcurrentSkipListMap<>();
        CountDownLatch done = new CountDownLatch(total);
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
            int n = i;
            send(call).onComplete(ar -> {
                latencies[n] = System.nanoTime() - due;
                statuses.merge(ar.failed() ? ar.cause().getClass().getSimpleName() : Integer.toString(ar.result().status()), 1,
                        Integer::sum);
                if (ar.failed() || ar.result().status() != expected) {
                    failed.incrementAndGet();
                } else if (bodies != null) {
                    bodies[n] = ar.result().body();
                }
                done.countDown();
            });
            sent++;
        }
        for (int i = sent; i < total; i++) {
            done.countDown();
        }
        try {
            if (!done.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("requests still unanswered after 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] measured = Arrays.copyOf(latencies, sent);
        Arrays.sort(measured);
        return new Result(sent, failed.get(), seconds, percentile(measured, 50), percentile(measured, 99),
                percentile(measured, 99.9),
                bodies == null ? List.of() : Arrays.stream(bodies, 0, sent).filter(Objects::nonNull).toList(), statuses);
    }

    private record Answer(int status, String body) {
    }

    private Future<Answer> send(Call call) {
        RequestOptions options = new RequestOptions().setMethod(call.method()).setAbsoluteURI(call.url()).setTimeout(5000);
        if (call.authorization() != null) {
            options.putHeader("Authorization", call.authorization());
        }
        if (call.contentType() != null) {
            options.putHeader("Content-Type", call.contentType());
        }
        // the whole exchange runs on one event loop: from another thread, the step that asks for the
        // body could run after the body has arrived, and the body would be lost
        Promise<Answer> answer = Promise.promise();
        vertx.runOnContext(start -> client.request(options)
                .compose(request -> call.body() == null ? request.send() : request.send(Buffer.buffer(call.body())))
                .compose(response -> response.body().map(body -> new Answer(response.statusCode(), body.toString())))
                .onComplete(answer));
        return answer.future();
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
        client.close();
        vertx.close();
    }
}
