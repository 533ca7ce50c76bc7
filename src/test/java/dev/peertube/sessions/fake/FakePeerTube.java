package dev.peertube.sessions.fake;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * A stateful fake of the three PeerTube session endpoints ({@code GET /api/v1/oauth-clients/local},
 * {@code POST /api/v1/users/token}, {@code POST /api/v1/users/revoke-token}) plus
 * {@code GET /api/v1/users/me}, answering exactly like {@code /work/shared/peertube-contract.md} and
 * {@code peertube-observed.md} describe (status codes, problem+json bodies, headers, order of checks).
 *
 * <p>It runs its own Vert.x instance on {@code 127.0.0.1} and a random port. Every method is
 * thread-safe; tests call {@link #reset()} in {@code @BeforeEach}. Nothing secret is ever logged.
 *
 * <p>Behaviour that is not PeerTube's default is switched on per test: {@link #legacyAccountErrors},
 * {@link #loginLockout}, {@link #loginRateLimit}, {@link #tokenLifetimes}, {@link #injectFault},
 * {@link #slowdown} and so on. {@link #reset()} switches all of them off again.
 */
public final class FakePeerTube {

    /** Where a fault applies. {@link #ANY} matches CLIENT, TOKEN and REVOKE (the calls of the service), not ME. */
    public enum Endpoint {
        CLIENT, TOKEN, REVOKE, ME, ANY;

        boolean matches(Endpoint actual) {
            return this == actual || (this == ANY && actual != ME);
        }
    }

    /**
     * A fault played by the fake (same values as the top-level {@link dev.peertube.sessions.fake.Fault}).
     * Faults do not take part in the rate limits, and (except {@link CloseAfterProcessing}) change no state.
     */
    public sealed interface Fault extends dev.peertube.sessions.fake.Fault {

        /** Answer normally, but only after {@code delay}; the request's effect also happens after the delay. */
        static Fault delay(Duration delay) {
            return new Delay(delay);
        }

        /** Answer {@code status} with {@code {"type":"about:blank","title":<reason>,"status":N}}. */
        static Fault status(int status) {
            return new Status(status);
        }

        /** Close the TCP connection without answering. */
        static Fault closeConnection() {
            return new CloseConnection();
        }

        /** Apply the request's effect (e.g. rotate the refresh token), then close without answering. */
        static Fault closeAfterProcessing() {
            return new CloseAfterProcessing();
        }

        /** Answer PeerTube's plain-text 429 with {@code Retry-After: retryAfterSeconds}. */
        static Fault rateLimited(int retryAfterSeconds) {
            return new RateLimited(retryAfterSeconds);
        }

        record Delay(Duration duration) implements Fault {
            public Delay {
                Objects.requireNonNull(duration, "duration");
                if (duration.isNegative()) {
                    throw new IllegalArgumentException("negative delay");
                }
            }
        }

        record Status(int status) implements Fault {
            public Status {
                if (status < 100 || status > 599) {
                    throw new IllegalArgumentException("not an HTTP status: " + status);
                }
            }
        }

        record CloseConnection() implements Fault {
        }

        record CloseAfterProcessing() implements Fault {
        }

        record RateLimited(int retryAfterSeconds) implements Fault {
            public RateLimited {
                if (retryAfterSeconds < 0) {
                    throw new IllegalArgumentException("negative Retry-After");
                }
            }
        }
    }

    /** A PeerTube account. Mutable; fields are volatile, so tests may change them while the fake runs. */
    public static final class User {
        private final int id;
        private final String username;
        private volatile String password;
        private volatile String email;
        private volatile String otpSecret;
        private volatile boolean blocked;
        private volatile Boolean emailVerified;
        private volatile boolean pluginAuth;

        private User(int id, String username, String password) {
            this.id = id;
            this.username = username;
            this.password = password;
            this.email = username + "@example.test";
        }

        public User email(String email) {
            this.email = Objects.requireNonNull(email, "email");
            return this;
        }

        /** Enables 2FA with this base32 secret ({@code null} disables it). */
        public User otpSecret(String base32Secret) {
            if (base32Secret != null) {
                Totp.decodeBase32(base32Secret);
            }
            this.otpSecret = base32Secret;
            return this;
        }

        /** Sets the flag only; {@link FakePeerTube#block(String)} also deletes the tokens, like PeerTube. */
        public User blocked(boolean blocked) {
            this.blocked = blocked;
            return this;
        }

        /** {@code null} (created while verification was off), {@code true} or {@code false}. */
        public User emailVerified(Boolean emailVerified) {
            this.emailVerified = emailVerified;
            return this;
        }

        /** An external-auth (plugin) account: a password login gives {@code invalid_grant}. */
        public User pluginAuth(boolean pluginAuth) {
            this.pluginAuth = pluginAuth;
            return this;
        }

        /** Changes the password without touching tokens (like a user's own {@code PUT /users/me}). */
        public User password(String password) {
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        public int id() {
            return id;
        }

        public String username() {
            return username;
        }

        public String email() {
            return email;
        }

        public String otpSecret() {
            return otpSecret;
        }

        public boolean isBlocked() {
            return blocked;
        }

        public Boolean emailVerified() {
            return emailVerified;
        }

        public boolean isPluginAuth() {
            return pluginAuth;
        }

        @Override
        public String toString() {
            return "User[" + username + "]";
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Constants

    private static final String PATH_CLIENT = "/api/v1/oauth-clients/local";
    private static final String PATH_TOKEN = "/api/v1/users/token";
    private static final String PATH_REVOKE = "/api/v1/users/revoke-token";
    private static final String PATH_ME = "/api/v1/users/me";

    private static final String ERRORS_URL = "https://docs.joinpeertube.org/api-rest-reference.html#section/Errors/";
    private static final String OPERATION_URL = "https://docs.joinpeertube.org/api-rest-reference.html#operation/";
    private static final String DOCS_TOKEN = OPERATION_URL + "getOAuthToken";
    private static final String DOCS_REVOKE = OPERATION_URL + "revokeOAuthToken";
    private static final String DOCS_CLIENT = OPERATION_URL + "getOAuthClient";

    private static final String JSON = "application/json; charset=utf-8";
    private static final String PROBLEM = "application/problem+json; charset=utf-8";
    private static final String HTML = "text/html; charset=utf-8";
    private static final String FORM = "application/x-www-form-urlencoded";
    private static final String TOO_MANY_REQUESTS = "Too many requests, please try again later.";
    private static final String OTP_HEADER = "x-peertube-otp";
    private static final String OTP_REQUIRED = "required; app";
    private static final String INVALID_CREDENTIALS = "Invalid grant: user credentials are invalid";
    private static final String TOKEN_IS_INVALID = "Token is invalid";

    /** The rules of PeerTube's bcrypt limit ({@code CONSTRAINTS_FIELDS.USERS.PASSWORD.maxBytes}). */
    public static final int MAX_PASSWORD_BYTES = 72;

    public static final Duration DEFAULT_ACCESS_LIFETIME = Duration.ofDays(1);
    public static final Duration DEFAULT_REFRESH_LIFETIME = Duration.ofDays(14);
    public static final Duration EXTERNAL_AUTH_TOKEN_LIFETIME = Duration.ofMinutes(5);
    public static final int DEFAULT_LOCKOUT_MAX = 10;
    public static final Duration DEFAULT_LOCKOUT_LIFETIME = Duration.ofMinutes(5);

    /** The library's token syntax (b64token) after {@code Bearer }. */
    private static final Pattern BEARER = Pattern.compile("^Bearer\\s(\\S+)");
    private static final Pattern B64TOKEN = Pattern.compile("^[0-9a-zA-Z\\-._~+/]+=*$");

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final String LOWER_DIGITS = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final String ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    // ---------------------------------------------------------------------------------------------
    // Server

    private final String initialPublicHost;
    private volatile String publicHost;
    private volatile boolean rejectAllClients;
    private final Object serverLock = new Object();
    private Vertx vertx;
    private HttpServer server;
    private volatile int port;

    // ---------------------------------------------------------------------------------------------
    // State, guarded by `lock`

    private final Object lock = new Object();
    private String clientId;
    private String clientSecret;
    private final Map<String, User> usersByName = new LinkedHashMap<>();
    private int nextUserId;
    private final List<Registration> registrations = new ArrayList<>();
    private final Map<String, TokenRow> byAccess = new HashMap<>();
    private final Map<String, TokenRow> byRefresh = new HashMap<>();
    private final Map<String, RotatedRefresh> rotated = new HashMap<>();
    private final Set<String> issued = new HashSet<>();
    private final Map<String, Integer> revocations = new HashMap<>();
    private final Map<String, Integer> revokeAttempts = new HashMap<>();
    private final Map<String, ExternalAuthToken> externalTokens = new HashMap<>();
    private final Map<User, LoginFailures> loginFailures = new HashMap<>();
    private final Deque<FaultEntry> faults = new ArrayDeque<>();
    private Duration accessLifetime;
    private Duration refreshLifetime;
    private boolean legacyAccountErrors;
    private boolean lockoutEnabled;
    private int lockoutMax;
    private Duration lockoutLifetime;
    private boolean lockoutAnswersInvalidGrant;
    private boolean requireEmailVerification;
    private boolean caseInsensitiveEmails;
    private Duration concurrentRefreshWindow;
    private RateLimiter loginLimiter;
    private RateLimiter apiLimiter;
    private Duration slowdown;
    /** Bumped by reset(): delayed requests of an earlier test are dropped instead of touching the new state. */
    private long generation;

    // Counters and last headers (lock-free)
    private final AtomicInteger clientCalls = new AtomicInteger();
    private final AtomicInteger tokenCalls = new AtomicInteger();
    private final AtomicInteger passwordGrants = new AtomicInteger();
    private final AtomicInteger refreshGrants = new AtomicInteger();
    private final AtomicInteger revokeCalls = new AtomicInteger();
    private final AtomicInteger meCalls = new AtomicInteger();
    private final Map<String, MultiMap> lastHeaders = new ConcurrentHashMap<>();

    /**
     * @param publicHost the exact {@code Host} header {@code GET /api/v1/oauth-clients/local} accepts,
     *                   e.g. {@code peertube.example} or {@code localhost:9000}
     */
    public FakePeerTube(String publicHost) {
        this.initialPublicHost = Objects.requireNonNull(publicHost, "publicHost");
        this.publicHost = initialPublicHost;
        newClient();
        reset();
    }

    // ---------------------------------------------------------------------------------------------
    // Lifecycle

    /** Starts the fake (first time on a random free port of 127.0.0.1). Idempotent. */
    public void start() {
        synchronized (serverLock) {
            if (vertx == null) {
                vertx = Vertx.vertx(new VertxOptions()
                        .setEventLoopPoolSize(1)
                        .setWorkerPoolSize(1)
                        .setInternalBlockingPoolSize(1)
                        .setFileSystemOptions(new FileSystemOptions()
                                .setFileCachingEnabled(false)
                                .setClassPathResolvingEnabled(false)));
            }
            startListening();
        }
    }

    /** The port; 0 before the first {@link #start()}. */
    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:<port>}. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** Changes the Host that {@code oauth-clients/local} accepts (a misconfigured deployment). */
    public void publicHost(String host) {
        this.publicHost = Objects.requireNonNull(host, "host");
    }

    /** When true, every client id/secret pair is answered {@code invalid_client}, even the current one. */
    public void rejectAllClients(boolean reject) {
        this.rejectAllClients = reject;
    }

    public String publicHost() {
        return publicHost;
    }

    /** Closes the server and the Vert.x instance. */
    public void stop() {
        synchronized (serverLock) {
            stopListening();
            if (vertx != null) {
                await(vertx.close());
                vertx = null;
            }
        }
    }

    /** Closes the HTTP server (and its open connections); connections to the port are then refused. State is kept. */
    public void stopListening() {
        synchronized (serverLock) {
            if (server != null) {
                HttpServer s = server;
                server = null;
                await(s.close());
            }
        }
    }

    /** Listens again on the same port as before. */
    public void startListening() {
        synchronized (serverLock) {
            if (vertx == null) {
                throw new IllegalStateException("start() was not called");
            }
            if (server != null) {
                return;
            }
            HttpServer s = vertx.createHttpServer(new HttpServerOptions()
                    .setHost("127.0.0.1")
                    .setPort(port)
                    .setReuseAddress(true));
            s.requestHandler(this::onRequest);
            await(s.listen());
            server = s;
            port = s.actualPort();
        }
    }

    /**
     * Back to the initial state; the server keeps listening on the same port. The OAuth client is
     * kept, as a real instance keeps its one client for life ({@link #rotateClient()} changes it).
     */
    public void reset() {
        synchronized (lock) {
            generation++;
            publicHost = initialPublicHost;
            rejectAllClients = false;
            usersByName.clear();
            nextUserId = 1;
            registrations.clear();
            byAccess.clear();
            byRefresh.clear();
            rotated.clear();
            issued.clear();
            revocations.clear();
            revokeAttempts.clear();
            externalTokens.clear();
            loginFailures.clear();
            faults.clear();
            accessLifetime = DEFAULT_ACCESS_LIFETIME;
            refreshLifetime = DEFAULT_REFRESH_LIFETIME;
            legacyAccountErrors = false;
            lockoutEnabled = false;
            lockoutMax = DEFAULT_LOCKOUT_MAX;
            lockoutLifetime = DEFAULT_LOCKOUT_LIFETIME;
            lockoutAnswersInvalidGrant = false;
            requireEmailVerification = false;
            caseInsensitiveEmails = false;
            concurrentRefreshWindow = Duration.ZERO;
            loginLimiter = null;
            apiLimiter = null;
            slowdown = Duration.ZERO;
            clientCalls.set(0);
            tokenCalls.set(0);
            passwordGrants.set(0);
            refreshGrants.set(0);
            revokeCalls.set(0);
            meCalls.set(0);
            lastHeaders.clear();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Client

    public String clientId() {
        synchronized (lock) {
            return clientId;
        }
    }

    public String clientSecret() {
        synchronized (lock) {
            return clientSecret;
        }
    }

    /** New client id/secret. The old pair gets {@code invalid_client}; refresh tokens of the old client {@code invalid_grant}. */
    public void rotateClient() {
        synchronized (lock) {
            newClient();
        }
    }

    private void newClient() {
        clientId = random(LOWER_DIGITS, 32);
        clientSecret = random(ALNUM, 32);
    }

    // ---------------------------------------------------------------------------------------------
    // Users

    /** Adds a user (e-mail {@code <username>@example.test}); usernames are unique case-insensitively. */
    public User addUser(String username, String password) {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        synchronized (lock) {
            String key = username.toLowerCase(Locale.ROOT);
            if (usersByName.containsKey(key)) {
                throw new IllegalArgumentException("user exists: " + username);
            }
            User user = new User(nextUserId++, username, password);
            usersByName.put(key, user);
            return user;
        }
    }

    /** The user of that name (case-insensitive), or {@code null}. */
    public User user(String username) {
        synchronized (lock) {
            return usersByName.get(username.toLowerCase(Locale.ROOT));
        }
    }

    /** A registration request without a user: login gives {@code account_waiting_for_approval} or {@code account_approval_rejected}. */
    public void addRegistration(String username, String email, boolean rejected) {
        synchronized (lock) {
            registrations.add(new Registration(username, email, rejected));
        }
    }

    /** PeerTube's {@code signup.requires_email_verification}: users with {@code emailVerified == false} cannot log in. */
    public void requireEmailVerification(boolean required) {
        synchronized (lock) {
            requireEmailVerification = required;
        }
    }

    /** Blocks the user and deletes all its tokens, like {@code POST /api/v1/users/{id}/block}. */
    public void block(String username) {
        synchronized (lock) {
            User user = existingUser(username);
            user.blocked(true);
            deleteTokensOf(user);
        }
    }

    /** Deletes all tokens of the user (what an admin password/role change does). */
    public void deleteUserTokens(String username) {
        synchronized (lock) {
            deleteTokensOf(existingUser(username));
        }
    }

    /** Admin password change: new password and all tokens deleted. */
    public void changePassword(String username, String newPassword) {
        synchronized (lock) {
            User user = existingUser(username);
            user.password(newPassword);
            deleteTokensOf(user);
        }
    }

    /** Deletes the user; its tokens go with it. */
    public void deleteUser(String username) {
        synchronized (lock) {
            User user = existingUser(username);
            deleteTokensOf(user);
            usersByName.remove(username.toLowerCase(Locale.ROOT));
            loginFailures.remove(user);
        }
    }

    /** A 32-character external-auth token for {@code username}, valid 5 minutes and single-use. */
    public String issueExternalAuthToken(String username) {
        return issueExternalAuthToken(username, EXTERNAL_AUTH_TOKEN_LIFETIME);
    }

    /** Same as {@link #issueExternalAuthToken(String)} with another lifetime (PeerTube uses 5 s on test instances). */
    public String issueExternalAuthToken(String username, Duration lifetime) {
        Objects.requireNonNull(username, "username");
        synchronized (lock) {
            String token = random(LOWER_DIGITS, 32);
            externalTokens.put(token, new ExternalAuthToken(username, Instant.now().plus(lifetime)));
            return token;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Modes

    /** PeerTube ≤ 8.0: blocked / unverified users get {@code access_denied} instead of {@code account_blocked} / {@code email_not_verified}. */
    public void legacyAccountErrors(boolean legacy) {
        synchronized (lock) {
            legacyAccountErrors = legacy;
        }
    }

    /** Develop's per-account lockout: 10 failed passwords/OTPs within 5 min, then 429 {@code too_many_login_failures}. */
    public void loginLockout(boolean enabled) {
        synchronized (lock) {
            lockoutEnabled = enabled;
            loginFailures.clear();
        }
    }

    /** Lockout with another threshold and lifetime (each failure pushes the expiry out by {@code lifetime}). */
    public void loginLockout(int maxFailures, Duration lifetime) {
        synchronized (lock) {
            lockoutEnabled = true;
            lockoutMax = maxFailures;
            lockoutLifetime = lifetime;
            loginFailures.clear();
        }
    }

    /** Later develop commit ({@code c27c7c5f}): a locked account gets the plain {@code invalid_grant} instead of 429. */
    public void loginLockoutAnswersInvalidGrant(boolean invalidGrant) {
        synchronized (lock) {
            lockoutAnswersInvalidGrant = invalidGrant;
        }
    }

    /** Develop: an e-mail given in {@code username} matches case-insensitively when only one user has it in any case. */
    public void caseInsensitiveEmails(boolean enabled) {
        synchronized (lock) {
            caseInsensitiveEmails = enabled;
        }
    }

    /** Lifetimes of tokens issued from now on (tokens keep the lifetimes they were issued with). */
    public void tokenLifetimes(Duration access, Duration refresh) {
        synchronized (lock) {
            accessLifetime = Objects.requireNonNull(access, "access");
            refreshLifetime = Objects.requireNonNull(refresh, "refresh");
        }
    }

    /** {@code rates_limit.login}: at most {@code max} POSTs to users/token per client address per fixed window. */
    public void loginRateLimit(int max, Duration window) {
        synchronized (lock) {
            loginLimiter = new RateLimiter(max, window);
        }
    }

    /** {@code rates_limit.api}: at most {@code max} requests to users/token, users/revoke-token and users/me per window. */
    public void apiRateLimit(int max, Duration window) {
        synchronized (lock) {
            apiLimiter = new RateLimiter(max, window);
        }
    }

    /**
     * Mimics PeerTube's non-atomic rotation: for {@code window} after a refresh token was rotated, reusing it
     * still succeeds and mints another independent pair (0, the default, turns this off).
     */
    public void concurrentRefreshWindow(Duration window) {
        synchronized (lock) {
            concurrentRefreshWindow = Objects.requireNonNull(window, "window");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Faults

    /** Queues {@code fault} for the next {@code times} requests to {@code endpoint}; faults are consumed in order. */
    public void injectFault(Endpoint endpoint, dev.peertube.sessions.fake.Fault fault, int times) {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(fault, "fault");
        if (times <= 0) {
            throw new IllegalArgumentException("times must be positive");
        }
        synchronized (lock) {
            faults.addLast(new FaultEntry(endpoint, (Fault) fault, times));
        }
    }

    public void clearFaults() {
        synchronized (lock) {
            faults.clear();
        }
    }

    /** Faults still queued (sum of the remaining times). */
    public int pendingFaults() {
        synchronized (lock) {
            return faults.stream().mapToInt(f -> f.remaining).sum();
        }
    }

    /** Delays every request by {@code delay} until reset ({@link Duration#ZERO} = none). */
    public void slowdown(Duration delay) {
        synchronized (lock) {
            slowdown = Objects.requireNonNull(delay, "delay");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Assertions

    public boolean isAccessTokenValid(String accessToken) {
        synchronized (lock) {
            TokenRow row = byAccess.get(accessToken);
            return row != null && Instant.now().isBefore(row.accessExpiresAt);
        }
    }

    public boolean isRefreshTokenValid(String refreshToken) {
        synchronized (lock) {
            TokenRow row = byRefresh.get(refreshToken);
            return row != null && Instant.now().isBefore(row.refreshExpiresAt);
        }
    }

    /** Sessions (token pairs) of the user whose access or refresh token has not expired. */
    public int liveTokenCount(String username) {
        synchronized (lock) {
            Instant now = Instant.now();
            return (int) byAccess.values().stream()
                    .filter(row -> row.user.username.equalsIgnoreCase(username))
                    .filter(row -> now.isBefore(row.accessExpiresAt) || now.isBefore(row.refreshExpiresAt))
                    .count();
        }
    }

    /** Every access and refresh token issued since the last reset. */
    public Set<String> issuedTokens() {
        synchronized (lock) {
            return Set.copyOf(issued);
        }
    }

    /** Makes the access token expired now (its refresh token is untouched). */
    public void expireAccessToken(String accessToken) {
        synchronized (lock) {
            TokenRow row = byAccess.get(accessToken);
            if (row != null) {
                row.accessExpiresAt = Instant.now();
            }
        }
    }

    /** Makes the refresh token (and its access token) expired now. */
    public void expireRefreshToken(String refreshToken) {
        synchronized (lock) {
            TokenRow row = byRefresh.get(refreshToken);
            if (row != null) {
                row.accessExpiresAt = Instant.now();
                row.refreshExpiresAt = Instant.now();
            }
        }
    }

    /** PeerTube migration 1040: every stored access and refresh token expires now. */
    public void expireAllTokens() {
        synchronized (lock) {
            Instant now = Instant.now();
            for (TokenRow row : byAccess.values()) {
                row.accessExpiresAt = now;
                row.refreshExpiresAt = now;
            }
        }
    }

    /** GET oauth-clients/local requests received (whatever the answer). */
    public int clientCalls() {
        return clientCalls.get();
    }

    /** POST users/token requests received (any grant, any answer). */
    public int tokenCalls() {
        return tokenCalls.get();
    }

    /** POST users/token requests with {@code grant_type=password}. */
    public int passwordGrants() {
        return passwordGrants.get();
    }

    /** POST users/token requests with {@code grant_type=refresh_token}. */
    public int refreshGrants() {
        return refreshGrants.get();
    }

    /** POST users/revoke-token requests received. */
    public int revokeCalls() {
        return revokeCalls.get();
    }

    /** GET users/me requests received. */
    public int meCalls() {
        return meCalls.get();
    }

    /**
     * A header of the last request to an endpoint ({@code "client"}, {@code "token"}, {@code "revoke"},
     * {@code "me"}), or {@code null}.
     */
    public String lastHeader(String endpointKey, String headerName) {
        MultiMap headers = lastHeaders.get(endpointKey);
        return headers == null ? null : headers.get(headerName);
    }

    /** How many times this access token was successfully revoked through revoke-token (0 or 1). */
    public int revocations(String accessToken) {
        synchronized (lock) {
            return revocations.getOrDefault(accessToken, 0);
        }
    }

    /** Same as {@link #revocations(String)}. */
    public int revokedCount(String accessToken) {
        return revocations(accessToken);
    }

    public boolean wasRevoked(String accessToken) {
        return revocations(accessToken) > 0;
    }

    /** How many revoke-token requests presented this access token, whatever the answer. */
    public int revokeAttempts(String accessToken) {
        synchronized (lock) {
            return revokeAttempts.getOrDefault(accessToken, 0);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Request handling

    private void onRequest(HttpServerRequest req) {
        req.body().onComplete(ar -> {
            if (ar.succeeded()) {
                try {
                    arrived(req, ar.result());
                } catch (RuntimeException e) {
                    write(req, new Reply(500, PROBLEM,
                            new JsonObject().put("type", "about:blank").put("title", "Internal Server Error")
                                    .put("status", 500).encode()));
                }
            }
        });
    }

    private void arrived(HttpServerRequest req, Buffer body) {
        Endpoint endpoint = endpointOf(req);
        Map<String, String> fields = parseBody(req, body);
        if (endpoint != null) {
            count(req, endpoint, fields);
        }
        Fault fault;
        long delayMillis;
        long requestGeneration;
        synchronized (lock) {
            fault = endpoint == null ? null : takeFault(endpoint);
            delayMillis = slowdown.toMillis() + (fault instanceof Fault.Delay d ? d.duration().toMillis() : 0);
            requestGeneration = generation;
        }
        Runnable answer = () -> answer(req, endpoint, fields, body, fault, requestGeneration);
        if (delayMillis > 0) {
            Vertx.currentContext().owner().setTimer(delayMillis, id -> answer.run());
        } else {
            answer.run();
        }
    }

    private void answer(HttpServerRequest req, Endpoint endpoint, Map<String, String> fields, Buffer body,
            Fault fault, long requestGeneration) {
        synchronized (lock) {
            if (requestGeneration != generation) {
                // the fake was reset while this request waited: it belongs to an earlier test
                close(req);
                return;
            }
        }
        if (fault instanceof Fault.CloseConnection) {
            close(req);
        } else if (fault instanceof Fault.Status s) {
            write(req, new Reply(s.status(), PROBLEM, new JsonObject()
                    .put("type", "about:blank")
                    .put("title", HttpResponseStatus.valueOf(s.status()).reasonPhrase())
                    .put("status", s.status()).encode()));
        } else if (fault instanceof Fault.RateLimited r) {
            int limit;
            synchronized (lock) {
                limit = loginLimiter == null ? 15 : loginLimiter.max;
            }
            Reply reply = new Reply(429, HTML, TOO_MANY_REQUESTS)
                    .header("X-RateLimit-Limit", String.valueOf(limit))
                    .header("X-RateLimit-Remaining", "0")
                    .header("X-RateLimit-Reset", String.valueOf(Instant.now().getEpochSecond() + r.retryAfterSeconds()))
                    .header("Retry-After", String.valueOf(r.retryAfterSeconds()));
            write(req, reply);
        } else {
            Reply reply = process(req, endpoint, fields, body);
            if (fault instanceof Fault.CloseAfterProcessing) {
                close(req);
            } else {
                write(req, reply);
            }
        }
    }

    private Reply process(HttpServerRequest req, Endpoint endpoint, Map<String, String> fields, Buffer body) {
        if (endpoint == null) {
            // unknown route: Express answers 400 with an empty JSON body
            return new Reply(400, JSON, "");
        }
        synchronized (lock) {
            return switch (endpoint) {
                case CLIENT -> client(req);
                case TOKEN -> token(req, fields, body);
                case REVOKE -> revoke(req, fields);
                case ME -> me(req, fields);
                case ANY -> throw new IllegalStateException();
            };
        }
    }

    private void count(HttpServerRequest req, Endpoint endpoint, Map<String, String> fields) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(req.headers());
        switch (endpoint) {
            case CLIENT -> {
                clientCalls.incrementAndGet();
                lastHeaders.put("client", headers);
            }
            case TOKEN -> {
                tokenCalls.incrementAndGet();
                String grant = fields.get("grant_type");
                if ("password".equals(grant)) {
                    passwordGrants.incrementAndGet();
                } else if ("refresh_token".equals(grant)) {
                    refreshGrants.incrementAndGet();
                }
                lastHeaders.put("token", headers);
            }
            case REVOKE -> {
                revokeCalls.incrementAndGet();
                lastHeaders.put("revoke", headers);
            }
            case ME -> {
                meCalls.incrementAndGet();
                lastHeaders.put("me", headers);
            }
            default -> throw new IllegalStateException();
        }
    }

    private Fault takeFault(Endpoint endpoint) {
        for (Iterator<FaultEntry> it = faults.iterator(); it.hasNext();) {
            FaultEntry entry = it.next();
            if (entry.endpoint.matches(endpoint)) {
                if (--entry.remaining == 0) {
                    it.remove();
                }
                return entry.fault;
            }
        }
        return null;
    }

    private static Endpoint endpointOf(HttpServerRequest req) {
        String path = req.path();
        if (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        HttpMethod method = req.method();
        if (PATH_CLIENT.equals(path) && method == HttpMethod.GET) {
            return Endpoint.CLIENT;
        }
        if (PATH_TOKEN.equals(path) && method == HttpMethod.POST) {
            return Endpoint.TOKEN;
        }
        if (PATH_REVOKE.equals(path) && method == HttpMethod.POST) {
            return Endpoint.REVOKE;
        }
        if (PATH_ME.equals(path) && method == HttpMethod.GET) {
            return Endpoint.ME;
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------
    // GET /api/v1/oauth-clients/local

    private Reply client(HttpServerRequest req) {
        String host = req.getHeader("Host");
        if (!publicHost.equals(host)) {
            return new Reply(403, PROBLEM, new JsonObject()
                    .put("type", "about:blank")
                    .put("title", "Forbidden")
                    .put("detail", "Getting client tokens for host " + (host == null ? "undefined" : host) + " is forbidden")
                    .put("status", 403)
                    .put("docs", DOCS_CLIENT)
                    .encode());
        }
        return new Reply(200, JSON, new JsonObject()
                .put("client_id", clientId)
                .put("client_secret", clientSecret)
                .encode());
    }

    // ---------------------------------------------------------------------------------------------
    // POST /api/v1/users/token

    private Reply token(HttpServerRequest req, Map<String, String> f, Buffer body) {
        Map<String, String> rateHeaders = new LinkedHashMap<>();
        String address = clientAddress(req);
        for (RateLimiter limiter : new RateLimiter[] {apiLimiter, loginLimiter}) {
            if (limiter != null) {
                Reply limited = limiter.hit(address, rateHeaders);
                if (limited != null) {
                    return limited;
                }
            }
        }
        return tokenChecks(req, f, body).headers(rateHeaders);
    }

    private Reply tokenChecks(HttpServerRequest req, Map<String, String> f, Buffer body) {
        Instant now = Instant.now();
        // handleToken resolves an external-auth bypass before any other check
        String bypassUsername = null;
        if ("password".equals(f.get("grant_type")) && present(f.get("externalAuthToken"))) {
            ExternalAuthToken external = externalTokens.remove(f.get("externalAuthToken"));
            if (external == null) {
                return plainError("Cannot authenticate user with unknown bypass token");
            }
            if (!now.isBefore(external.expiresAt)) {
                return plainError("Cannot authenticate user with an expired external auth token");
            }
            String username = f.get("username");
            if (!external.username.equals(username)) {
                return plainError("Cannot authenticate user " + external.username + " with invalid username "
                        + (username == null ? "undefined" : username));
            }
            bypassUsername = external.username;
        }

        if (!isForm(req, body)) {
            return tokenError(400, "invalid_request", "Invalid request: content must be application/x-www-form-urlencoded");
        }
        String id = f.get("client_id");
        String secret = f.get("client_secret");
        if (!present(id) || !present(secret)) {
            return tokenError(400, "invalid_client", "Invalid client: cannot retrieve client credentials");
        }
        if (rejectAllClients || !id.equals(clientId) || !secret.equals(clientSecret)) {
            return tokenError(400, "invalid_client", "Invalid client: client is invalid");
        }
        String grant = f.get("grant_type");
        if (!present(grant)) {
            return tokenError(400, "invalid_request", "Missing parameter: `grant_type`");
        }
        return switch (grant) {
            case "password" -> passwordGrant(req, f, bypassUsername, now);
            case "refresh_token" -> refreshGrant(f, now);
            default -> tokenError(400, "unsupported_grant_type", "Unsupported grant type: `grant_type` is invalid");
        };
    }

    private Reply passwordGrant(HttpServerRequest req, Map<String, String> f, String bypassUsername, Instant now) {
        String username = f.get("username");
        String password = f.get("password");
        if (!present(username)) {
            return tokenError(400, "invalid_request", "Missing parameter: `username`");
        }
        if (bypassUsername == null && !present(password)) {
            return tokenError(400, "invalid_request", "Missing parameter: `password`");
        }
        if (password != null && password.getBytes(StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
            return tokenError(400, "too_long_password",
                    "Password is too long. Please reset it using the password reset procedure.");
        }

        User user;
        if (bypassUsername != null) {
            user = usersByName.get(bypassUsername.toLowerCase(Locale.ROOT));
            if (user == null) {
                user = new User(nextUserId++, bypassUsername, random(ALNUM, 32)).pluginAuth(true);
                usersByName.put(bypassUsername.toLowerCase(Locale.ROOT), user);
            }
        } else {
            user = findUser(username);
            if (user == null) {
                Registration registration = findRegistration(username);
                if (registration != null && registration.rejected) {
                    return tokenError(400, "account_approval_rejected",
                            "Registration approval for this account has been rejected");
                }
                if (registration != null) {
                    return tokenError(400, "account_waiting_for_approval",
                            "Registration for this account is awaiting approval");
                }
                return tokenError(400, "invalid_grant", INVALID_CREDENTIALS);
            }
            if (user.pluginAuth) {
                return tokenError(400, "invalid_grant", INVALID_CREDENTIALS);
            }
            if (isLockedOut(user, now)) {
                return lockedOut();
            }
            if (!user.password.equals(password)) {
                recordLoginFailure(user, now);
                return tokenError(400, "invalid_grant", INVALID_CREDENTIALS);
            }
        }

        if (user.blocked) {
            return tokenError(400, legacyAccountErrors ? "access_denied" : "account_blocked", "User is blocked.");
        }
        if (requireEmailVerification && Boolean.FALSE.equals(user.emailVerified)) {
            return tokenError(400, legacyAccountErrors ? "access_denied" : "email_not_verified",
                    "User email is not verified.");
        }
        String secret = user.otpSecret;
        if (secret != null) {
            String otp = req.getHeader(OTP_HEADER);
            if (!present(otp)) {
                return tokenError(401, "missing_two_factor", "Missing two factor header").header(OTP_HEADER, OTP_REQUIRED);
            }
            if (!Totp.isValid(secret, otp, now)) {
                recordLoginFailure(user, now);
                return tokenError(400, "invalid_two_factor", "Invalid two factor header");
            }
        }
        loginFailures.remove(user);
        return tokenReply(issue(user, now));
    }

    private Reply refreshGrant(Map<String, String> f, Instant now) {
        String refreshToken = f.get("refresh_token");
        if (!present(refreshToken)) {
            return tokenError(400, "invalid_request", "Missing parameter: `refresh_token`");
        }
        TokenRow row = byRefresh.get(refreshToken);
        if (row == null) {
            RotatedRefresh old = rotated.get(refreshToken);
            if (old != null && now.isBefore(old.rotatedAt.plus(concurrentRefreshWindow))
                    && old.clientId.equals(clientId) && now.isBefore(old.refreshExpiresAt)
                    && usersByName.containsValue(old.user)) {
                return tokenReply(issue(old.user, now));
            }
            return tokenError(400, "invalid_grant", "Invalid grant: refresh token is invalid");
        }
        if (!row.clientId.equals(clientId)) {
            return tokenError(400, "invalid_grant", "Invalid grant: refresh token is invalid");
        }
        if (!now.isBefore(row.refreshExpiresAt)) {
            return tokenError(400, "invalid_grant", "Invalid grant: refresh token has expired");
        }
        remove(row);
        if (!concurrentRefreshWindow.isZero()) {
            rotated.put(refreshToken, new RotatedRefresh(row.user, row.clientId, row.refreshExpiresAt, now));
        }
        return tokenReply(issue(row.user, now));
    }

    private User findUser(String input) {
        if (input.contains("@")) {
            if (caseInsensitiveEmails) {
                List<User> matches = usersByName.values().stream()
                        .filter(u -> u.email.equalsIgnoreCase(input)).toList();
                if (matches.size() == 1) {
                    return matches.get(0);
                }
            }
            return usersByName.values().stream().filter(u -> u.email.equals(input)).findFirst().orElse(null);
        }
        return usersByName.get(input.toLowerCase(Locale.ROOT));
    }

    private Registration findRegistration(String input) {
        List<Registration> matches = registrations.stream()
                .filter(r -> input.equalsIgnoreCase(r.username) || input.equalsIgnoreCase(r.email))
                .toList();
        return matches.size() == 1 ? matches.get(0) : null;
    }

    private boolean isLockedOut(User user, Instant now) {
        if (!lockoutEnabled) {
            return false;
        }
        LoginFailures failures = loginFailures.get(user);
        return failures != null && now.isBefore(failures.expiresAt) && failures.count >= lockoutMax;
    }

    private void recordLoginFailure(User user, Instant now) {
        if (!lockoutEnabled) {
            return;
        }
        LoginFailures failures = loginFailures.get(user);
        if (failures == null || !now.isBefore(failures.expiresAt)) {
            failures = new LoginFailures();
            loginFailures.put(user, failures);
        }
        failures.count++;
        failures.expiresAt = now.plus(lockoutLifetime);
    }

    private Reply lockedOut() {
        if (lockoutAnswersInvalidGrant) {
            return tokenError(400, "invalid_grant", INVALID_CREDENTIALS);
        }
        return tokenError(429, "too_many_login_failures",
                "Too many login attempts for this account. Please try again later.");
    }

    private TokenRow issue(User user, Instant now) {
        TokenRow row = new TokenRow(randomToken(), randomToken(), user, clientId,
                now.plus(accessLifetime), now.plus(refreshLifetime), accessLifetime, refreshLifetime);
        byAccess.put(row.access, row);
        byRefresh.put(row.refresh, row);
        issued.add(row.access);
        issued.add(row.refresh);
        return row;
    }

    private void remove(TokenRow row) {
        byAccess.remove(row.access);
        byRefresh.remove(row.refresh);
    }

    private void deleteTokensOf(User user) {
        List<TokenRow> rows = byAccess.values().stream().filter(r -> r.user == user).toList();
        rows.forEach(this::remove);
        rotated.values().removeIf(r -> r.user == user);
    }

    private static Reply tokenReply(TokenRow row) {
        return new Reply(200, JSON, new JsonObject()
                .put("token_type", "Bearer")
                .put("access_token", row.access)
                .put("refresh_token", row.refresh)
                .put("expires_in", expiresIn(row.accessLifetime))
                .put("refresh_token_expires_in", expiresIn(row.refreshLifetime))
                .encode())
                .header("Cache-Control", "no-store")
                .header("Pragma", "no-cache");
    }

    /** PeerTube: floor((expiresAt - now) / 1000) a moment after the insert, so 1 day gives 86399. */
    static long expiresIn(Duration lifetime) {
        return Math.max(0, Math.floorDiv(lifetime.toMillis() - 1, 1000));
    }

    // ---------------------------------------------------------------------------------------------
    // POST /api/v1/users/revoke-token and GET /api/v1/users/me

    private Reply revoke(HttpServerRequest req, Map<String, String> fields) {
        Map<String, String> rateHeaders = new LinkedHashMap<>();
        if (apiLimiter != null) {
            Reply limited = apiLimiter.hit(clientAddress(req), rateHeaders);
            if (limited != null) {
                return limited;
            }
        }
        Authenticated auth = authenticate(req, fields, DOCS_REVOKE);
        if (auth.token != null) {
            revokeAttempts.merge(auth.token, 1, Integer::sum);
        }
        if (auth.error != null) {
            return auth.error.headers(rateHeaders);
        }
        remove(auth.row);
        revocations.merge(auth.row.access, 1, Integer::sum);
        return new Reply(200, JSON, new JsonObject().put("success", true).encode()).headers(rateHeaders);
    }

    private Reply me(HttpServerRequest req, Map<String, String> fields) {
        Map<String, String> rateHeaders = new LinkedHashMap<>();
        if (apiLimiter != null) {
            Reply limited = apiLimiter.hit(clientAddress(req), rateHeaders);
            if (limited != null) {
                return limited;
            }
        }
        Authenticated auth = authenticate(req, fields, null);
        if (auth.error != null) {
            return auth.error.headers(rateHeaders);
        }
        User user = auth.row.user;
        return new Reply(200, JSON, new JsonObject()
                .put("id", user.id)
                .put("username", user.username)
                .put("email", user.email)
                .put("emailVerified", user.emailVerified)
                .put("blocked", user.blocked)
                .put("twoFactorEnabled", user.otpSecret != null)
                .put("pluginAuth", user.pluginAuth ? "fake-auth-plugin" : null)
                .put("role", new JsonObject().put("id", 2).put("label", "User"))
                .encode()).headers(rateHeaders);
    }

    /** {@code @node-oauth/oauth2-server}'s authenticate handler, with PeerTube's "Token is invalid" detail. */
    private Authenticated authenticate(HttpServerRequest req, Map<String, String> fields, String docs) {
        String header = req.getHeader("Authorization");
        String query = req.params().get("access_token");
        String bodyToken = fields.get("access_token");
        int methods = (present(header) ? 1 : 0) + (present(query) ? 1 : 0) + (present(bodyToken) ? 1 : 0);
        if (methods > 1) {
            return Authenticated.failed(null, bearerError(400, "invalid_request", docs));
        }
        String token;
        if (present(header)) {
            Matcher m = BEARER.matcher(header);
            if (!m.find() || !B64TOKEN.matcher(m.group(1)).matches()) {
                return Authenticated.failed(null, bearerError(400, "invalid_request", docs));
            }
            token = m.group(1);
        } else if (present(query)) {
            return Authenticated.failed(null, bearerError(400, "invalid_request", docs));
        } else if (present(bodyToken)) {
            if (req.method() == HttpMethod.GET || !FORM.equals(mediaType(req))) {
                return Authenticated.failed(null, bearerError(400, "invalid_request", docs));
            }
            token = bodyToken;
        } else {
            return Authenticated.failed(null, bearerError(401, "unauthorized_request", docs));
        }
        TokenRow row = byAccess.get(token);
        if (row == null || !Instant.now().isBefore(row.accessExpiresAt)) {
            return Authenticated.failed(token, bearerError(401, "invalid_token", docs));
        }
        return new Authenticated(token, row, null);
    }

    private static Reply bearerError(int status, String code, String docs) {
        return coded(status, code, TOKEN_IS_INVALID, docs);
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    private static Reply tokenError(int status, String code, String detail) {
        return coded(status, code, detail, DOCS_TOKEN);
    }

    /** An error without an HTTP code (plain JS {@code Error}): 400, code and type {@code Error}. */
    private static Reply plainError(String detail) {
        return tokenError(400, "Error", detail);
    }

    private static Reply coded(int status, String code, String detail, String docs) {
        JsonObject body = new JsonObject()
                .put("type", ERRORS_URL + code)
                .put("detail", detail)
                .put("status", status);
        if (docs != null) {
            body.put("docs", docs);
        }
        body.put("code", code);
        return new Reply(status, PROBLEM, body.encode());
    }

    private static boolean present(String value) {
        return value != null && !value.isEmpty();
    }

    private static String mediaType(HttpServerRequest req) {
        String contentType = req.getHeader("Content-Type");
        if (contentType == null) {
            return null;
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    /** Express {@code req.is('application/x-www-form-urlencoded')}: false without a body. */
    private static boolean isForm(HttpServerRequest req, Buffer body) {
        boolean hasBody = body.length() > 0 || req.headers().contains("Transfer-Encoding");
        return hasBody && FORM.equals(mediaType(req));
    }

    /** The fields of a urlencoded or JSON body (what Express's body parsers give PeerTube). */
    private static Map<String, String> parseBody(HttpServerRequest req, Buffer body) {
        Map<String, String> fields = new LinkedHashMap<>();
        if (body.length() == 0) {
            return fields;
        }
        String type = mediaType(req);
        if (FORM.equals(type)) {
            for (String pair : body.toString(StandardCharsets.UTF_8).split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String key = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                fields.putIfAbsent(key, value);
            }
        } else if (type != null && (type.equals("application/json") || type.endsWith("+json"))) {
            try {
                new JsonObject(body).forEach(e -> {
                    if (e.getValue() != null) {
                        fields.put(e.getKey(), String.valueOf(e.getValue()));
                    }
                });
            } catch (RuntimeException e) {
                // not a JSON object: Express would answer 400 too; the fields stay empty
            }
        }
        return fields;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    /**
     * Express's {@code req.ip} with {@code trust proxy: loopback}: walking {@code X-Forwarded-For} from the
     * right while the hops are loopback; the first non-loopback one is the client.
     */
    private static String clientAddress(HttpServerRequest req) {
        String address = req.remoteAddress() == null ? "unknown" : req.remoteAddress().host();
        String forwarded = req.getHeader("X-Forwarded-For");
        if (!isLoopback(address) || !present(forwarded)) {
            return address;
        }
        String[] hops = forwarded.split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].trim();
            if (hop.isEmpty()) {
                continue;
            }
            address = hop;
            if (!isLoopback(hop)) {
                break;
            }
        }
        return address;
    }

    private static boolean isLoopback(String address) {
        return address.startsWith("127.") || address.equals("::1") || address.equals("0:0:0:0:0:0:0:1")
                || address.startsWith("::ffff:127.");
    }

    private static String randomToken() {
        byte[] bytes = new byte[20];
        RANDOM.nextBytes(bytes);
        char[] out = new char[40];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = HEX[(bytes[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX[bytes[i] & 0xf];
        }
        return new String(out);
    }

    private static String random(String alphabet, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    private User existingUser(String username) {
        User user = usersByName.get(username.toLowerCase(Locale.ROOT));
        if (user == null) {
            throw new IllegalArgumentException("no such user: " + username);
        }
        return user;
    }

    private static void write(HttpServerRequest req, Reply reply) {
        HttpServerResponse response = req.response();
        if (response.closed() || response.ended()) {
            return;
        }
        try {
            response.setStatusCode(reply.status)
                    .putHeader("x-powered-by", "PeerTube")
                    .putHeader("Access-Control-Allow-Origin", "*")
                    .putHeader("Access-Control-Expose-Headers", "Retry-After");
            reply.headers.forEach(response::putHeader);
            response.putHeader("Content-Type", reply.contentType);
            response.end(reply.body);
        } catch (IllegalStateException e) {
            // the client went away meanwhile
        }
    }

    private static void close(HttpServerRequest req) {
        req.connection().close();
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("fake PeerTube: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Small types

    private static final class Reply {
        final int status;
        final String contentType;
        final String body;
        final Map<String, String> headers = new LinkedHashMap<>();

        Reply(int status, String contentType, String body) {
            this.status = status;
            this.contentType = contentType;
            this.body = body;
        }

        Reply header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        /** Adds headers the reply does not set itself. */
        Reply headers(Map<String, String> extra) {
            extra.forEach(headers::putIfAbsent);
            return this;
        }
    }

    /** One oAuthToken row: an access token and its refresh token. */
    private static final class TokenRow {
        final String access;
        final String refresh;
        final User user;
        final String clientId;
        Instant accessExpiresAt;
        Instant refreshExpiresAt;
        final Duration accessLifetime;
        final Duration refreshLifetime;

        TokenRow(String access, String refresh, User user, String clientId, Instant accessExpiresAt,
                Instant refreshExpiresAt, Duration accessLifetime, Duration refreshLifetime) {
            this.access = access;
            this.refresh = refresh;
            this.user = user;
            this.clientId = clientId;
            this.accessExpiresAt = accessExpiresAt;
            this.refreshExpiresAt = refreshExpiresAt;
            this.accessLifetime = accessLifetime;
            this.refreshLifetime = refreshLifetime;
        }
    }

    private record RotatedRefresh(User user, String clientId, Instant refreshExpiresAt, Instant rotatedAt) {
    }

    private record Registration(String username, String email, boolean rejected) {
    }

    private record ExternalAuthToken(String username, Instant expiresAt) {
    }

    private record Authenticated(String token, TokenRow row, Reply error) {
        static Authenticated failed(String token, Reply error) {
            return new Authenticated(token, null, error);
        }
    }

    private static final class LoginFailures {
        int count;
        Instant expiresAt;
    }

    private static final class FaultEntry {
        final Endpoint endpoint;
        final Fault fault;
        int remaining;

        FaultEntry(Endpoint endpoint, Fault fault, int remaining) {
            this.endpoint = endpoint;
            this.fault = fault;
            this.remaining = remaining;
        }
    }

    /** express-rate-limit's MemoryStore: a fixed window per key, starting at the first hit; every hit counts. */
    private static final class RateLimiter {
        final int max;
        final Duration window;
        final Map<String, long[]> hits = new HashMap<>(); // key -> {count, resetAtMillis}

        RateLimiter(int max, Duration window) {
            if (max < 0 || window.isNegative() || window.isZero()) {
                throw new IllegalArgumentException("bad rate limit");
            }
            this.max = max;
            this.window = window;
        }

        /** Counts the hit; returns the 429 when over the limit, else fills the X-RateLimit headers. */
        Reply hit(String key, Map<String, String> headers) {
            long now = System.currentTimeMillis();
            long[] entry = hits.get(key);
            if (entry == null || now >= entry[1]) {
                entry = new long[] {0, now + window.toMillis()};
                hits.put(key, entry);
            }
            entry[0]++;
            long reset = (entry[1] + 999) / 1000;
            headers.put("X-RateLimit-Limit", String.valueOf(max));
            headers.put("X-RateLimit-Remaining", String.valueOf(Math.max(0, max - entry[0])));
            headers.put("X-RateLimit-Reset", String.valueOf(reset));
            if (entry[0] > max) {
                long retryAfter = Math.max(0, (entry[1] - now + 999) / 1000);
                return new Reply(429, HTML, TOO_MANY_REQUESTS)
                        .headers(headers)
                        .header("Retry-After", String.valueOf(retryAfter));
            }
            return null;
        }
    }
}
