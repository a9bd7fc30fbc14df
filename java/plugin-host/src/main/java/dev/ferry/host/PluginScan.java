package dev.ferry.host;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.connect.runtime.isolation.PluginDesc;
import org.apache.kafka.connect.runtime.isolation.Plugins;

import java.util.Collection;

/** The Scan reply: every connector, converter, header converter, transformation and predicate Kafka found. */
final class PluginScan {
    private PluginScan() {
    }

    static byte[] reply(Plugins plugins) {
        ArrayNode list = Json.array();
        add(list, plugins.sourceConnectors(), "source");
        add(list, plugins.sinkConnectors(), "sink");
        add(list, plugins.converters(), "converter");
        add(list, plugins.headerConverters(), "header_converter");
        add(list, plugins.transformations(), "transformation");
        add(list, plugins.predicates(), "predicate");
        ObjectNode node = Json.object();
        node.set("plugins", list);
        return Json.write(node);
    }

    private static void add(ArrayNode list, Collection<? extends PluginDesc<?>> descs, String type) {
        for (PluginDesc<?> desc : descs) {
            ObjectNode p = list.addObject();
            p.put("class", desc.className());
            p.put("type", type);
            // PluginDesc says "undefined" for a plugin that is not Versioned, as the protocol wants.
            p.put("version", desc.version() == null ? PluginDesc.UNDEFINED_VERSION : desc.version());
            p.put("location", desc.location());
        }
    }
}
