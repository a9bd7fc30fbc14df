package dev.ferry.host;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.runtime.isolation.Plugins;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Kafka's Plugins (class loaders from plugin.path), built once per host from the first message
 * that carries the worker's configuration. A later message naming another plugin.path is
 * refused: the loaders of one host cannot change.
 */
final class PluginRegistry {
    private static final Logger log = LoggerFactory.getLogger(PluginRegistry.class);
    static final String PLUGIN_PATH = "plugin.path";
    static final String PLUGIN_DISCOVERY = "plugin.discovery";
    /** Kafka's default when the worker does not say. */
    static final String DEFAULT_DISCOVERY = "hybrid_warn";

    private Plugins plugins;
    private List<String> pluginPath;
    private String discovery;

    /** The worker configuration a message carries ("worker" or "worker_config"), or null. */
    static Map<String, String> workerConfig(JsonNode body) {
        JsonNode worker = body.get("worker");
        if (worker == null || worker.isNull()) {
            worker = body.get("worker_config");
        }
        return worker == null || worker.isNull() ? null : Json.stringMap(worker);
    }

    /** Plugins for a message other than Scan. */
    Plugins forMessage(JsonNode body) {
        Map<String, String> worker = workerConfig(body);
        if (worker == null) {
            return existing();
        }
        return get(splitPath(worker.get(PLUGIN_PATH)), worker.get(PLUGIN_DISCOVERY));
    }

    /** Plugins for Scan, whose plugin_path and discovery win over the worker's keys. */
    Plugins forScan(JsonNode body) {
        Map<String, String> worker = workerConfig(body);
        JsonNode path = body.get("plugin_path");
        List<String> elements;
        if (path != null && path.isArray()) {
            elements = new ArrayList<>();
            for (JsonNode e : path) {
                elements.addAll(splitPath(e.asText()));
            }
        } else if (path != null && !path.isNull()) {
            elements = splitPath(path.asText());
        } else if (worker != null) {
            elements = splitPath(worker.get(PLUGIN_PATH));
        } else {
            return existing();
        }
        String mode = Json.text(body, "discovery");
        if (mode == null && worker != null) {
            mode = worker.get(PLUGIN_DISCOVERY);
        }
        return get(elements, mode);
    }

    private synchronized Plugins existing() {
        if (plugins == null) {
            throw new ConnectException("the plugin host has no plugin.path yet: the first message of a "
                    + "connection must carry the worker's configuration (\"worker\" or \"worker_config\")");
        }
        return plugins;
    }

    private synchronized Plugins get(List<String> path, String mode) {
        String wanted = mode == null || mode.isBlank() ? DEFAULT_DISCOVERY : mode.trim();
        if (plugins != null) {
            if (!pluginPath.equals(path)) {
                throw new ConnectException("this plugin host loaded plugin.path " + String.join(",", pluginPath)
                        + " and cannot load another (" + String.join(",", path) + "); restart the host");
            }
            if (!discovery.equalsIgnoreCase(wanted)) {
                log.warn("plugin.discovery {} asked, but this host scanned with {}", wanted, discovery);
            }
            return plugins;
        }
        Map<String, String> props = new HashMap<>();
        if (!path.isEmpty()) {
            props.put(PLUGIN_PATH, String.join(",", path));
        }
        props.put(PLUGIN_DISCOVERY, wanted);
        long started = System.nanoTime();
        plugins = new Plugins(props);
        pluginPath = path;
        discovery = wanted;
        log.info("Loaded plugins from plugin.path={} with plugin.discovery={} in {} ms",
                props.getOrDefault(PLUGIN_PATH, ""), wanted, (System.nanoTime() - started) / 1_000_000);
        return plugins;
    }

    /** plugin.path as Kafka splits it: on commas, elements trimmed; empty elements dropped here. */
    private static List<String> splitPath(String value) {
        List<String> elements = new ArrayList<>();
        if (value == null) {
            return elements;
        }
        for (String e : value.split(",")) {
            if (!e.trim().isEmpty()) {
                elements.add(e.trim());
            }
        }
        return elements;
    }
}
