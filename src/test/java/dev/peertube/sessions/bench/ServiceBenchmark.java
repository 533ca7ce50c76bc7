package dev.peertube.sessions.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.peertube.sessions.bench.FixedRateLoad.Call;
import dev.peertube.sessions.fake.FakePeerTube;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;

/**
 * The service benchmark: starts the packaged service (prod profile) against Redis and the fake
 * PeerTube, loads it with wrk and a fixed-rate client, and prints one table of figures that are
 * compared within the same run: each operation against a trivial endpoint of the same process
 * (the framework's ceiling) and against {@code redis-benchmark} (the store's ceiling).
 *
 * <p>Run with {@code ./mvnw -Pbench verify}; never part of the default build. Properties
 * ({@code -Dbench.x=...}): {@code duration} (saturation runs, 10s), {@code latency-duration}
 * (fixed-rate runs, 10s), {@code warmup} (per operation, and before each fixed-rate run at its rate, 5s), {@code soak} (60s; the target is
 * stated for 5m), {@code threads} (wrk threads, 2), {@code connections} (wrk connections, 32),
 * {@code stampede} (concurrent callers, 100), {@code moderate-rate} (req/s of the login overhead
 * measurement, 100), {@code redis-db} (11), {@code jfr} (true records a
 * JFR profile of the service in {@code target/bench/service.jfr}), {@code enforce} (true also
 * fails the run when a speed target is missed).
 */
class ServiceBenchmark {

    private static final String PUBLIC_HOST = "peertube.example";
    private static final String USERNAME = "bench";
    private static final String PASSWORD = "bench-password-1";
    private static final String KEY_PREFIX = "pts-bench:";
    private static final String JSON = "application/json";
    private static final String FORM = "application/x-www-form-urlencoded";
    private static final Pattern SESSION_ID = Pattern.compile("\"sessionId\"\\s*:\\s*\"([^\"]+)\"");
    private static final int SATURATION_ROUNDS = 3;
    private static final Pattern ACCESS_TOKEN = Pattern.compile("\"accessToken\"\\s*:\\s*\"([^\"]+)\"");

    private final Duration saturation = duration("duration", "10s");
    private final Duration latencyRun = duration("latency-duration", "10s");
    private final Duration warmup = duration("warmup", "5s");
    private final Duration soak = duration("soak", "60s");
    private final int threads = Integer.getInteger("bench.threads", 2);
    private final int connections = Integer.getInteger("bench.connections", 32);
    private final int stampedeCallers = Integer.getInteger("bench.stampede", 100);
    private final int moderateRate = Integer.getInteger("bench.moderate-rate", 100);
    private final int redisDb = Integer.getInteger("bench.redis-db", 11);
    private final boolean jfr = Boolean.getBoolean("bench.jfr");
    private final boolean enforce = Boolean.getBoolean("bench.enforce");

    private final Path dir = Path.of("target", "bench").toAbsolutePath();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final List<Row> rows = new ArrayList<>();
    private long totalErrors;
    private FixedRateLoad.Result currentAtQuarter;
    private String saturationRounds;

    private FakePeerTube fake;
    private Process service;
    private String base;

    /** One line of the table; latencies in milliseconds. */
    record Row(String name, double throughput, double rate, double p50, double p99, double p999, long errors) {
    }

    @Test
    void benchmark() throws Exception {
        Wrk.requireInstalled();
        Files.createDirectories(dir);
        try (Stream<Path> old = Files.list(dir)) {
            old.filter(p -> p.getFileName().toString().startsWith("sessions-")).forEach(ServiceBenchmark::deleteQuietly);
        }
        String redisUrl = "redis://127.0.0.1:6379/" + redisDb;
        deleteBenchKeys(redisUrl);
        fake = new FakePeerTube(PUBLIC_HOST);
        fake.start();
        fake.tokenLifetimes(Duration.ofHours(6), Duration.ofHours(12));
        fake.addUser(USERNAME, PASSWORD);
        try {
            long startupMillis = startService(redisUrl);
            try (FixedRateLoad load = new FixedRateLoad()) {
                run(startupMillis, load);
            }
        } finally {
            stopService();
            fake.stop();
            deleteBenchKeys(redisUrl);
        }
    }

