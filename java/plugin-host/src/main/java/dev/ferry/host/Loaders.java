package dev.ferry.host;

import java.util.concurrent.Callable;

/** Running plugin code with the thread context class loader set to the plugin's, as Kafka does. */
final class Loaders {
    private Loaders() {
    }

    static <T> T with(ClassLoader loader, Callable<T> work) throws Exception {
        Thread thread = Thread.currentThread();
        ClassLoader saved = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
        try {
            return work.call();
        } finally {
            thread.setContextClassLoader(saved);
        }
    }

    static void run(ClassLoader loader, ThrowingRunnable work) throws Exception {
        with(loader, () -> {
            work.run();
            return null;
        });
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
