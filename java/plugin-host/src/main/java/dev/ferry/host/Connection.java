package dev.ferry.host;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One connection from ferry. Its own thread runs ferry's requests strictly in order; a reader
 * thread takes frames off the socket so that the host's own requests (ReadOffsets) can be
 * answered while a request runs, whichever thread asks (a connector may read offsets from a
 * thread of its own). Events and replies may be written from any thread.
 */
final class Connection {
    private static final Logger log = LoggerFactory.getLogger(Connection.class);
    /** Put on the queue when ferry closes the connection. */
    private static final Frame CLOSED = new Frame(0, 0, Protocol.EMPTY);

    private final FrameChannel channel;
    private final BlockingQueue<Frame> requests = new LinkedBlockingQueue<>();
    /** One host → ferry request in flight at a time. */
    private final Object askLock = new Object();
    private volatile CompletableFuture<Frame> pending;
    private volatile int pendingType;
    private volatile boolean closed;
    private volatile boolean busy;
    private volatile Thread serving;
    private Thread reader;

    Connection(FrameChannel channel) {
        this.channel = channel;
    }

    /** Runs on the connection's thread until ferry closes the connection. */
    void serve(Session session) {
        serving = Thread.currentThread();
        reader = new Thread(this::readLoop, serving.getName() + "-reader");
        reader.setDaemon(true);
        reader.start();
        try {
            while (true) {
                Frame request = requests.take();
                if (request == CLOSED) {
                    break;
                }
                handle(session, request);
            }
        } catch (InterruptedException e) {
            // only the close path interrupts a waiting thread; fall through to the clean-up
        } finally {
            Thread.interrupted();
            session.closed();
            channel.close();
        }
    }

    /** Renames the connection's threads once the first message says what it serves. */
    void name(String name) {
        Thread t = serving;
        if (t != null) {
            t.setName(name);
        }
        if (reader != null) {
            reader.setName(name + "-reader");
        }
    }

    private void handle(Session session, Frame request) {
        byte[] reply = null;
        Throwable failure = null;
        busy = true;
        try {
            reply = session.handle(request.type(), request.body());
        } catch (Throwable t) {
            // Any throwable, OutOfMemoryError included, fails only this call, as in Kafka's WorkerTask.
            failure = t;
        } finally {
            busy = false;
        }
        if (failure != null) {
            log.debug("request {} failed", request.type(), failure);
            send(Protocol.ERROR_REPLY, request.type(), Errors.toBody(failure));
        } else {
            send(Protocol.REPLY, request.type(), reply);
        }
    }

    private void readLoop() {
        try {
            while (true) {
                Frame frame = channel.read();
                if (frame == null) {
                    break;
                }
                switch (frame.kind()) {
                    case Protocol.REQUEST -> requests.add(frame);
                    case Protocol.REPLY, Protocol.ERROR_REPLY -> answer(frame);
                    default -> log.warn("ignoring a frame of kind {} (type {}) from ferry", frame.kind(), frame.type());
                }
            }
        } catch (IOException e) {
            if (!closed) {
                log.warn("the connection {} broke: {}", serving == null ? "" : serving.getName(), e.getMessage());
            }
        } finally {
            closeFromReader();
        }
    }

    private void answer(Frame frame) {
        CompletableFuture<Frame> waiting = pending;
        if (waiting != null && frame.type() == pendingType) {
            waiting.complete(frame);
        } else {
            log.warn("ignoring an unexpected answer of type {} from ferry", frame.type());
        }
    }

    private void closeFromReader() {
        closed = true;
        CompletableFuture<Frame> waiting = pending;
        if (waiting != null) {
            waiting.completeExceptionally(new IOException("ferry closed the connection"));
        }
        requests.add(CLOSED);
        // A call still running (a poll that sleeps) is woken so that the clean-up can stop it.
        Thread t = serving;
        if (busy && t != null) {
            t.interrupt();
        }
    }

    /** An event (no reply); dropped when ferry has gone. */
    void event(int type, byte[] body) {
        send(Protocol.EVENT, type, body);
    }

    private void send(int kind, int type, byte[] body) {
        if (closed) {
            log.debug("not sending frame type {}: the connection is closed", type);
            return;
        }
        try {
            write(kind, type, body);
        } catch (IOException e) {
            if (closed) {
                log.debug("could not write to ferry (type {}): it closed the connection", type);
            } else {
                log.warn("could not write to ferry (type {}): {}", type, e.toString());
            }
        }
    }

    /**
     * A socket channel is interruptible: writing from a thread whose interrupt flag is set
     * would close it. Plugin threads may carry the flag (a task that re-asserts it after
     * catching InterruptedException), so it is cleared for the write and put back after.
     */
    private void write(int kind, int type, byte[] body) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            channel.write(kind, type, body);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A request of the host's own (ReadOffsets): sent, then waited for; ferry answers it while
     * it waits for the reply to its own request. Callable from any thread.
     */
    byte[] ask(int type, byte[] body) {
        synchronized (askLock) {
            CompletableFuture<Frame> answer = new CompletableFuture<>();
            pendingType = type;
            pending = answer;
            try {
                if (closed) {
                    throw new ConnectException("ferry closed the connection; no answer to message type " + type);
                }
                try {
                    write(Protocol.REQUEST, type, body);
                } catch (IOException e) {
                    throw new ConnectException("could not ask ferry (message type " + type + ")", e);
                }
                Frame reply;
                try {
                    reply = answer.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ConnectException("interrupted while waiting for ferry's answer to message type " + type, e);
                } catch (ExecutionException e) {
                    throw new ConnectException("no answer from ferry to message type " + type + ": "
                            + e.getCause().getMessage(), e.getCause());
                }
                if (reply.kind() == Protocol.ERROR_REPLY) {
                    JsonNode error = Json.parse(reply.body());
                    String trace = Json.text(error, "trace");
                    throw new ConnectException("ferry could not answer message type " + type + ": "
                            + (trace != null ? trace : Json.text(error, "message")));
                }
                return reply.body();
            } finally {
                pending = null;
            }
        }
    }
}
