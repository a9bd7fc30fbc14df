package dev.ferry.host;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The Hello reply: protocol version, host build, Java version, pid. */
final class Hello {
    private Hello() {
    }

    static byte[] reply() {
        ObjectNode node = Json.object();
        node.put("protocol", Protocol.VERSION);
        node.put("host_version", hostVersion());
        node.put("java_version", System.getProperty("java.version"));
        node.put("pid", ProcessHandle.current().pid());
        return Json.write(node);
    }

    /** Implementation-Version from host.jar's manifest (the pom's version). */
    static String hostVersion() {
        String version = Hello.class.getPackage().getImplementationVersion();
        return version != null ? version : "dev";
    }
}