    private void run(long startupMillis, FixedRateLoad load) throws Exception {
        Wrk wrk = new Wrk(threads, connections, dir);
        String loginBody = "{\"username\":\"" + USERNAME + "\",\"password\":\"" + PASSWORD + "\"}";
        String tokenForm = "client_id=" + enc(fake.clientId()) + "&client_secret=" + enc(fake.clientSecret())
                + "&grant_type=password&username=" + USERNAME + "&password=" + enc(PASSWORD);
        String trivialUrl = base + "/q/health/live";
        String tokenUrl = fake.url() + "/api/v1/users/token";
        Call loginCall = new Call(HttpMethod.POST, base + "/session", null, JSON, loginBody);

        // One login first, so a misconfiguration fails here with its answer rather than as load errors
        HttpResponse<String> smoke = http.send(login(loginBody), HttpResponse.BodyHandlers.ofString());
        if (smoke.statusCode() != 201) {
            throw new IllegalStateException("login answered " + smoke.statusCode() + ": " + smoke.body());
        }

        // Warm-up: every path through the JIT before anything is measured
        Path warmSessions = dir.resolve("sessions-warmup");
        wrk.run("warmup-plain", trivialUrl, "plain", null, null, warmup);
        wrk.run("warmup-login", base, "login", warmSessions, loginBody, warmup);
        Path warmPool = pool(dir.resolve("sessions-warmup-pool"), sessionFiles(warmSessions), 1000);
        wrk.run("warmup-get", base, "get", warmPool, null, warmup);
        wrk.run("warmup-refresh", base, "refresh", warmPool, null, warmup);
        wrk.run("warmup-delete", base, "delete", pool(dir.resolve("sessions-warmup-all"), sessionFiles(warmSessions),
                Integer.MAX_VALUE), null, warmup);
        load.run(i -> Call.get(trivialUrl), 200, 500, warmup, false);
        long rssAfterWarmup = rssKb();

        // Saturation (wrk, closed loop), then latency at a fixed rate of half that saturation. The
        // trivial endpoint is measured at the rate of GET /session, the direct token call at the
        // rate of the logins: the same load, so the differences are the service's own cost.
        Wrk.Result directSaturation = wrk.run("token-direct", tokenUrl, "token", null, tokenForm, saturation);

        // Logins: the sessions they create feed the other operations
        int clientCallsBefore = fake.clientCalls();
        Path loginSessions = dir.resolve("sessions-login");
        Wrk.Result loginSaturation = wrk.run("login", base, "login", loginSessions, loginBody, saturation);
        double loginRate = half(loginSaturation);
        // the upstream budget is counted on the fixed-rate run, where every request's answer is seen
        warm(load, i -> loginCall, 201, loginRate);
        settle();
        int tokenCallsBefore = fake.tokenCalls();
        int passwordGrantsBefore = fake.passwordGrants();
        FixedRateLoad.Result loginLatency = load.run(i -> loginCall, 201, loginRate, latencyRun, true);
        int loginTokenCalls = fake.tokenCalls() - tokenCallsBefore;
        int loginPasswordGrants = fake.passwordGrants() - passwordGrantsBefore;
        long logins = loginLatency.sent() - loginLatency.failed();
        List<String> latencySessions = new ArrayList<>();
        loginLatency.bodies().forEach(body -> latencySessions.add(match(SESSION_ID, body)));
        int loginClientCalls = fake.clientCalls() - clientCallsBefore;
        long allLogins = loginSaturation.recorded() + logins;
        IntFunction<Call> directCall = i -> new Call(HttpMethod.POST, tokenUrl, null, FORM, tokenForm);
        warm(load, directCall, 200, loginRate);
        FixedRateLoad.Result directLatency = load.run(directCall, 200, loginRate, latencyRun, false);
        // the same pair at a moderate rate, where the figures are the path's own cost rather than queueing
        warm(load, i -> loginCall, 201, moderateRate);
        FixedRateLoad.Result loginModerate = load.run(i -> loginCall, 201, moderateRate, latencyRun, true);
        loginModerate.bodies().forEach(body -> latencySessions.add(match(SESSION_ID, body)));
        warm(load, directCall, 200, moderateRate);
        FixedRateLoad.Result directModerate = load.run(directCall, 200, moderateRate, latencyRun, false);
        totalErrors += loginModerate.failed() + directModerate.failed();

        // Current token served from Redis, then refreshes, on 1,000 of those sessions
        Path hotPool = pool(dir.resolve("sessions-hot"), sessionFiles(loginSessions), 1000);
        List<String> hot = Files.readAllLines(hotPool);
        int refreshGrantsBefore = fake.refreshGrants();
        // GET /session against the trivial endpoint: measured in alternation, the median of each
        // kept, so that the machine drifting during the run weighs on both alike
        List<Wrk.Result> trivialRounds = new ArrayList<>();
        List<Wrk.Result> currentRounds = new ArrayList<>();
        for (int round = 1; round <= SATURATION_ROUNDS; round++) {
            trivialRounds.add(wrk.run("trivial-" + round, trivialUrl, "plain", null, null, saturation));
            currentRounds.add(wrk.run("current-" + round, base, "get", hotPool, null, saturation));
        }
        Wrk.Result trivialSaturation = median(trivialRounds);
        Wrk.Result currentSaturation = median(currentRounds);
        saturationRounds = String.format(Locale.ROOT, "trivial %s, `GET /session` %s req/s", throughputs(trivialRounds),
                throughputs(currentRounds));
        double currentRate = half(currentSaturation);
        IntFunction<Call> currentCall = i -> call(HttpMethod.GET, "/session", hot.get(i % hot.size()));
        warm(load, currentCall, 200, currentRate);
        FixedRateLoad.Result currentLatency = load.run(currentCall, 200, currentRate, latencyRun, false);
        // the same at a quarter of the saturated rate: how the tail behaves when the cores are not nearly full
        warm(load, currentCall, 200, currentRate / 2);
        currentAtQuarter = load.run(currentCall, 200, currentRate / 2, latencyRun, false);
        totalErrors += currentAtQuarter.failed();
        int getRefreshes = fake.refreshGrants() - refreshGrantsBefore;
        warm(load, i -> Call.get(trivialUrl), 200, currentRate);
        FixedRateLoad.Result trivialLatency = load.run(i -> Call.get(trivialUrl), 200, currentRate, latencyRun, false);

        Wrk.Result refreshSaturation = wrk.run("refresh", base, "refresh", hotPool, null, saturation);
        IntFunction<Call> refreshCall = i -> call(HttpMethod.POST, "/session/refresh", hot.get(i % hot.size()));
        warm(load, refreshCall, 200, half(refreshSaturation));
        settle();
        int tokenCallsBeforeRefresh = fake.tokenCalls();
        int refreshGrantsBeforeLatency = fake.refreshGrants();
        FixedRateLoad.Result refreshLatency = load.run(refreshCall, 200, half(refreshSaturation), latencyRun, false);
        long refreshes = refreshLatency.sent() - refreshLatency.failed();
        int refreshGrants = fake.refreshGrants() - refreshGrantsBeforeLatency;
        int refreshTokenCalls = fake.tokenCalls() - tokenCallsBeforeRefresh;

        // Logouts consume sessions: each is logged out once
        Path logoutPool = pool(dir.resolve("sessions-logout"), sessionFiles(loginSessions), Integer.MAX_VALUE);
        Wrk.Result logoutSaturation = wrk.run("logout", base, "delete", logoutPool, null, saturation);
        double logoutRate = half(logoutSaturation);
        // the warm-up logs out sessions of its own, the first ones of the list
        int warmLogouts = (int) Math.ceil(logoutRate * warmup.toSeconds()) + 1;
        topUp(latencySessions, warmLogouts + (int) Math.ceil(logoutRate * latencyRun.toSeconds()) + 1, loginBody);
        warm(load, i -> i < warmLogouts ? call(HttpMethod.DELETE, "/session", latencySessions.get(i)) : null, 204, logoutRate);
        List<String> logoutSessions = latencySessions.subList(warmLogouts, latencySessions.size());
        FixedRateLoad.Result logoutLatency = load.run(
                i -> i < logoutSessions.size() ? call(HttpMethod.DELETE, "/session", logoutSessions.get(i)) : null, 204,
                logoutRate, latencyRun, false);

        Row trivial = row("trivial `GET /q/health/live` (framework ceiling)", trivialSaturation, trivialLatency);
        Row direct = row("fake PeerTube `POST /api/v1/users/token`, direct", directSaturation, directLatency);
        Row login = row("`POST /session` (login)", loginSaturation, loginLatency);
        Row current = row("`GET /session` (current token)", currentSaturation, currentLatency);
        Row refresh = row("`POST /session/refresh`", refreshSaturation, refreshLatency);
        Row logout = row("`DELETE /session` (logout)", logoutSaturation, logoutLatency);

        // The store's ceiling on this machine
        RedisCeiling redis = redisBenchmark();
        rows.add(new Row("`redis-benchmark -t get -n 100000 -q`", redis.throughput(), Double.NaN, redis.p50(), Double.NaN,
                Double.NaN, 0));

        Stampede stampede = stampede(loginBody);

        // Soak: a mix of all operations; RSS sampled before and after
        long rssBeforeSoak = rssKb();
        Wrk.Result soakRun = wrk.run("soak", base, "soak", null, loginBody, soak, Math.max(1, connections / 2));
        totalErrors += soakRun.errors();
        System.out.printf(Locale.ROOT, "soak: %d requests, statuses %s%n", soakRun.requests(), soakRun.statuses());
        long rssAfterSoak = rssKb();

        String report = report(startupMillis, rssAfterWarmup, loginModerate, directModerate, trivial, direct, login, current,
                refresh, logout, redis,
                stampede, logins, allLogins, loginTokenCalls, loginPasswordGrants, loginClientCalls, refreshes, refreshGrants,
                refreshTokenCalls, getRefreshes, soakRun, rssBeforeSoak, rssAfterSoak);
        Files.writeString(dir.resolve("results.md"), report);
        System.out.println(report);

        assertEquals(0, totalErrors, "errors under load");
        assertEquals(1, stampede.refreshCalls(), "upstream refresh calls of the stampede");
        assertEquals(1, stampede.distinctTokens(), "access tokens served by the stampede");
        assertEquals(stampedeCallers, stampede.ok(), "stampede callers answered 200");
        assertEquals(0, getRefreshes, "refreshes while serving current tokens");
        assertEquals(logins, loginPasswordGrants, "password grants per login");
        assertEquals(loginPasswordGrants, loginTokenCalls, "token calls during logins");
        assertEquals(refreshes, refreshGrants, "refresh grants per refresh");
        assertEquals(refreshGrants, refreshTokenCalls, "token calls during refreshes");
        if (enforce) {
            assertTrue(targets.stream().allMatch(Target::met), "speed targets: " + targets);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Measurements

    /** Waits until the requests wrk left in flight when it stopped have reached the fake. */
    private void settle() throws InterruptedException {
        int seen = -1;
        int now = fake.tokenCalls() + fake.revokeCalls() + fake.clientCalls();
        while (now != seen) {
            seen = now;
            Thread.sleep(500);
            now = fake.tokenCalls() + fake.revokeCalls() + fake.clientCalls();
        }
    }

    /**
     * The same load at the same rate for the warm-up time, not measured: the JIT has compiled the
     * paths of this rate and this client before the figures are taken. Its errors count.
     */
    private void warm(FixedRateLoad load, IntFunction<Call> calls, int expected, double rate) {
        totalErrors += load.run(calls, expected, rate, warmup, false).failed();
    }

    /** The round of median throughput; the errors of the other rounds count as well. */
    private Wrk.Result median(List<Wrk.Result> rounds) {
        List<Wrk.Result> sorted = rounds.stream().sorted(Comparator.comparingDouble(Wrk.Result::throughput)).toList();
        Wrk.Result median = sorted.get(sorted.size() / 2);
        rounds.stream().filter(round -> round != median).forEach(round -> totalErrors += round.errors());
        return median;
    }

    private static String throughputs(List<Wrk.Result> rounds) {
        return rounds.stream().map(round -> String.format(Locale.ROOT, "%.0f", round.throughput()))
                .collect(Collectors.joining(" / "));
    }

    private static double half(Wrk.Result saturated) {
        return Math.max(1, Math.floor(saturated.throughput() / 2));
    }

    private Row row(String name, Wrk.Result saturated, FixedRateLoad.Result latency) {
        long errors = saturated.errors() + latency.failed();
        totalErrors += errors;
        Row row = new Row(name, saturated.throughput(), latency.rate(), latency.p50(), latency.p99(), latency.p999(), errors);
        rows.add(row);
        System.out.printf(Locale.ROOT, "%s: %.0f req/s saturated (statuses %s); at %.0f req/s p50 %.2f ms, p99 %.2f ms, "
                + "p99.9 %.2f ms (statuses %s)%n", name, row.throughput(), saturated.statuses(), row.rate(), row.p50(),
                row.p99(), row.p999(), latency.statuses());
        return row;
    }

    record RedisCeiling(double throughput, double p50) {
    }

    private RedisCeiling redisBenchmark() throws Exception {
        Process p = new ProcessBuilder("redis-benchmark", "-h", "127.0.0.1", "-p", "6379", "-t", "get", "-n", "100000", "-q")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(120, TimeUnit.SECONDS);
        Matcher m = Pattern.compile("GET: ([0-9.]+) requests per second(?:, p50=([0-9.]+) msec)?").matcher(out);
        RedisCeiling found = null;
        while (m.find()) {
            found = new RedisCeiling(Double.parseDouble(m.group(1)), m.group(2) == null ? Double.NaN : Double.parseDouble(m.group(2)));
        }
        if (found == null) {
            throw new IllegalStateException("redis-benchmark gave no GET figure:\n" + out);
        }
        return found;
    }

    record Stampede(int callers, int ok, int refreshCalls, int distinctTokens, double seconds) {
    }

    /**
     * Many callers at once on a session whose access token expires within the refresh skew; the
     * refresh at the fake is slowed down so that all of them arrive while it is in flight.
     */
    private Stampede stampede(String loginBody) throws Exception {
        fake.tokenLifetimes(Duration.ofSeconds(30), Duration.ofHours(1));
        HttpResponse<String> created = http.send(login(loginBody), HttpResponse.BodyHandlers.ofString());
        fake.tokenLifetimes(Duration.ofHours(6), Duration.ofHours(12));
        String id = match(SESSION_ID, created.body());
        // open the connections first, so the callers really arrive together
        ExecutorService pool = Executors.newFixedThreadPool(stampedeCallers);
        try {
            CyclicBarrier warm = new CyclicBarrier(stampedeCallers);
            List<Future<?>> warming = new ArrayList<>();
            for (int i = 0; i < stampedeCallers; i++) {
                warming.add(pool.submit(() -> {
                    warm.await(10, TimeUnit.SECONDS);
                    return http.send(get(base + "/q/health/live"), HttpResponse.BodyHandlers.discarding());
                }));
            }
            for (Future<?> f : warming) {
                f.get(30, TimeUnit.SECONDS);
            }
            fake.slowdown(Duration.ofMillis(200));
            int before = fake.refreshGrants();
            CyclicBarrier go = new CyclicBarrier(stampedeCallers);
            List<Future<HttpResponse<String>>> calls = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < stampedeCallers; i++) {
                calls.add(pool.submit(() -> {
                    go.await(10, TimeUnit.SECONDS);
                    return http.send(bearer("GET", "/session", id), HttpResponse.BodyHandlers.ofString());
                }));
            }
            int ok = 0;
            Set<String> tokens = new HashSet<>();
            for (Future<HttpResponse<String>> call : calls) {
                HttpResponse<String> r = call.get(30, TimeUnit.SECONDS);
                if (r.statusCode() == 200) {
                    ok++;
                    tokens.add(match(ACCESS_TOKEN, r.body()));
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Stampede result = new Stampede(stampedeCallers, ok, fake.refreshGrants() - before, tokens.size(), seconds);
            fake.slowdown(Duration.ZERO);
            http.send(bearer("DELETE", "/session", id), HttpResponse.BodyHandlers.discarding());
            return result;
        } finally {
            fake.slowdown(Duration.ZERO);
            pool.shutdownNow();
        }
    }

    /** Logs in until {@code sessions} holds at least {@code needed} ids. */
    private void topUp(List<String> sessions, int needed, String loginBody) {
        while (sessions.size() < needed) {
            List<CompletableFuture<HttpResponse<String>>> batch = new ArrayList<>();
            for (int i = 0; i < Math.min(16, needed - sessions.size()); i++) {
                batch.add(http.sendAsync(login(loginBody), HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> f : batch) {
                HttpResponse<String> r = f.join();
                if (r.statusCode() != 201) {
                    throw new IllegalStateException("login while preparing sessions answered " + r.statusCode());
                }
                sessions.add(match(SESSION_ID, r.body()));
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The service process

    private long startService(String redisUrl) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        base = "http://127.0.0.1:" + port;
        Path jar = Path.of("target", "quarkus-app", "quarkus-run.jar").toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException("No packaged service at " + jar + ": run ./mvnw -Pbench verify");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java));
        if (jfr) {
            command.add("-XX:StartFlightRecording=filename=" + dir.resolve("service.jfr") + ",settings=profile,dumponexit=true");
        }
        command.add("-Xlog:gc:file=" + dir.resolve("service-gc.log"));
        command.addAll(List.of("-jar", jar.toString()));
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("service.log").toFile());
        Map<String, String> env = builder.environment();
        env.put("SESSION_ENCRYPTION_KEYS", Base64.getEncoder().encodeToString(key));
        env.put("QUARKUS_REDIS_HOSTS", redisUrl);
        env.put("SESSION_KEY_PREFIX", KEY_PREFIX);
        // the load comes from one address and few users: keep the login limiter's Redis work in the
        // measurement, but with limits a flood of successful logins cannot reach
        env.put("SESSION_LOGIN_LIMIT_PER_USERNAME", "100000000");
        env.put("SESSION_LOGIN_LIMIT_PER_ADDRESS", "100000000");
        env.put("PEERTUBE_URL", fake.url());
        env.put("PEERTUBE_HOST", PUBLIC_HOST);
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        long start = System.nanoTime();
        service = builder.start();
        HttpRequest first = HttpRequest.newBuilder(URI.create(base + "/session")).timeout(Duration.ofSeconds(2)).build();
        while (true) {
            if (!service.isAlive()) {
                throw new IllegalStateException("The service exited at startup; see " + dir.resolve("service.log"));
            }
            try {
                http.send(first, HttpResponse.BodyHandlers.discarding());
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            } catch (IOException notYet) {
                if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(60)) {
                    throw new IllegalStateException("The service did not answer within 60 s");
                }
                Thread.sleep(5);
            }
        }
    }

    private void stopService() throws InterruptedException {
        if (service != null) {
            service.destroy();
            if (!service.waitFor(30, TimeUnit.SECONDS)) {
                service.destroyForcibly();
            }
        }
    }

    private long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(service.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    // ---------------------------------------------------------------------------------------------
    // Requests and session pools

    private HttpRequest get(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build();
    }

    private HttpRequest login(String body) {
        return HttpRequest.newBuilder(URI.create(base + "/session")).timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private Call call(HttpMethod method, String path, String sessionId) {
        return new Call(method, base + path, "Bearer " + sessionId, null, null);
    }

    private HttpRequest bearer(String method, String path, String sessionId) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(5))
                .header("Authorization", "Bearer " + sessionId).method(method, HttpRequest.BodyPublishers.noBody()).build();
    }

    /** The files wrk's login mode wrote (one per thread). */
    private List<Path> sessionFiles(Path prefix) throws IOException {
        try (Stream<Path> files = Files.list(prefix.getParent())) {
            return files.filter(p -> p.getFileName().toString().startsWith(prefix.getFileName() + "-")).sorted().toList();
        }
    }

    /** Writes up to {@code max} session ids of those files into one pool file. */
    private static Path pool(Path target, List<Path> files, int max) throws IOException {
        List<String> ids = new ArrayList<>();
        for (Path file : files) {
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank() && ids.size() < max) {
                    ids.add(line);
                }
            }
        }
        if (ids.isEmpty()) {
            throw new IllegalStateException("no sessions were created for " + target.getFileName());
        }
        Files.write(target, ids);
        return target;
    }

    private static void deleteBenchKeys(String redisUrl) {
        Vertx vertx = Vertx.vertx();
        Redis client = Redis.createClient(vertx, redisUrl);
        try {
            RedisAPI api = RedisAPI.api(client);
            String cursor = "0";
            do {
                var page = api.scan(List.of(cursor, "MATCH", KEY_PREFIX + "*", "COUNT", "1000"))
                        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                cursor = page.get(0).toString();
                List<String> keys = new ArrayList<>();
                page.get(1).forEach(k -> keys.add(k.toString()));
                if (!keys.isEmpty()) {
                    api.del(keys).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                }
            } while (!cursor.equals("0"));
        } catch (Exception e) {
            throw new IllegalStateException("could not clean the benchmark's Redis keys", e);
        } finally {
            client.close();
            vertx.close();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Report

    record Target(String name, String value, boolean met) {
    }

    private final List<Target> targets = new ArrayList<>();

    private String report(long startupMillis, long rssAfterWarmup, FixedRateLoad.Result loginModerate,
            FixedRateLoad.Result directModerate, Row trivial, Row direct, Row login, Row current,
            Row refresh, Row logout, RedisCeiling redis, Stampede stampede, long logins, long allLogins, int loginTokenCalls,
            int loginPasswordGrants, int loginClientCalls, long refreshes, int refreshGrants, int refreshTokenCalls,
            int getRefreshes, Wrk.Result soakRun, long rssBeforeSoak, long rssAfterSoak) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%n## Service benchmark (%d cores, %s %s; wrk -t%d -c%d, %ds per saturation run, "
                + "%ds per fixed-rate run)%n%n", Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                System.getProperty("java.version"), threads, connections, saturation.toSeconds(), latencyRun.toSeconds()));
        s.append("| Operation | Saturated (req/s) | vs trivial | vs Redis GET | Fixed rate (req/s) | p50 (ms) | p99 (ms) | p99.9 (ms) | Errors |\n");
        s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            s.append(String.format(Locale.ROOT, "| %s | %.0f | %s | %s | %s | %s | %s | %s | %d |%n", r.name(), r.throughput(),
                    percent(r.throughput() / trivial.throughput()), percent(r.throughput() / redis.throughput()),
                    Double.isNaN(r.rate()) ? "–" : String.format(Locale.ROOT, "%.0f", r.rate()),
                    ms(r.p50()), ms(r.p99()), ms(r.p999()), r.errors()));
        }
        double growth = (rssAfterSoak - rssBeforeSoak) * 100.0 / rssBeforeSoak;
        s.append(String.format(Locale.ROOT, "%n- Saturation rounds, in alternation (median in the table): %s%n", saturationRounds));
        s.append(String.format(Locale.ROOT, "- Startup to the first served request (`GET /session`, JVM mode): %d ms%n", startupMillis));
        s.append(String.format(Locale.ROOT, "- RSS after warm-up: %.1f MB%n", rssAfterWarmup / 1024.0));
        s.append(String.format(Locale.ROOT, "- Soak (%ds, mixed logins / current tokens / refreshes / logouts, wrk -c%d): "
                + "%d requests, %.0f req/s, %d errors; RSS %.1f MB → %.1f MB (%+.1f %%)%n", soak.toSeconds(),
                Math.max(1, connections / 2), soakRun.requests(), soakRun.throughput(), soakRun.errors(),
                rssBeforeSoak / 1024.0, rssAfterSoak / 1024.0, growth));
        s.append(String.format(Locale.ROOT, "- Refresh stampede: %d concurrent `GET /session` on a session whose access token "
                + "expires within the skew (upstream refresh slowed to 200 ms): %d upstream refresh call(s), %d × 200, "
                + "%d distinct access token(s), %.2f s%n", stampede.callers(), stampede.refreshCalls(), stampede.ok(),
                stampede.distinctTokens(), stampede.seconds()));
        s.append(String.format(Locale.ROOT, "- Upstream budget (fixed-rate runs, every answer counted): %d logins → %d token "
                + "calls (%.3f per login, %d password grants); %d refreshes → %d token calls (%.3f per refresh, %d refresh "
                + "grants); %d client fetches in all %d logins of the run (%.2f per 1,000); %d refreshes while serving "
                + "current tokens%n", logins, loginTokenCalls, (double) loginTokenCalls / logins, loginPasswordGrants,
                refreshes, refreshTokenCalls, (double) refreshTokenCalls / refreshes, refreshGrants, loginClientCalls,
                allLogins, loginClientCalls * 1000.0 / allLogins, getRefreshes));

