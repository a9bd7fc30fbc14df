package dev.ferry.host;

/** What a connector or task connection runs once started. */
interface Runner {
    /** One request after the start message; returns the reply body. */
    byte[] handle(int type, byte[] body) throws Exception;

    /** ferry closed the connection: stop what still runs, ignoring errors. */
    void abandon();
}
