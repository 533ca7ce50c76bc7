package dev.peertube.sessions;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;

/**
 * A plain Redis client for assertions on what the service stored, usable from @QuarkusTest and
 * @QuarkusIntegrationTest alike. Only touches the test database's keys with the test prefix.
 */
public final class TestRedis implements AutoCloseable {

    private final Vertx vertx = Vertx.vertx();
    private final Redis client;
    private final RedisAPI api;

    public TestRedis() {
        this(RedisTestResource.REDIS_URL);
    }

    public TestRedis(String url) {
        this.client = Redis.createClient(vertx, url);
        this.api = RedisAPI.api(client);
    }

    /** Every key the service wrote under the test prefix. */
    public List<String> keys() {
        List<String> keys = new ArrayList<>();
        String cursor = "0";
        do {
            Response page = await(api.scan(List.of(cursor, "MATCH", RedisTestResource.KEY_PREFIX + "*", "COUNT", "1000")));
            cursor = page.get(0).toString();
            page.get(1).forEach(key -> keys.add(key.toString()));
        } while (!cursor.equals("0"));
        return keys;
    }

    public List<String> sessionKeys() {
        return keys().stream().filter(k -> k.startsWith(RedisTestResource.KEY_PREFIX + "session:")).toList();
    }

    public void deleteAll() {
        List<String> keys = keys();
        if (!keys.isEmpty()) {
            await(api.del(keys));
        }
    }

    /** Remaining time to live in milliseconds (-2 when the key does not exist). */
    public long pttl(String key) {
        return await(api.pttl(key)).toLong();
    }

    public String type(String key) {
        return await(api.type(key)).toString();
    }

    public byte[] getBytes(String key) {
        Response value = await(api.get(key));
        return value == null ? null : value.toBytes();
    }

    public List<String> sortedSetMembers(String key) {
        List<String> members = new ArrayList<>();
        await(api.zrange(List.of(key, "0", "-1"))).forEach(m -> members.add(m.toString()));
        return members;
    }

    /** Overwrites a string value with raw bytes (no expiry). */
    public void setBytes(String key, byte[] value) {
        await(client.send(io.vertx.redis.client.Request.cmd(Command.SET).arg(key).arg(io.vertx.core.buffer.Buffer.buffer(value))));
    }

    /** Every key of the test database, whatever its prefix. */
    public List<String> allKeys() {
        List<String> keys = new ArrayList<>();
        String cursor = "0";
        do {
            Response page = await(api.scan(List.of(cursor, "COUNT", "1000")));
            cursor = page.get(0).toString();
            page.get(1).forEach(key -> keys.add(key.toString()));
        } while (!cursor.equals("0"));
        return keys;
    }

    /** Every value stored under a key, read according to its type, as raw bytes (scores as text). */
    public List<byte[]> values(String key) {
        List<byte[]> values = new ArrayList<>();
        String type = type(key);
        Response answer = switch (type) {
            case "string" -> await(api.get(key));
            case "zset" -> await(api.zrange(List.of(key, "0", "-1", "WITHSCORES")));
            case "hash" -> await(api.hgetall(key));
            case "list" -> await(api.lrange(key, "0", "-1"));
            case "set" -> await(api.smembers(key));
            case "none" -> null;
            default -> throw new IllegalStateException("unexpected Redis type " + type + " of " + key);
        };
        collect(answer, values);
        return values;
    }

    private static void collect(Response answer, List<byte[]> values) {
        if (answer == null) {
            return;
        }
        switch (answer.type()) {
            case MULTI, PUSH, ATTRIBUTE -> {
                java.util.Set<String> mapKeys = mapKeys(answer);
                if (mapKeys.isEmpty()) {
                    answer.forEach(item -> collect(item, values));
                } else {
                    for (String k : mapKeys) {
                        values.add(k.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                        collect(answer.get(k), values);
                    }
                }
            }
            case BULK -> values.add(answer.toBytes());
            default -> values.add(answer.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private static java.util.Set<String> mapKeys(Response answer) {
        try {
            java.util.Set<String> keys = answer.getKeys();
            return keys == null ? java.util.Set.of() : keys;
        } catch (RuntimeException notAMap) {
            return java.util.Set.of();
        }
    }

    public Response command(Command command, String... args) {
        return await(client.send(io.vertx.redis.client.Request.cmd(command, (Object[]) args)));
    }

    private static Response await(io.vertx.core.Future<Response> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Redis command failed", e);
        }
    }

    @Override
    public void close() {
        client.close();
        vertx.close();
    }
}
