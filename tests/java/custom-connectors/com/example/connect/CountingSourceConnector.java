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
import org.apache.kafka.connect.source.SourceConnector;

/**
 * A source connector as a user would write one: it counts. Each source partition {@code {"p": P}}
 * gets records {@code p<P>-<n>} / {@code v<n>} for n in [0, count), offset {@code {"n": n}}.
 * The partitions are split over at most {@code tasks.max} tasks.
 *
 * <p>{@code reconfigure.to}: once the first task configs were asked for, a background thread
 * waits about a second, changes the partition count and calls
 * {@code context.requestTaskReconfiguration()}.
 */
public class CountingSourceConnector extends SourceConnector {
    public static final String VERSION = "1.2.3";

    public static final String TOPIC = "topic";
    public static final String COUNT = "count";
    public static final String PARTITIONS = "partitions";
    public static final String FAIL_AT = "fail.at";
    public static final String EXIT_AT = "exit.at";
    public static final String RECONFIGURE_TO = "reconfigure.to";
    /** Set by {@link #taskConfigs}: the source partitions of one task, comma-separated. */
    public static final String TASK_PARTITIONS = "task.partitions";

    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(TOPIC, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
                    Importance.HIGH, "The topic to write the records to.")
            .define(COUNT, Type.LONG, 1000L, ConfigDef.Range.atLeast(0), Importance.MEDIUM,
                    "How many records each source partition produces (one partition per task when"
                            + " tasks.max allows).")
            .define(PARTITIONS, Type.INT, 1, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
                    "How many source partitions there are: the most tasks the connector splits into.")
            .define(FAIL_AT, Type.LONG, -1L, Importance.LOW,
                    "When >= 0, a task throws when about to emit record number fail.at.")
            .define(EXIT_AT, Type.LONG, -1L, Importance.LOW,
                    "When >= 0, a task calls System.exit(3) when about to emit record number exit.at"
                            + " (a badly behaved plugin, ending the whole JVM).")
            .define(RECONFIGURE_TO, Type.INT, -1, Importance.LOW,
                    "When >= 1, about a second after the first task configs the connector changes"
                            + " its partition count to this and asks for a task reconfiguration.");

    private Map<String, String> props;
    private volatile int partitions;
    private int reconfigureTo;
    private Thread reconfigurer;

    @Override
    public String version() {
        return VERSION;
    }

    @Override
    public void start(Map<String, String> props) {
        AbstractConfig config = new AbstractConfig(CONFIG_DEF, props);
        this.props = new HashMap<>(props);
        this.partitions = config.getInt(PARTITIONS);
        this.reconfigureTo = config.getInt(RECONFIGURE_TO);
        System.err.println("CountingSourceConnector started with " + partitions + " partitions");
    }

    @Override
    public Class<? extends Task> taskClass() {
        return CountingSourceTask.class;
    }

    @Override
    public synchronized List<Map<String, String>> taskConfigs(int maxTasks) {
        int current = partitions;
        int groups = Math.max(1, Math.min(current, maxTasks));
        List<Map<String, String>> configs = new ArrayList<>();
        for (int task = 0; task < groups; task++) {
            StringBuilder mine = new StringBuilder();
            for (int p = task; p < current; p += groups) {
                if (mine.length() > 0) {
                    mine.append(',');
                }
                mine.append(p);
            }
            Map<String, String> config = new HashMap<>(props);
            config.put(TASK_PARTITIONS, mine.toString());
            configs.add(config);
        }
        if (reconfigureTo >= 1 && reconfigurer == null) {
            final int target = reconfigureTo;
            reconfigurer = new Thread(() -> {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                partitions = target;
                System.err.println("CountingSourceConnector: now " + target
                        + " partitions, asking for a task reconfiguration");
                context.requestTaskReconfiguration();
            }, "counting-reconfigure");
            reconfigurer.setDaemon(true);
            reconfigurer.start();
        }
        return configs;
    }

    @Override
    public synchronized void stop() {
        if (reconfigurer != null) {
            reconfigurer.interrupt();
        }
    }

    @Override
    public ConfigDef config() {
        return CONFIG_DEF;
    }
}
