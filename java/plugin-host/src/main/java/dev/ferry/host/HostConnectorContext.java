package dev.ferry.host;

import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.apache.kafka.connect.sink.SinkConnectorContext;
import org.apache.kafka.connect.source.SourceConnectorContext;
import org.apache.kafka.connect.storage.OffsetStorageReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * The context a connector is initialized with. Its calls may come from any thread of the
 * connector, at any time; they become events (14, 15) or ReadOffsets requests on the
 * connector's connection.
 */
final class HostConnectorContext implements SourceConnectorContext, SinkConnectorContext {
    private static final Logger log = LoggerFactory.getLogger(HostConnectorContext.class);

    private final String name;
    private final Connection connection;
    private final OffsetStorageReader offsets;
    private PluginMetricsImpl metrics;

    HostConnectorContext(String name, Connection connection) {
        this.name = name;
        this.connection = connection;
        this.offsets = new OffsetReaderOverLane(connection);
    }

    @Override
    public void requestTaskReconfiguration() {
        connection.event(Protocol.REQUEST_TASK_RECONFIGURATION, Protocol.EMPTY);
    }

    @Override
    public void raiseError(Exception e) {
        log.error("Connector {} raised an error", name, e);
        connection.event(Protocol.RAISE_ERROR, Errors.toBody(e));
    }

    @Override
    public OffsetStorageReader offsetStorageReader() {
        return offsets;
    }

    @Override
    public synchronized PluginMetrics pluginMetrics() {
        if (metrics == null) {
            metrics = HostMetrics.forPlugin(Map.of("connector", name));
        }
        return metrics;
    }

    synchronized void close() {
        HostMetrics.close(metrics);
        metrics = null;
    }
}
