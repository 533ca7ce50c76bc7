package dev.peertube.sessions;

import static dev.peertube.sessions.SessionCalls.sessionOf;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.peertube.sessions.fake.FakePeerTubeResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Hundreds of malformed requests, written byte for byte on a socket: broken and oversized JSON,
 * wrong content types, odd and oversized headers, long and non-ASCII bearer values, unknown
 * methods and paths. Every answer must be a 4xx problem+json, and the service must stay healthy.
 */
@QuarkusTest
@WithTestResource(FakePeerTubeResource.class)
@WithTestResource(RedisTestResource.class)
class MalformedRequestsTest extends ServiceTestBase {

    static final Pattern STATUS = Pattern.compile("\"status\"\\s*:\\s*(\\d{3})");

    @TestHTTPResource("/")
    URL root;

    @Test
    void everyMalformedRequestGetsA4xxProblemAndTheServiceStaysHealthy() throws IOException {
        String liveSession = sessionOf("alice", PASSWORD);
        List<RawRequest> requests = new ArrayList<>();
        for (byte[] body : brokenJsonBodies()) {
            requests.add(new RawRequest("POST", "/session", List.of("Content-Type: application/json"), body));
            // endpoints without a body, sent one anyway, with no or a malformed bearer
            requests.add(new RawRequest("POST", "/session/refresh", List.of("Content-Type: application/json"), body));
            requests.add(new RawRequest("GET", "/session", List.of("Content-Type: application/json", "Authorization: Bearer x"), body));
        }
        for (String type : List.of("text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded",
                "application/octet-stream", "image/png", "application/jsonx", "json", ";;;", "application/" + "j".repeat(2000),
                "text/json", "application/problem+json; charset=utf-8")) {
            requests.add(new RawRequest("POST", "/session", List.of("Content-Type: " + type), bytes("{\"username\":\"alice\",\"password\":\"x\"}")));
        }
        requests.add(new RawRequest("POST", "/session", List.of(), bytes("{\"username\":\"alice\",\"password\":\"x\"}")));
        for (String authorization : oddAuthorizations(liveSession)) {
            for (String[] call : new String[][] { { "GET", "/session" }, { "POST", "/session/refresh" } }) {
                requests.add(new RawRequest(call[0], call[1], List.of("Authorization: " + authorization), null));
            }
        }
        for (String method : List.of("PATCH", "PUT", "TRACE", "PROPFIND", "FOO", "LOCK")) {
            for (String path : List.of("/session", "/session/refresh")) {
                requests.add(new RawRequest(method, path, List.of("Authorization: Bearer " + liveSession, "Content-Type: application/json"),
                        bytes("{}")));
            }
        }
        for (String method : List.of("GET", "DELETE", "PUT")) {
            requests.add(new RawRequest(method, "/session/refresh", List.of("Authorization: Bearer " + liveSession), null));
        }
        for (String path : List.of("/session/x", "/session/refresh/x", "/sessions", "/session%00", "/session/%2e%2e/sessions", "/" + "a".repeat(6000),
                "/session?sessionId=" + "x".repeat(100), "/%C3%28", "/session/%FF")) {
            requests.add(new RawRequest("GET", path, List.of(), null));
        }
        for (String accept : List.of("text/html", "application/xml", "image/*")) {
            requests.add(new RawRequest("GET", "/session", List.of("Accept: " + accept, "Authorization: Bearer " + liveSession), null));
            requests.add(new RawRequest("POST", "/session", List.of("Accept: " + accept, "Content-Type: application/json"), bytes("[]")));
        }
        for (int size : List.of(1_000, 8_000, 20_000)) {
            requests.add(new RawRequest("GET", "/session", List.of("X-Padding: " + "p".repeat(size)), null));
            // header names must be RFC 9110 tokens (the HTTP layer itself answers a bare 400 otherwise); values may be any bytes
            requests.add(new RawRequest("POST", "/session", List.of("Content-Type: application/json", "X-Odd: " + "\u00e9".repeat(size / 4)),
                    bytes("{\"username\":1}")));
        }
        requests.add(new RawRequest("POST", "/session", List.of("Content-Type: application/json", "Content-Type: text/plain"), bytes("{}")));
        requests.add(new RawRequest("POST", "/session", List.of("Content-Type: application/json", "Content-Encoding: gzip"), bytes("{not gzip")));
        requests.add(new RawRequest("POST", "/session", List.of("Content-Type: application/json"), bytes("{\"username\":\"" + "u".repeat(1 << 20) + "\"}")));
        requests.add(new RawRequest("POST", "/session", List.of("Content-Type: application/json"), bytes("{\"username\":\"" + "u".repeat(100_000) + "\"}")));

        assertTrue(requests.size() >= 200, "only " + requests.size() + " requests");
        List<String> wrong = new ArrayList<>();
        for (RawRequest request : requests) {
            Answer answer = send(request);
            String what = request.method + " " + abbreviate(request.path) + " " + abbreviate(String.join(" | ", request.headers))
                    + " → " + answer.status + " [" + answer.contentType + "] " + abbreviate(answer.body);
            Matcher status = STATUS.matcher(answer.body);
            boolean problem = answer.status >= 400 && answer.status < 500
                    && answer.contentType.toLowerCase(Locale.ROOT).startsWith("application/problem+json")
                    && status.find() && answer.status == Integer.parseInt(status.group(1))
                    && answer.body.contains("\"code\"")
                    && !answer.body.contains(liveSession);
            if (!problem) {
                wrong.add(what);
            }
        }
        assertEquals(List.of(), wrong, "answers that are not a 4xx problem+json");
        int checked = requests.size();
        System.out.printf("%d malformed requests, every answer a 4xx problem+json%n", checked);

        given().when().get("/q/health/ready").then().statusCode(200);
        given().header("Authorization", "Bearer " + liveSession).when().get("/session").then().statusCode(200);
        sessionOf("alice", PASSWORD);
    }

