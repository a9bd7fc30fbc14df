package dev.ferry.host;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.connect.runtime.isolation.Plugins;

/**
 * What one connection serves: one-off questions (Hello, Scan, Describe, Validate), or, from its
 * first Start message on, one connector or one task, to which later messages go.
 */
final class Session {
    private final PluginRegistry registry;
    private final Connection connection;
    private Runner runner;

    Session(PluginRegistry registry, Connection connection) {
        this.registry = registry;
        this.connection = connection;
    }

    byte[] handle(int type, byte[] body) throws Exception {
        switch (type) {
            case Protocol.HELLO:
                return Hello.reply();
            case Protocol.SCAN:
                return PluginScan.reply(registry.forScan(Json.parse(body)));
            case Protocol.DESCRIBE: {
                JsonNode json = Json.parse(body);
                return ConnectorInfo.describe(registry.forMessage(json), json);
            }
            case Protocol.VALIDATE: {
                JsonNode json = Json.parse(body);
                return ConnectorInfo.validate(registry.forMessage(json), json);
            }
            case Protocol.START_CONNECTOR:
                return startConnector(Json.parse(body));
            case Protocol.START_SOURCE_TASK:
                return startSourceTask(Json.parse(body));
            case Protocol.START_SINK_TASK:
                return startSinkTask(Json.parse(body));
            case Protocol.ALTER_OFFSETS:
                if (runner == null) {
                    // Kafka alters a stopped connector's offsets on a fresh instance; so may ferry.
                    JsonNode json = Json.parse(body);
                    runner = new ConnectorRunner(registry.forMessage(json), connection);
                }
                return runner.handle(type, body);
            default:
                if (runner == null) {
                    throw new IllegalStateException("message type " + type
                            + " needs a connector or task started on this connection first");
                }
                return runner.handle(type, body);
        }
    }

    private byte[] startConnector(JsonNode body) throws Exception {
        requireFresh();
        Plugins plugins = registry.forMessage(body);
        connection.name("connector-" + Json.required(body, "name").asText());
        ConnectorRunner connector = new ConnectorRunner(plugins, connection);
        runner = connector;
        return connector.start(body);
    }

    private byte[] startSourceTask(JsonNode body) throws Exception {
        requireFresh();
        Plugins plugins = registry.forMessage(body);
        TaskSpec spec = TaskSpec.parse(body);
        connection.name(spec.threadName());
        SourceTaskRunner task = new SourceTaskRunner(plugins, connection);
        runner = task;
        return task.start(spec);
    }

    private byte[] startSinkTask(JsonNode body) throws Exception {
        requireFresh();
        Plugins plugins = registry.forMessage(body);
        TaskSpec spec = TaskSpec.parse(body);
        connection.name(spec.threadName());
        SinkTaskRunner task = new SinkTaskRunner(plugins, connection);
        runner = task;
        return task.start(spec);
    }

    private void requireFresh() {
        if (runner != null) {
            throw new IllegalStateException("this connection already serves a connector or task");
        }
    }

    /** ferry closed the connection. */
    void closed() {
        if (runner != null) {
            runner.abandon();
        }
    }
}