        double overhead = loginModerate.p50() - directModerate.p50();
        s.append(String.format(Locale.ROOT, "- Login vs a direct token call at a moderate %d req/s: p50 %.2f ms vs %.2f ms, "
                + "p99 %.2f ms vs %.2f ms (at half the login saturation, above: p50 %.2f ms vs %.2f ms)%n", moderateRate,
                loginModerate.p50(), directModerate.p50(), loginModerate.p99(), directModerate.p99(), login.p50(), direct.p50()));
        s.append(String.format(Locale.ROOT, "- `GET /session` at a quarter of its saturated rate (%.0f req/s): p50 %.2f ms, "
                + "p99 %.2f ms, p99.9 %.2f ms, %d errors%n", currentAtQuarter.rate(), currentAtQuarter.p50(), currentAtQuarter.p99(),
                currentAtQuarter.p999(), currentAtQuarter.failed()));
        targets.add(new Target("`GET /session` throughput ≥ 60 % of the trivial endpoint's",
                percent(current.throughput() / trivial.throughput()), current.throughput() >= 0.6 * trivial.throughput()));
        targets.add(new Target("`GET /session` p99 ≤ 5 ms at half its saturation rate", ms(current.p99()) + " ms",
                current.p99() <= 5));
        targets.add(new Target("login overhead over a direct token call ≤ 1 ms at p50 (" + moderateRate + " req/s; at half "
                + "saturation " + String.format(Locale.ROOT, "%.2f ms", login.p50() - direct.p50()) + ")",
                String.format(Locale.ROOT, "%.2f ms", overhead), overhead <= 1));
        targets.add(new Target("zero errors under load", Long.toString(totalErrors), totalErrors == 0));
        targets.add(new Target("RSS growth < 10 % over the soak (" + soak.toSeconds() + " s run; target stated for 300 s)",
                String.format(Locale.ROOT, "%+.1f %%", growth), growth < 10));
        targets.add(new Target("stampede: exactly 1 upstream refresh", Integer.toString(stampede.refreshCalls()),
                stampede.refreshCalls() == 1));
        targets.add(new Target("1 token call per login and per refresh, ~0 client fetches per 1,000 logins",
                String.format(Locale.ROOT, "%.3f / %.3f / %.2f", (double) loginTokenCalls / logins,
                        (double) refreshTokenCalls / refreshes, loginClientCalls * 1000.0 / allLogins),
                loginTokenCalls == logins && refreshTokenCalls == refreshes && loginClientCalls <= 1));
        s.append("\n| Target | This run | Met |\n|---|---:|:---:|\n");
        for (Target t : targets) {
            s.append("| ").append(t.name()).append(" | ").append(t.value()).append(" | ").append(t.met() ? "yes" : "**no**")
                    .append(" |\n");
        }
        return s.toString();
    }

    // ---------------------------------------------------------------------------------------------
    // Small helpers

    private static String percent(double ratio) {
        return Double.isNaN(ratio) ? "–" : String.format(Locale.ROOT, "%.0f %%", ratio * 100);
    }

    private static String ms(double value) {
        return Double.isNaN(value) ? "–" : String.format(Locale.ROOT, "%.2f", value);
    }

    private static String match(Pattern pattern, String body) {
        Matcher m = pattern.matcher(body == null ? "" : body);
        if (!m.find()) {
            throw new IllegalStateException("unexpected answer: no " + pattern.pattern().substring(2, 12) + " field in "
                    + (body == null ? "a null body" : "'" + body.substring(0, Math.min(body.length(), 200)) + "'"));
        }
        return m.group(1);
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String slug(String name) {
        return name.replaceAll("[^A-Za-z0-9]+", "-").replaceAll("^-|-$", "").toLowerCase(Locale.ROOT);
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // left over from an earlier run; overwritten anyway
        }
    }

    /** {@code -Dbench.<name>=90s}, {@code 5m}, {@code 500ms} or plain seconds. */
    private static Duration duration(String name, String fallback) {
        String value = System.getProperty("bench." + name, fallback).trim().toLowerCase(Locale.ROOT);
        Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)?").matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException("bench." + name + ": not a duration: " + value);
        }
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2) == null ? "s" : m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofSeconds(amount);
        };
    }
}
