package dev.ferry.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.runtime.isolation.Plugins;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A sink task on its connection: StartSinkTask, Open, Close, Put, PreCommit, StopTask. */
final class SinkTaskRunner implements Runner {
    private static final Logger log = LoggerFactory.getLogger(SinkTaskRunner.class);

    private final Plugins plugins;
    private final Connection connection;
    private TaskSpec spec;
    private ClassLoader loader;
    private SinkTask task;
    private TaskPipeline<SinkRecord> pipeline;
    private SinkRecordsDecoder decoder;
    private SinkContextCollector context;
    private boolean started;

    SinkTaskRunner(Plugins plugins, Connection connection) {
        this.plugins = plugins;
        this.connection = connection;
    }

    byte[] start(TaskSpec spec) throws Exception {
        this.spec = spec;
        loader = plugins.connectorLoader(spec.connectorClass(), spec.range());
        try {
            Loaders.run(loader, () -> {
                pipeline = TaskPipeline.build(plugins, spec.connectorConfig(), spec.workerConfig(), loader, spec.taskName());
                decoder = new SinkRecordsDecoder(pipeline, connection);
                task = (SinkTask) spec.newTask(plugins, loader);
                log.info("Instantiated task {} with version {} of type {}", spec.taskName(), task.version(), task.getClass().getName());
                context = new SinkContextCollector(spec, new ErrantReporterOverLane(connection));
                task.initialize(context);
                task.start(spec.taskConfig());
                started = true;
            });
        } finally {
            sendContext();
        }
        return Protocol.EMPTY;
    }

    @Override
    public byte[] handle(int type, byte[] body) throws Exception {
        try {
            return Loaders.with(loader, () -> call(type, body));
        } finally {
            // What the task asked of its context goes to ferry before this call's reply.
            sendContext();
        }
    }

    private byte[] call(int type, byte[] body) throws Exception {
        if (type == Protocol.STOP_TASK) {
            stop();
            return Protocol.EMPTY;
        }
        if (!started) {
            throw new IllegalStateException("the sink task on this connection is not running");
        }
        switch (type) {
            case Protocol.OPEN: {
                List<TopicPartition> partitions = partitions(Json.parse(body));
                context.assign(partitions);
                task.open(partitions);
                return Protocol.EMPTY;
            }
            case Protocol.CLOSE: {
                List<TopicPartition> partitions = partitions(Json.parse(body));
                try {
                    task.close(partitions);
                } finally {
                    context.unassign(partitions);
                }
                return Protocol.EMPTY;
            }
            case Protocol.PUT:
                task.put(decoder.decode(body));
                return Protocol.EMPTY;
            case Protocol.PRE_COMMIT:
                return preCommit(Json.parse(body));
            default:
                throw new IllegalStateException("message type " + type + " is not for a sink task connection");
        }
    }

    private byte[] preCommit(JsonNode body) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
        JsonNode list = body.get("offsets");
        if (list != null) {
            for (JsonNode o : list) {
                offsets.put(new TopicPartition(Json.required(o, "topic").asText(), Json.required(o, "partition").asInt()),
                        new OffsetAndMetadata(Json.required(o, "offset").asLong()));
            }
        }
        Map<TopicPartition, OffsetAndMetadata> committable = task.preCommit(offsets);
        ObjectNode reply = Json.object();
        ArrayNode out = reply.putArray("offsets");
        if (committable != null) {
            committable.forEach((tp, om) -> {
                if (om != null) {
                    out.addObject().put("topic", tp.topic()).put("partition", tp.partition()).put("offset", om.offset());
                }
            });
        }
        return Json.write(reply);
    }

    private static List<TopicPartition> partitions(JsonNode body) {
        List<TopicPartition> partitions = new ArrayList<>();
        JsonNode list = body.get("partitions");
        if (list != null) {
            for (JsonNode p : list) {
                partitions.add(new TopicPartition(Json.required(p, "topic").asText(), Json.required(p, "partition").asInt()));
            }
        }
        return partitions;
    }

    /** close(assigned) then stop(), as Kafka ends a sink task; then converters and transforms are closed. */
    private void stop() throws Exception {
        boolean wasStarted = started;
        started = false;
        try {
            if (wasStarted) {
                Loaders.run(loader, this::closeThenStop);
            }
        } finally {
            if (pipeline != null) {
                Quietly.close(pipeline::close);
                pipeline = null;
            }
            if (context != null) {
                context.close();
            }
        }
    }

    /** stop() runs even when close() failed; the first failure is reported, the other suppressed. */
    private void closeThenStop() throws Exception {
        Throwable failure = null;
        try {
            List<TopicPartition> assigned = new ArrayList<>(context.assignment());
            // Kafka closes only partitions still assigned: after a Close of all, none.
            if (!assigned.isEmpty()) {
                task.close(assigned);
                context.unassign(assigned);
            }
        } catch (Throwable t) {
            failure = t;
        }
        try {
            task.stop();
        } catch (Throwable t) {
            if (failure == null) {
                failure = t;
            } else {
                failure.addSuppressed(t);
            }
        }
        if (failure instanceof Exception e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    private void sendContext() {
        byte[] event = context == null ? null : context.drain();
        if (event != null) {
            connection.event(Protocol.SINK_CONTEXT, event);
        }
    }

    @Override
    public void abandon() {
        try {
            stop();
        } catch (Throwable t) {
            log.warn("Stopping abandoned task {} failed", spec == null ? "?" : spec.taskName(), t);
        }
    }
}
