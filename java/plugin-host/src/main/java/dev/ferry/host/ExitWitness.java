package dev.ferry.host;

import java.util.Map;

/**
 * Names the thread that called System.exit, as the host's last words on stderr, so that ferry
 * can fail only the connector whose code ended the JVM and start the others again. Runs as a
 * shutdown hook: the calling thread is still inside Runtime.exit then.
 */
final class ExitWitness {
    /** ferry looks for this text in the host's last lines (crates/java/src/host.rs). */
    static final String PREFIX = "FERRY-HOST-EXIT thread=";

    private ExitWitness() {
    }

    static void install() {
        Runtime.getRuntime().addShutdownHook(new Thread(ExitWitness::tell, "exit-witness"));
    }

    private static void tell() {
        for (Map.Entry<Thread, StackTraceElement[]> entry : Thread.getAllStackTraces().entrySet()) {
            for (StackTraceElement frame : entry.getValue()) {
                boolean exiting = frame.getMethodName().equals("exit")
                        && (frame.getClassName().equals("java.lang.Runtime")
                        || frame.getClassName().equals("java.lang.Shutdown"));
                if (exiting) {
                    System.err.println(PREFIX + entry.getKey().getName());
                    System.err.flush();
                    return;
                }
            }
        }
    }
}
