package dev.ferry.host;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** A binary body in DataOutputStream's conventions: str = i32 length + UTF-8, bytes = i32 length (-1: null) + bytes. */
final class BinaryWriter {
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final DataOutputStream out = new DataOutputStream(buffer);

    BinaryWriter i8(int v) {
        try {
            out.writeByte(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    BinaryWriter i32(int v) {
        try {
            out.writeInt(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    BinaryWriter i64(long v) {
        try {
            out.writeLong(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    BinaryWriter str(String v) {
        return bytes(v.getBytes(StandardCharsets.UTF_8));
    }

    BinaryWriter bytes(byte[] v) {
        try {
            if (v == null) {
                out.writeInt(-1);
            } else {
                out.writeInt(v.length);
                out.write(v);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    byte[] toByteArray() {
        return buffer.toByteArray();
    }
}
