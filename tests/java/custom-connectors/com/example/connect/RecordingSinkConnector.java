package com.example.connect;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * A sink connector as a user would write one: its tasks append each record value as a line to
 * {@code file}, and, when {@code calls.file} is set, one line per call the runtime made
 * ({@code start}, {@code open [t-0]}, {@code put 5}, {@code preCommit}, {@code close [t-0]},
 * {@code stop}). A record whose value is {@code fail.on.value} makes {@code put} throw; one whose
 * value is {@code errant.on.value} is handed to the runtime's errant record reporter instead.
 */
public class RecordingSinkConnector extends SinkConnector {
    public static final String VERSION = "1.2.3";

    public static final String FILE = "file";
    public static final String CALLS_FILE = "calls.file";
    public static final String FAIL_ON_VALUE = "fail.on.value";
    public static final String ERRANT_ON_VALUE = "errant.on.value";

    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(FILE, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
                    Importance.HIGH, "The file each record value is appended to, one per line.")
            .define(CALLS_FILE, Type.STRING, null, Importance.LOW,
                    "A file that gets one line per call of the runtime into the task.")
            .define(FAIL_ON_VALUE, Type.STRING, null, Importance.LOW,
                    "A record value the task refuses with a ConnectException.")
            .define(ERRANT_ON_VALUE, Type.STRING, null, Importance.LOW,
                    "A record value the task reports to the errant record reporter and skips.");

    private Map<String, String> props;

    @Override
    public String version() {
        return VERSION;
    }

    @Override
    public void start(Map<String, String> props) {
        new AbstractConfig(CONFIG_DEF, props);
        this.props = new HashMap<>(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return RecordingSinkTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        List<Map<String, String>> configs = new ArrayList<>();
        for (int i = 0; i < maxTasks; i++) {
            configs.add(new HashMap<>(props));
        }
        return configs;
    }

    @Override
    public void stop() {
    }

    @Override
    public ConfigDef config() {
        return CONFIG_DEF;
    }
}
