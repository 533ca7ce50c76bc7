package dev.peertube.sessions.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * What the service keeps of a PeerTube session. Only ever written to Redis encrypted;
 * {@link #toString()} hides the tokens.
 */
public record StoredSession(String accessToken, String refreshToken, Instant accessExpiresAt, Instant refreshExpiresAt) {

    private static final byte FORMAT = 1;

    public boolean accessExpiresWithin(java.time.Duration margin, Instant now) {
        return !accessExpiresAt.isAfter(now.plus(margin));
    }

    byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeUTF(accessToken);
            out.writeUTF(refreshToken);
            out.writeLong(accessExpiresAt.getEpochSecond());
            out.writeLong(refreshExpiresAt.getEpochSecond());
        } catch (IOException impossible) {
            throw new UncheckedIOException(impossible);
        }
        return bytes.toByteArray();
    }

    /** Reads {@link #toBytes()}; throws {@link IOException} on anything else. */
    static StoredSession fromBytes(byte[] data) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            if (in.readByte() != FORMAT) {
                throw new IOException("unknown session format");
            }
            StoredSession session = new StoredSession(in.readUTF(), in.readUTF(),
                    Instant.ofEpochSecond(in.readLong()), Instant.ofEpochSecond(in.readLong()));
            if (in.available() != 0) {
                throw new IOException("trailing bytes");
            }
            return session;
        }
    }

    @Override
    public String toString() {
        return "StoredSession[accessExpiresAt=" + accessExpiresAt + ", refreshExpiresAt=" + refreshExpiresAt + "]";
    }
}
