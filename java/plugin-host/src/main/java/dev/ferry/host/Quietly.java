package dev.ferry.host;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Clean-up that must not stop the clean-up after it. */
final class Quietly {
    private static final Logger log = LoggerFactory.getLogger(Quietly.class);

    private Quietly() {
    }

    static void close(Loaders.ThrowingRunnable close) {
        try {
            close.run();
        } catch (Throwable t) {
            log.warn("Ignoring a failure while closing", t);
        }
    }
}
