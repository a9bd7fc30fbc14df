package dev.ferry.host;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.connect.errors.RetriableException;

import java.io.PrintWriter;
import java.io.StringWriter;

/** A throwable as the protocol's error object: class, message, printStackTrace text, retriable. */
final class Errors {
    private Errors() {
    }

    static ObjectNode toJson(Throwable t) {
        ObjectNode node = Json.object();
        node.put("class", t.getClass().getName());
        node.put("message", t.getMessage());
        node.put("trace", trace(t));
        node.put("retriable", t instanceof RetriableException);
        return node;
    }

    static byte[] toBody(Throwable t) {
        return Json.write(toJson(t));
    }

    /** Throwable.printStackTrace's text: the cause chain and suppressed throwables included. */
    static String trace(Throwable t) {
        StringWriter out = new StringWriter();
        try (PrintWriter writer = new PrintWriter(out)) {
            t.printStackTrace(writer);
        }
        return out.toString();
    }
}
