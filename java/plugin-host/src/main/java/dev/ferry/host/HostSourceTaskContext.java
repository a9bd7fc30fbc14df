package dev.ferry.host;

import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.apache.kafka.connect.source.SourceTaskContext;
import org.apache.kafka.connect.storage.OffsetStorageReader;

import java.util.Map;

/** A source task's context: its config and offsets read from ferry over the task's connection. */
final class HostSourceTaskContext implements SourceTaskContext {
    private final Map<String, String> config;
    private final OffsetStorageReader offsets;
    private final Map<String, String> metricTags;
    private PluginMetricsImpl metrics;

    HostSourceTaskContext(TaskSpec spec, Connection connection) {
        this.config = spec.taskConfig();
        this.offsets = new OffsetReaderOverLane(connection);
        this.metricTags = Map.of("connector", spec.connector(), "task", Integer.toString(spec.taskId()));
    }

    @Override
    public Map<String, String> configs() {
        return config;
    }

    @Override
    public OffsetStorageReader offsetStorageReader() {
        return offsets;
    }

    @Override
    public synchronized PluginMetrics pluginMetrics() {
        if (metrics == null) {
            metrics = HostMetrics.forPlugin(metricTags);
        }
        return metrics;
    }

    synchronized void close() {
        HostMetrics.close(metrics);
        metrics = null;
    }
}