    private static List<byte[]> brokenJsonBodies() {
        List<byte[]> bodies = new ArrayList<>();
        for (String text : List.of("{", "}", "[", "]", "{\"username\":}", "{\"username\":\"a\",}", "nul", "tru", "\"unterminated",
                "{\"username\":\"alice\",\"password\":\"x\"", "{'username':'alice'}", "{username:\"alice\"}", "\u0000", "{\"a\":\u0001}",
                "{\"username\":\"alice\",\"password\":\"x\"}}", "[]", "null", "true", "42", "\"alice\"", "", " ", "\n\n",
                "{\"username\":null,\"password\":null}", "{\"username\":{},\"password\":\"x\"}", "{\"username\":true,\"password\":\"x\"}",
                "{\"username\":\"alice\",\"password\":1.5}", "{\"username\":\"alice\",\"password\":\"x\",\"otp\":[1,2,3,4,5,6]}",
                "{\"username\":\"alice\",\"password\":\"x\",\"otp\":\"12 456\"}", "{\"username\":\"alice\",\"password\":\"x\",\"otp\":\"１２３４５６\"}",
                "{\"username\":\"alice\",\"password\":\"\"}", "{\"username\":\"\",\"password\":\"x\"}", "{\"externalAuthToken\":\"t\"}",
                "{\"username\":\"alice\",\"externalAuthToken\":\"\"}", "{\"username\":\"alice\",\"externalAuthToken\":5}",
                "{\"username\":1e999999,\"password\":\"x\"}", "{\"username\":\"\\ud800\",\"password\":\"x\"}", "{\"username\":\"\\u00zz\"}",
                "[".repeat(5_000), "{\"a\":".repeat(5_000), "{\"username\":\"" + "u".repeat(40_000) + "\",\"password\":\"x\"}",
                "{\"username\":\"alice\",\"password\":\"" + "p".repeat(1_025) + "\"}",
                "{\"username\":\"alice\",\"password\":\"x\",\"externalAuthToken\":\"" + "t".repeat(300) + "\"}")) {
            bodies.add(bytes(text));
        }
        bodies.add(new byte[] { (byte) 0xC3, (byte) 0x28 });
        bodies.add(new byte[] { (byte) 0xFF, (byte) 0xFE, 0x7B, 0x00 });
        bodies.add(new byte[] { (byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '[', ']' });
        byte[] random = new byte[2_000];
        new java.util.Random(42).nextBytes(random);
        bodies.add(random);
        return bodies;
    }

    private static List<String> oddAuthorizations(String liveSession) {
        List<String> values = new ArrayList<>(List.of("Bearer", "Bearer ", "Bearer  ", "bearer", "Basic YWxpY2U6eA==", "Digest x", "Token " + liveSession,
                "Bearer " + liveSession.substring(1), "Bearer " + liveSession + "x", "Bearer +" + liveSession.substring(1),
                "Bearer " + "=".repeat(64), "Bearer " + "A".repeat(64), "Bearer " + "\u00e9".repeat(32), "Bearer \u00e9\u00e8\u00ea\u20ac",
                "Bearer " + "\u00ff".repeat(64), "Bearer " + "x".repeat(8_000), "Bearer " + "y".repeat(24_000), "Bearer\t" + liveSession.substring(3),
                "Bearer " + liveSession.substring(0, 32) + " " + liveSession.substring(32), "Bearer null", "Bearer undefined",
                "Bearer " + "../".repeat(30), "Bearer %41%41", "Bearer {\"a\":1}", "\u00e9\u00e9", ",,,,", "Bearer a,Bearer b"));
        return values;
    }

    private Answer send(RawRequest request) throws IOException {
        try (Socket socket = new Socket(root.getHost(), root.getPort())) {
            socket.setSoTimeout(10_000);
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            head.write((request.method + " " + request.path + " HTTP/1.1\r\n").getBytes(StandardCharsets.UTF_8));
            head.write(("Host: " + root.getHost() + ":" + root.getPort() + "\r\n").getBytes(StandardCharsets.UTF_8));
            head.write("Connection: close\r\n".getBytes(StandardCharsets.UTF_8));
            for (String header : request.headers) {
                head.write((header + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            if (request.body != null) {
                head.write(("Content-Length: " + request.body.length + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            head.write("\r\n".getBytes(StandardCharsets.UTF_8));
            OutputStream out = socket.getOutputStream();
            out.write(head.toByteArray());
            if (request.body != null) {
                out.write(request.body);
            }
            out.flush();
            return Answer.read(socket.getInputStream());
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String abbreviate(String text) {
        return text.length() > 120 ? text.substring(0, 120) + "…(" + text.length() + ")" : text;
    }

    record RawRequest(String method, String path, List<String> headers, byte[] body) {
    }

    record Answer(int status, String contentType, String body) {
        static Answer read(InputStream in) throws IOException {
            String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int end = all.indexOf("\r\n\r\n");
            if (!all.startsWith("HTTP/1.1 ") || end < 0) {
                fail("not an HTTP answer: " + abbreviate(all));
            }
            String[] lines = all.substring(0, end).split("\r\n");
            String contentType = "";
            for (String line : lines) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-type:")) {
                    contentType = line.substring("content-type:".length()).trim();
                }
            }
            return new Answer(Integer.parseInt(lines[0].substring(9, 12)), contentType, all.substring(end + 4));
        }
    }
}
