package dev.ferry.host;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;

import java.util.Map;

/**
 * The worker keys a task falls back on when its connector config names no converter:
 * key.converter, value.converter, header.converter (default SimpleHeaderConverter, as in
 * Kafka's WorkerConfig) and their plugin.version keys. Only these are parsed, so a worker config
 * holding ferry's own keys parses too; the converters still get every key.converter.* etc.
 */
final class WorkerDefaults extends AbstractConfig {
    private static final ConfigDef DEF = new ConfigDef()
            .define("key.converter", ConfigDef.Type.CLASS, null, ConfigDef.Importance.HIGH, "Key converter class")
            .define("value.converter", ConfigDef.Type.CLASS, null, ConfigDef.Importance.HIGH, "Value converter class")
            .define("header.converter", ConfigDef.Type.CLASS, SimpleHeaderConverter.class.getName(),
                    ConfigDef.Importance.LOW, "Header converter class")
            .define("key.converter.plugin.version", ConfigDef.Type.STRING, null, ConfigDef.Importance.LOW, "")
            .define("value.converter.plugin.version", ConfigDef.Type.STRING, null, ConfigDef.Importance.LOW, "")
            .define("header.converter.plugin.version", ConfigDef.Type.STRING, null, ConfigDef.Importance.LOW, "");

    WorkerDefaults(Map<String, String> worker) {
        super(DEF, worker, false);
    }
}
