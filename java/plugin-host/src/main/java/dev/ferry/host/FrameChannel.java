package dev.ferry.host;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Reads and writes frames on one Unix socket. Reads come from one thread; writes from any
 * (replies, events from plugin threads, offset questions), so each frame is written whole
 * under a lock. The channel is used directly, not through Channels.newInputStream/OutputStream,
 * whose blocking-mode streams share one lock and would stall a write behind a pending read.
 */
final class FrameChannel implements AutoCloseable {
    private final SocketChannel channel;
    private final Object writeLock = new Object();

    FrameChannel(SocketChannel channel) {
        this.channel = channel;
    }

    /** The next frame, or null when ferry closed the connection between frames. */
    Frame read() throws IOException {
        ByteBuffer head = ByteBuffer.allocate(7);
        if (!fill(head, true)) {
            return null;
        }
        head.flip();
        int length = head.getInt();
        if (length < 3 || length > Protocol.MAX_FRAME) {
            throw new IOException("a frame of " + Integer.toUnsignedString(length) + " bytes is not allowed");
        }
        int kind = head.get() & 0xff;
        int type = head.getShort() & 0xffff;
        ByteBuffer body = ByteBuffer.allocate(length - 3);
        fill(body, false);
        return new Frame(kind, type, body.array());
    }

    void write(int kind, int type, byte[] body) throws IOException {
        if (body.length > Protocol.MAX_FRAME - 3) {
            throw new IOException("a frame of " + body.length + " bytes is over the protocol's limit");
        }
        ByteBuffer frame = ByteBuffer.allocate(7 + body.length);
        frame.putInt(body.length + 3).put((byte) kind).putShort((short) type).put(body).flip();
        synchronized (writeLock) {
            while (frame.hasRemaining()) {
                channel.write(frame);
            }
        }
    }

    /** Fills buf; false on a clean EOF before the first byte when that is allowed. */
    private boolean fill(ByteBuffer buf, boolean eofAllowed) throws IOException {
        boolean first = true;
        while (buf.hasRemaining()) {
            if (channel.read(buf) < 0) {
                if (first && eofAllowed && buf.position() == 0) {
                    return false;
                }
                throw new EOFException("the connection closed inside a frame");
            }
            first = false;
        }
        return true;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a socket that is already gone
        }
    }
}
