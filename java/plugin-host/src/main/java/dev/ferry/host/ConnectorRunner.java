package dev.ferry.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.connect.connector.Connector;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.runtime.isolation.Plugins;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.maven.artifact.versioning.VersionRange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/** One connector instance on its connection: StartConnector, TaskConfigs, StopConnector, AlterOffsets. */
final class ConnectorRunner implements Runner {
    private static final Logger log = LoggerFactory.getLogger(ConnectorRunner.class);

    private final Plugins plugins;
    private final Connection connection;
    private Connector connector;
    private ClassLoader loader;
    private HostConnectorContext context;
    private boolean started;

    ConnectorRunner(Plugins plugins, Connection connection) {
        this.plugins = plugins;
        this.connection = connection;
    }

    /** StartConnector: initialize(context) then start(config). */
    byte[] start(JsonNode body) throws Exception {
        String name = Json.required(body, "name").asText();
        String className = Json.required(body, "class").asText();
        Map<String, String> config = Json.stringMap(body.get("config"));
        VersionRange range = Versions.range(Json.text(body, "version"), config);
        loader = plugins.connectorLoader(className, range);
        context = new HostConnectorContext(name, connection);
        ObjectNode reply = Json.object();
        Loaders.run(loader, () -> {
            connector = plugins.newConnector(className, range);
            log.info("Instantiated connector {} with version {} of type {}", name, connector.version(), connector.getClass());
            connector.initialize(context);
            connector.start(config);
            started = true;
            reply.put("type", ConnectorInfo.type(connector));
            reply.put("version", connector.version());
            reply.put("task_class", connector.taskClass().getName());
        });
        return Json.write(reply);
    }

    @Override
    public byte[] handle(int type, byte[] body) throws Exception {
        JsonNode json = Json.parse(body);
        switch (type) {
            case Protocol.TASK_CONFIGS:
                return taskConfigs(json);
            case Protocol.STOP_CONNECTOR:
                stop();
                return Protocol.EMPTY;
            case Protocol.ALTER_OFFSETS:
                return alterOffsets(json);
            default:
                throw new IllegalStateException("message type " + type + " is not for a connector connection");
        }
    }

    private byte[] taskConfigs(JsonNode body) throws Exception {
        requireRunning();
        int maxTasks = Json.required(body, "max_tasks").asInt();
        List<Map<String, String>> configs = Loaders.with(loader, () -> connector.taskConfigs(maxTasks));
        ObjectNode reply = Json.object();
        ArrayNode tasks = reply.putArray("tasks");
        if (configs != null) {
            configs.forEach(c -> tasks.add(Json.fromStringMap(c)));
        }
        return Json.write(reply);
    }

    private void stop() throws Exception {
        requireRunning();
        started = false;
        try {
            Loaders.run(loader, connector::stop);
        } finally {
            context.close();
        }
    }

    /**
     * alterOffsets on this connector, or, when the connection started none, on a fresh
     * instance that is not initialized or started, as Kafka alters a stopped connector's offsets.
     */
    private byte[] alterOffsets(JsonNode body) throws Exception {
        Map<String, String> config = Json.stringMap(body.get("config"));
        Connector target = connector;
        ClassLoader targetLoader = loader;
        if (target == null) {
            String className = config.get("connector.class");
            if (className == null) {
                throw new ConnectException("AlterOffsets on a connection without a connector needs connector.class in its config");
            }
            VersionRange range = Versions.range(null, config);
            targetLoader = plugins.connectorLoader(className, range);
            target = Loaders.with(targetLoader, () -> plugins.newConnector(className, range));
        }
        JsonNode offsets = body.get("offsets");
        Connector chosen = target;
        boolean altered = Loaders.with(targetLoader, () -> {
            if (chosen instanceof SinkConnector sink) {
                return sink.alterOffsets(config, AlterOffsetsJson.sinkOffsets(offsets));
            }
            if (chosen instanceof SourceConnector source) {
                return source.alterOffsets(config, AlterOffsetsJson.sourceOffsets(offsets));
            }
            throw new ConnectException(chosen.getClass().getName() + " is neither a source nor a sink connector");
        });
        ObjectNode reply = Json.object();
        reply.put("altered", altered);
        return Json.write(reply);
    }

    private void requireRunning() {
        if (!started) {
            throw new IllegalStateException("the connector on this connection is not running");
        }
    }

    @Override
    public void abandon() {
        if (!started) {
            return;
        }
        try {
            stop();
        } catch (Throwable t) {
            log.warn("Stopping abandoned connector failed", t);
        }
    }
}
