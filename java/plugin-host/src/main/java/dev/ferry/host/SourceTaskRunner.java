package dev.ferry.host;

import org.apache.kafka.connect.runtime.isolation.Plugins;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/** A source task on its connection: StartSourceTask, Poll, Commit, StopTask. */
final class SourceTaskRunner implements Runner {
    private static final Logger log = LoggerFactory.getLogger(SourceTaskRunner.class);

    private final Plugins plugins;
    private final Connection connection;
    private TaskSpec spec;
    private ClassLoader loader;
    private SourceTask task;
    private TaskPipeline<SourceRecord> pipeline;
    private SourceRecordsEncoder encoder;
    private HostSourceTaskContext context;
    private SnapshotMetricsBridge snapshot;
    private boolean started;

    SourceTaskRunner(Plugins plugins, Connection connection) {
        this.plugins = plugins;
        this.connection = connection;
    }

    /** Builds converters, header converter and transforms, then initialize(context) and start(config). */
    byte[] start(TaskSpec spec) throws Exception {
        this.spec = spec;
        loader = plugins.connectorLoader(spec.connectorClass(), spec.range());
        Loaders.run(loader, () -> {
            pipeline = TaskPipeline.build(plugins, spec.connectorConfig(), spec.workerConfig(), loader, spec.taskName());
            encoder = new SourceRecordsEncoder(pipeline);
            task = (SourceTask) spec.newTask(plugins, loader);
            log.info("Instantiated task {} with version {} of type {}", spec.taskName(), task.version(), task.getClass().getName());
            context = new HostSourceTaskContext(spec, connection);
            snapshot = new SnapshotMetricsBridge(spec.connectorConfig(), spec.taskId());
            task.initialize(context);
            task.start(spec.taskConfig());
            started = true;
        });
        return Protocol.EMPTY;
    }

    @Override
    public byte[] handle(int type, byte[] body) throws Exception {
        switch (type) {
            case Protocol.POLL:
                requireRunning();
                byte[] batch = Loaders.with(loader, () -> {
                    List<SourceRecord> records = task.poll();
                    return encoder.encode(records);
                });
                byte[] progress = snapshot.changed();
                if (progress != null) {
                    connection.event(Protocol.SNAPSHOT_PROGRESS, progress);
                }
                return batch;
            case Protocol.COMMIT:
                requireRunning();
                Loaders.run(loader, task::commit);
                return Protocol.EMPTY;
            case Protocol.STOP_TASK:
                stop();
                return Protocol.EMPTY;
            default:
                throw new IllegalStateException("message type " + type + " is not for a source task connection");
        }
    }

    private void requireRunning() {
        if (!started) {
            throw new IllegalStateException("the source task on this connection is not running");
        }
    }

    /** stop(), then the converters and transforms are closed; a task that never started is only cleaned up. */
    private void stop() throws Exception {
        boolean wasStarted = started;
        started = false;
        try {
            if (wasStarted) {
                Loaders.run(loader, task::stop);
            }
        } finally {
            release();
        }
    }

    private void release() {
        if (pipeline != null) {
            Quietly.close(pipeline::close);
            pipeline = null;
        }
        if (context != null) {
            context.close();
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
