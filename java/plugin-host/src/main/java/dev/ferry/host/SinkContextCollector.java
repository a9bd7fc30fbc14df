package dev.ferry.host;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.apache.kafka.connect.errors.IllegalWorkerStateException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkTaskContext;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A sink task's context. The consumer lives in ferry, so what the task asks of it (rewind
 * offsets, a retry timeout, pause, resume, a commit) is collected here and sent to ferry as one
 * SinkContext event before the reply of the call during which it happened (or the next call,
 * when a thread of the task's own asked in between). assignment() is what Open and Close said.
 */
final class SinkContextCollector implements SinkTaskContext {
    private final Map<String, String> config;
    private final Map<String, String> metricTags;
    private final Set<TopicPartition> assignment = new LinkedHashSet<>();
    private final Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
    private final Set<TopicPartition> pause = new LinkedHashSet<>();
    private final Set<TopicPartition> resume = new LinkedHashSet<>();
    private Long timeoutMs;
    private boolean requestCommit;
    private boolean touched;
    private PluginMetricsImpl metrics;
    private final ErrantRecordReporter reporter;

    SinkContextCollector(TaskSpec spec, ErrantRecordReporter reporter) {
        this.reporter = reporter;
        this.config = spec.taskConfig();
        this.metricTags = Map.of("connector", spec.connector(), "task", Integer.toString(spec.taskId()));
    }

    @Override
    public Map<String, String> configs() {
        return config;
    }

    @Override
    public synchronized void offset(Map<TopicPartition, Long> offsets) {
        this.offsets.putAll(offsets);
        touched = true;
    }

    @Override
    public synchronized void offset(TopicPartition tp, long offset) {
        offsets.put(tp, offset);
        touched = true;
    }

    @Override
    public synchronized void timeout(long timeoutMs) {
        this.timeoutMs = timeoutMs;
        touched = true;
    }

    @Override
    public synchronized Set<TopicPartition> assignment() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(assignment));
    }

    /** Kafka refuses to pause or resume a partition not assigned to the task; so does the host. */
    @Override
    public synchronized void pause(TopicPartition... partitions) {
        for (TopicPartition tp : partitions) {
            if (!assignment.contains(tp)) {
                throw new IllegalWorkerStateException("SinkTasks may not pause partitions that are not currently assigned to them.");
            }
        }
        for (TopicPartition tp : partitions) {
            resume.remove(tp);
            pause.add(tp);
        }
        touched = true;
    }

    @Override
    public synchronized void resume(TopicPartition... partitions) {
        for (TopicPartition tp : partitions) {
            if (!assignment.contains(tp)) {
                throw new IllegalWorkerStateException("SinkTasks may not resume partitions that are not currently assigned to them.");
            }
        }
        for (TopicPartition tp : partitions) {
            pause.remove(tp);
            resume.add(tp);
        }
        touched = true;
    }

    @Override
    public synchronized void requestCommit() {
        requestCommit = true;
        touched = true;
    }

    @Override
    public ErrantRecordReporter errantRecordReporter() {
        return reporter;
    }

    @Override
    public synchronized PluginMetrics pluginMetrics() {
        if (metrics == null) {
            metrics = HostMetrics.forPlugin(metricTags);
        }
        return metrics;
    }

    synchronized void assign(Collection<TopicPartition> partitions) {
        assignment.addAll(partitions);
    }

    synchronized void unassign(Collection<TopicPartition> partitions) {
        assignment.removeAll(partitions);
        pause.removeAll(partitions);
        resume.removeAll(partitions);
    }

    /** The SinkContext event body for what was asked since the last one, or null when nothing was. */
    synchronized byte[] drain() {
        if (!touched) {
            return null;
        }
        ObjectNode event = Json.object();
        ArrayNode offsetList = event.putArray("offsets");
        offsets.forEach((tp, offset) -> offsetList.addObject()
                .put("topic", tp.topic()).put("partition", tp.partition()).put("offset", offset));
        if (timeoutMs == null) {
            event.putNull("timeout_ms");
        } else {
            event.put("timeout_ms", timeoutMs);
        }
        event.set("pause", partitions(pause));
        event.set("resume", partitions(resume));
        event.put("request_commit", requestCommit);
        offsets.clear();
        pause.clear();
        resume.clear();
        timeoutMs = null;
        requestCommit = false;
        touched = false;
        return Json.write(event);
    }

    static ArrayNode partitions(Collection<TopicPartition> partitions) {
        ArrayNode list = Json.array();
        partitions.forEach(tp -> list.addObject().put("topic", tp.topic()).put("partition", tp.partition()));
        return list;
    }

    synchronized void close() {
        HostMetrics.close(metrics);
        metrics = null;
    }
}
