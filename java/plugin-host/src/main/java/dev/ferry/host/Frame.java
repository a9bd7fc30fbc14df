package dev.ferry.host;

/** One frame: its kind (request, reply, error reply, event), message type and body. */
record Frame(int kind, int type, byte[] body) {
}
