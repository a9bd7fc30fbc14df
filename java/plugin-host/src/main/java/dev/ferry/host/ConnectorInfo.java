package dev.ferry.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Connector;
import org.apache.kafka.connect.runtime.isolation.Plugins;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.source.SourceConnector;

import java.util.Map;

/** Describe and Validate: questions about a connector class answered by a fresh instance. */
final class ConnectorInfo {
    private ConnectorInfo() {
    }

    static byte[] describe(Plugins plugins, JsonNode body) throws Exception {
        String className = Json.required(body, "class").asText();
        Connector connector = plugins.newConnector(className, Versions.range(Json.text(body, "version"), null));
        return Loaders.with(connector.getClass().getClassLoader(), () -> {
            ObjectNode node = Json.object();
            node.put("class", connector.getClass().getName());
            node.put("type", type(connector));
            node.put("version", connector.version());
            ConfigDef def = connector.config();
            node.set("config_def", ConfigDefJson.keys(def == null ? new ConfigDef() : def));
            return Json.write(node);
        });
    }

    static byte[] validate(Plugins plugins, JsonNode body) throws Exception {
        String className = Json.required(body, "class").asText();
        Map<String, String> config = Json.stringMap(body.get("config"));
        Connector connector = plugins.newConnector(className, Versions.range(Json.text(body, "version"), config));
        return Loaders.with(connector.getClass().getClassLoader(), () -> {
            Config result = connector.validate(config);
            ObjectNode node = Json.object();
            node.set("values", ConfigDefJson.values(result.configValues(), connector.config()));
            return Json.write(node);
        });
    }

    static String type(Connector connector) {
        if (connector instanceof SourceConnector) {
            return "source";
        }
        if (connector instanceof SinkConnector) {
            return "sink";
        }
        return "unknown";
    }
}
