package dev.peertube.sessions.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class UtcSecondsSerializerTest {

    @Test
    void writesWhatIsoInstantWritesForAnyInstant() {
        SplittableRandom random = new SplittableRandom(20261205);
        for (int i = 0; i < 200_000; i++) {
            long seconds = random.nextLong(-70_000_000_000L, 260_000_000_000L);
            int nanos = i % 4 == 0 ? random.nextInt(1_000_000_000) : 0;
            Instant instant = Instant.ofEpochSecond(seconds, nanos);
            assertEquals(DateTimeFormatter.ISO_INSTANT.format(instant), UtcSecondsSerializer.format(instant), instant::toString);
        }
    }

    @Test
    void theEdgesOfTheFourDigitYears() {
        for (String edge : new String[] { "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z",
                "2024-02-29T12:00:00Z", "+10000-01-01T00:00:00Z", "-0001-12-31T23:59:59Z" }) {
            Instant instant = Instant.parse(edge);
            assertEquals(DateTimeFormatter.ISO_INSTANT.format(instant), UtcSecondsSerializer.format(instant), edge);
        }
    }
}
