package dev.peertube.sessions;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Secrets a test handed to the service or got from it, and a search for them in whatever the
 * service wrote (Redis values, log files, error bodies): raw, base64, base64url or hex, and inside
 * every base64 or hex run of the text once decoded.
 */
final class Secrets {

    private static final Pattern BASE64_RUN = Pattern.compile("[A-Za-z0-9+/_-]{16,}");
    private static final Pattern HEX_RUN = Pattern.compile("[0-9a-fA-F]{16,}");
    private static final Pattern DIGITS = Pattern.compile("^[0-9]+$");

    /** Label → encodings to look for. */
    private final Map<String, List<byte[]>> needles = new LinkedHashMap<>();
    /** Label → the plain form of a short all-digit secret (an OTP): found only as a number of its own. */
    private final Map<String, Pattern> numbers = new LinkedHashMap<>();

    /** A secret string (password, token, client secret, OTP, TOTP seed). */
    Secrets add(String label, String value) {
        if (value == null || value.isEmpty()) {
            return this;
        }
        byte[] raw = value.getBytes(StandardCharsets.UTF_8);
        if (DIGITS.matcher(value).matches() && value.length() < 10) {
            String numberLabel = label + " " + value;
            numbers.put(numberLabel, Pattern.compile("(?<![0-9])" + value + "(?![0-9])"));
            needles.put(numberLabel, encodings(raw, false));
            return this;
        }
        needles.put(label, encodings(raw, true));
        return this;
    }

    /** A session id: the whole string, and each of its two parts (lookup id, secret) as bytes. */
    Secrets addSessionId(String sessionId) {
        add("session id " + sessionId.substring(0, 6) + "…", sessionId);
        byte[] raw = Base64.getUrlDecoder().decode(sessionId);
        needles.put("lookup id of session " + sessionId.substring(0, 6) + "…", encodings(Arrays.copyOfRange(raw, 0, 16), true));
        needles.put("secret of session " + sessionId.substring(0, 6) + "…", encodings(Arrays.copyOfRange(raw, 16, raw.length), true));
        return this;
    }

    int size() {
        return needles.size();
    }

    /** The labels of every secret found in these bytes; empty when none is there. */
    List<String> foundIn(byte[] data) {
        List<byte[]> haystacks = new ArrayList<>();
        haystacks.add(data);
        String text = new String(data, StandardCharsets.ISO_8859_1);
        decodedRuns(text, haystacks);
        List<String> found = new ArrayList<>();
        for (Map.Entry<String, List<byte[]>> secret : needles.entrySet()) {
            Pattern number = numbers.get(secret.getKey());
            boolean hit = false;
            for (byte[] haystack : haystacks) {
                hit |= number != null && number.matcher(new String(haystack, StandardCharsets.ISO_8859_1)).find();
                for (byte[] needle : secret.getValue()) {
                    hit |= contains(haystack, needle);
                }
            }
            if (hit) {
                found.add(secret.getKey());
            }
        }
        return found;
    }

    List<String> foundIn(String text) {
        return foundIn(text.getBytes(StandardCharsets.UTF_8));
    }

    private static List<byte[]> encodings(byte[] raw, boolean includeRaw) {
        List<byte[]> encodings = new ArrayList<>();
        if (includeRaw) {
            encodings.add(raw);
        }
        encodings.add(ascii(Base64.getEncoder().withoutPadding().encodeToString(raw)));
        encodings.add(ascii(Base64.getUrlEncoder().withoutPadding().encodeToString(raw)));
        encodings.add(ascii(HexFormat.of().formatHex(raw)));
        encodings.add(ascii(HexFormat.of().formatHex(raw).toUpperCase(Locale.ROOT)));
        return encodings;
    }

    private static void decodedRuns(String text, List<byte[]> haystacks) {
        Matcher base64 = BASE64_RUN.matcher(text);
        while (base64.find()) {
            String run = base64.group().replace('-', '+').replace('_', '/');
            for (int offset = 0; offset < 4 && run.length() - offset >= 8; offset++) {
                String aligned = run.substring(offset);
                aligned = aligned.substring(0, aligned.length() - aligned.length() % 4);
                try {
                    haystacks.add(Base64.getDecoder().decode(aligned));
                } catch (IllegalArgumentException notBase64) {
                    // not a base64 run after all
                }
            }
        }
        Matcher hex = HEX_RUN.matcher(text);
        while (hex.find()) {
            String run = hex.group();
            for (int offset = 0; offset < 2; offset++) {
                String aligned = run.substring(offset, offset + (run.length() - offset) / 2 * 2);
                haystacks.add(HexFormat.of().parseHex(aligned));
            }
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
