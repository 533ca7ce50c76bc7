package dev.peertube.sessions.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.quarkus.redis.client.RedisOptionsCustomizer;
import io.quarkus.redis.runtime.client.config.RedisConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

/**
 * The Redis commands of the request paths, pipelined on one connection per event-loop thread.
 *
 * <p>The Quarkus Redis Client's pool lends a connection for each command and takes it back with
 * the answer, so every command pays a lease and there are as many commands in flight as
 * connections. Here each event-loop thread keeps one connection and writes its commands on it one
 * after another; Redis answers them in order. The commands a loop makes in one turn (the requests
 * it read together) go out in one write, so Redis reads them with one call and answers them with
 * one write: under load this halves Redis's CPU per command (on a cluster, whose batches must stay
 * within one slot, each command has its own write). These connections come from a client of their own,
 * built from the options the Quarkus Redis Client made of its configuration (hosts, topology,
 * password, TLS): a connection opened from an event loop lives on that loop, where a connection
 * taken from the shared pool may live on any loop and cost a thread hop per command. Other
 * threads (the workers of refreshes and logouts) use the shared pool.
 *
 * <p>A command without an answer within {@code quarkus.redis.timeout} fails with
 * {@link StoreUnavailableException}, like any failure of Redis, and its connection is retired:
 * the next command opens another one, and the retired connection goes back to the pool once its
 * last command has been answered (or has failed with the connection).
 */
@ApplicationScoped
public class PipelinedRedis {

    private final Redis pooled;
    private final Redis perLoop;
    private final boolean batching;
    private final Vertx vertx;
    private final long timeoutMillis;
    private final ThreadLocal<Lane> lanes = ThreadLocal.withInitial(Lane::new);

    PipelinedRedis(Redis pooled, DefaultClientOptions options, Vertx vertx,
            @ConfigProperty(name = "quarkus.redis.timeout") Duration timeout) {
        this.pooled = pooled;
        RedisOptions perLoopOptions = options.copy();
        this.perLoop = Redis.createClient(vertx, perLoopOptions);
        // a cluster refuses a batch whose keys live in different slots: there, one command per write
        this.batching = perLoopOptions.getType() != RedisClientType.CLUSTER;
        this.vertx = vertx;
        this.timeoutMillis = Math.max(1, timeout.toMillis());
    }

    @PreDestroy
    void close() {
        perLoop.close();
    }

    /** Sends one command; fails with {@link StoreUnavailableException} on any failure of Redis or no answer in time. */
    public Future<Response> send(Request request) {
        if (Context.isOnEventLoopThread()) {
            return lanes.get().send(request);
        }
        return timed(pooled.send(request), () -> { });
    }

    /** Blocks for the answer of {@link #send}: only for worker threads. */
    public static <T> T await(CompletionStage<T> answer) {
        try {
            return answer.toCompletableFuture().get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw new StoreUnavailableException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException();
        }
    }

    private Future<Response> timed(Future<Response> answer, Runnable onTimeout) {
        Promise<Response> result = Promise.promise();
        long timer = vertx.setTimer(timeoutMillis, expired -> {
            if (result.tryFail(new StoreUnavailableException())) {
                onTimeout.run();
            }
        });
        answer.onComplete(done -> {
            vertx.cancelTimer(timer);
            if (done.succeeded()) {
                result.tryComplete(done.result());
            } else {
                result.tryFail(new StoreUnavailableException());
            }
        });
        return result.future();
    }

    /** One event-loop thread's connection: opened on first use, replaced once it ends, fails or is retired. */
    private final class Lane {

        /** Set and read on this lane's thread; cleared from the connection's handlers, which may run elsewhere. */
        private final AtomicReference<Pinned> current = new AtomicReference<>();

        /** Commands of this loop turn not written yet; null when there are none. */
        private Batch pending;

        Future<Response> send(Request request) {
            ContextInternal caller = (ContextInternal) vertx.getOrCreateContext();
            Batch batch = pending;
            if (batch == null) {
                batch = new Batch();
                pending = batch;
                // after the rest of this loop turn: the commands its other requests make go in the same write
                caller.nettyEventLoop().execute(this::write);
            }
            Promise<Response> answer = caller.promise();
            batch.requests.add(request);
            batch.answers.add(answer);
            Batch sent = batch;
            return timed(answer.future(), () -> retire(sent.on));
        }

        private void write() {
            Batch batch = pending;
            pending = null;
            Pinned pinned = current.get();
            if (pinned == null || pinned.connection.failed()) {
                pinned = open();
            }
            batch.on = pinned;
            Future<RedisConnection> connection = pinned.connection;
            List<Request> requests = batch.requests;
            if (batching && requests.size() > 1) {
                // an error answer to any command fails the whole batch: every caller gets store_unavailable
                Future<List<Response>> answers = connection.compose(opened -> opened.batch(requests));
                pinned.last = answers;
                answers.onComplete(done -> {
                    for (int i = 0; i < requests.size(); i++) {
                        if (done.succeeded()) {
                            batch.answers.get(i).complete(done.result().get(i));
                        } else {
                            batch.answers.get(i).fail(done.cause());
                        }
                    }
                });
                return;
            }
            for (int i = 0; i < requests.size(); i++) {
                Request request = requests.get(i);
                Future<Response> answer = connection.succeeded() ? connection.result().send(request)
                        : connection.compose(opened -> opened.send(request));
                pinned.last = answer;
                answer.onComplete(batch.answers.get(i));
            }
        }

        private Pinned open() {
            Pinned pinned = new Pinned(perLoop.connect());
            current.set(pinned);
            pinned.connection.onSuccess(connection -> connection
                    .exceptionHandler(broken -> current.compareAndSet(pinned, null))
                    .endHandler(ended -> current.compareAndSet(pinned, null)));
            return pinned;
        }

        /** Stops using the connection; it goes back to the pool once nothing is pending on it. */
        private void retire(Pinned pinned) {
            if (pinned != null && current.compareAndSet(pinned, null)) {
                pinned.last.onComplete(settled -> pinned.connection.onSuccess(RedisConnection::close));
            }
        }
    }

    /** A copy of the options the Quarkus Redis Client built for its default client. */
    @Singleton
    static class DefaultClientOptions implements RedisOptionsCustomizer {

        private volatile RedisOptions options;

        @Override
        public void customize(String clientName, RedisOptions options) {
            if (RedisConfig.DEFAULT_CLIENT_NAME.equals(clientName)) {
                this.options = new RedisOptions(options);
            }
        }

        RedisOptions copy() {
            if (options == null) {
                throw new IllegalStateException("the default Redis client is not configured yet");
            }
            return new RedisOptions(options);
        }
    }

    /** The commands a lane writes at once, their callers' answers, and the connection they went on. */
    private static final class Batch {

        final List<Request> requests = new ArrayList<>(4);
        final List<Promise<Response>> answers = new ArrayList<>(4);
        Pinned on;
    }

    /** A connection of a lane and the last command sent on it (answers come back in order). */
    private static final class Pinned {

        final Future<RedisConnection> connection;
        Future<?> last;

        Pinned(Future<RedisConnection> connection) {
            this.connection = connection;
            this.last = connection.map(opened -> null);
        }
    }
}
