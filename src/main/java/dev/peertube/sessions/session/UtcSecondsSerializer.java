package dev.peertube.sessions.session;

import java.io.IOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Writes an {@link Instant} exactly as {@link DateTimeFormatter#ISO_INSTANT} does, without its
 * general-purpose formatter for the instants of the answers: whole seconds of years 0000-9999,
 * {@code 2026-12-05T07:12:41Z}. Any other instant goes through {@code ISO_INSTANT}.
 */
@RegisterForReflection
public final class UtcSecondsSerializer extends StdSerializer<Instant> {

    private static final long MAX_EPOCH_SECOND = 253402300799L; // 9999-12-31T23:59:59Z
    private static final long MIN_EPOCH_SECOND = -62167219200L; // 0000-01-01T00:00:00Z
    /** The separators in place; the digits are written over the zeros. */
    private static final String LAYOUT = "0000-00-00T00:00:00Z";

    public UtcSecondsSerializer() {
        super(Instant.class);
    }

    @Override
    public void serialize(Instant value, JsonGenerator generator, SerializerProvider provider) throws IOException {
        generator.writeString(format(value));
    }

    static String format(Instant value) {
        long seconds = value.getEpochSecond();
        if (value.getNano() != 0 || seconds < MIN_EPOCH_SECOND || seconds > MAX_EPOCH_SECOND) {
            return DateTimeFormatter.ISO_INSTANT.format(value);
        }
        LocalDateTime t = LocalDateTime.ofEpochSecond(seconds, 0, ZoneOffset.UTC);
        char[] out = LAYOUT.toCharArray();
        digits(out, 0, t.getYear(), 4);
        digits(out, 5, t.getMonthValue(), 2);
        digits(out, 8, t.getDayOfMonth(), 2);
        digits(out, 11, t.getHour(), 2);
        digits(out, 14, t.getMinute(), 2);
        digits(out, 17, t.getSecond(), 2);
        return new String(out);
    }

    private static void digits(char[] out, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            out[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }
}
