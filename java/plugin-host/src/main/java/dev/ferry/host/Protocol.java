package dev.ferry.host;

/** Frame kinds and message types of docs/design/java-host-protocol.md (version 1). */
final class Protocol {
    static final int VERSION = 1;
    /** Frames above this are a protocol error: the connection is closed. */
    static final int MAX_FRAME = 256 << 20;

    static final int REQUEST = 1;
    static final int REPLY = 2;
    static final int ERROR_REPLY = 3;
    static final int EVENT = 4;

    static final int HELLO = 1;
    static final int SCAN = 2;
    static final int DESCRIBE = 3;
    static final int VALIDATE = 4;
    static final int START_CONNECTOR = 10;
    static final int TASK_CONFIGS = 11;
    static final int STOP_CONNECTOR = 12;
    static final int ALTER_OFFSETS = 13;
    static final int REQUEST_TASK_RECONFIGURATION = 14;
    static final int RAISE_ERROR = 15;
    static final int START_SOURCE_TASK = 20;
    static final int POLL = 21;
    static final int COMMIT = 22;
    static final int STOP_TASK = 23;
    static final int SNAPSHOT_PROGRESS = 24;
    static final int READ_OFFSETS = 30;
    static final int START_SINK_TASK = 40;
    static final int OPEN = 41;
    static final int CLOSE = 42;
    static final int PUT = 43;
    static final int PRE_COMMIT = 44;
    static final int SINK_CONTEXT = 45;
    static final int REPORT_ERRANT = 46;

    static final byte[] EMPTY = new byte[0];

    private Protocol() {
    }
}
