package dev.ferry.host;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Reads a binary body written in DataOutputStream's conventions (see BinaryWriter). */
final class BinaryReader {
    private final ByteBuffer buf;

    BinaryReader(byte[] body) {
        this.buf = ByteBuffer.wrap(body);
    }

    int i8() {
        return guard(() -> (int) buf.get());
    }

    int i32() {
        return guard(buf::getInt);
    }

    long i64() {
        return guard(buf::getLong);
    }

    String str() {
        byte[] b = bytes();
        if (b == null) {
            throw new IllegalArgumentException("a null string in a binary body");
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    byte[] bytes() {
        int length = i32();
        if (length < 0) {
            return null;
        }
        if (length > buf.remaining()) {
            throw new IllegalArgumentException("a binary body ends inside a field of " + length + " bytes");
        }
        byte[] b = new byte[length];
        buf.get(b);
        return b;
    }

    private <T> T guard(java.util.function.Supplier<T> read) {
        try {
            return read.get();
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("a binary body ends too early", e);
        }
    }
}
