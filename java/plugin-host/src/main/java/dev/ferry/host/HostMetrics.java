package dev.ferry.host;

import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;

import java.io.IOException;
import java.util.Map;

/**
 * pluginMetrics() for contexts: a working registry with no reporter, so a plugin that registers
 * metrics runs, though nothing is exported yet (version 1).
 */
final class HostMetrics {
    private static final Metrics METRICS = new Metrics();

    private HostMetrics() {
    }

    static PluginMetricsImpl forPlugin(Map<String, String> tags) {
        return new PluginMetricsImpl(METRICS, tags);
    }

    static void close(PluginMetricsImpl metrics) {
        if (metrics == null) {
            return;
        }
        try {
            metrics.close();
        } catch (IOException | RuntimeException ignored) {
            // metrics of a stopped plugin: nothing to keep
        }
    }
}
