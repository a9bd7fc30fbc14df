package dev.ferry.host;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * ferry's Java plugin host: `Main --socket PATH`. Listens on the Unix socket, says
 * FERRY-HOST-READY on stdout, serves each connection on a thread of its own, and exits when its
 * stdin reaches EOF (ferry has gone).
 */
public final class Main {
    static final String READY = "FERRY-HOST-READY";

    private Main() {
    }

    public static void main(String[] args) throws IOException {
        // stdout carries only the ready line: anything a plugin prints goes to stderr.
        PrintStream stdout = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        System.setOut(System.err);
        if (System.getProperty("log4j2.configurationFile") == null) {
            // a name of its own, so that a log4j2.xml inside a plugin cannot take over the host's logging
            System.setProperty("log4j2.configurationFile", "ferry-host-log4j2.xml");
        }
        Path socket = socketPath(args);
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(socket), "remove-socket"));
        ExitWitness.install();
        stdout.println(READY);
        stdout.flush();
        exitOnStdinEof();
        PluginRegistry registry = new PluginRegistry();
        while (true) {
            SocketChannel channel = server.accept();
            Connection connection = new Connection(new FrameChannel(channel));
            Session session = new Session(registry, connection);
            Thread thread = new Thread(() -> connection.serve(session), "host-request");
            thread.start();
        }
    }

    private static Path socketPath(String[] args) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--socket")) {
                return Path.of(args[i + 1]);
            }
        }
        System.err.println("usage: dev.ferry.host.Main --socket PATH");
        System.exit(2);
        throw new IllegalStateException();
    }

    /** ferry keeps the host's stdin open; EOF means ferry exited, and so does the host. */
    private static void exitOnStdinEof() {
        Thread watcher = new Thread(() -> {
            InputStream in = System.in;
            byte[] buf = new byte[256];
            try {
                while (in.read(buf) >= 0) {
                    // ferry sends nothing on stdin; read until it closes
                }
            } catch (IOException ignored) {
                // a broken stdin means ferry has gone too
            }
            System.err.println("ferry closed the plugin host's stdin; exiting");
            haltLater();
            System.exit(0);
        }, "stdin-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** A plugin's shutdown hook that hangs must not keep an orphaned host alive. */
    private static void haltLater() {
        Thread halt = new Thread(() -> {
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException ignored) {
                return;
            }
            Runtime.getRuntime().halt(1);
        }, "halt-after-exit");
        halt.setDaemon(true);
        halt.start();
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // ferry removes the socket's directory anyway
        }
    }
}
