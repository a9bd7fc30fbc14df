package dev.ferry.bench;

import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.SourceConnector;

/**
 * The benchmark's source (bench/java-plugins.sh): one task emitting {@code count} small records,
 * {@code batch.size} per poll, as fast as poll is called. Value {@code record-000123} (a string:
 * meant for StringConverter), no key, source partition {@code {"bench": 0}}, source offset
 * {@code {"n": n}} (n from 0). After the last record every poll sleeps 100 ms and returns null.
 * It does as little as a source can, so that what is measured is the worker around it.
 */
public class BenchSourceConnector extends SourceConnector {
    public static final String VERSION = "1.0.0";

    public static final String TOPIC = "topic";
    public static final String COUNT = "count";
    public static final String BATCH_SIZE = "batch.size";

    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(TOPIC, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
                    Importance.HIGH, "The topic to write the records to.")
            .define(COUNT, Type.LONG, 1_000_000L, ConfigDef.Range.atLeast(0), Importance.MEDIUM,
                    "How many records the task emits.")
            .define(BATCH_SIZE, Type.INT, 2000, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
                    "The most records one poll returns.");

    private Map<String, String> props;

    @Override
    public String version() {
        return VERSION;
    }

    @Override
    public void start(Map<String, String> props) {
        new AbstractConfig(CONFIG_DEF, props); // refuses a bad config at start, as Kafka's do
        this.props = Map.copyOf(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return BenchSourceTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        return List.of(props); // one task, whatever tasks.max says: one source partition
    }

    @Override
    public void stop() {
    }

    @Override
    public ConfigDef config() {
        return CONFIG_DEF;
    }
}
