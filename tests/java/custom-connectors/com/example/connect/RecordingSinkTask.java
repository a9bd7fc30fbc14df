package com.example.connect;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/** See {@link RecordingSinkConnector}. */
public class RecordingSinkTask extends SinkTask {
    private Path file;
    private Path calls;
    private String failOn;
    private String errantOn;

    @Override
    public String version() {
        return RecordingSinkConnector.VERSION;
    }

    @Override
    public void start(Map<String, String> props) {
        AbstractConfig config = new AbstractConfig(RecordingSinkConnector.CONFIG_DEF, props);
        file = Paths.get(config.getString(RecordingSinkConnector.FILE));
        String callsFile = config.getString(RecordingSinkConnector.CALLS_FILE);
        calls = callsFile == null || callsFile.isEmpty() ? null : Paths.get(callsFile);
        failOn = config.getString(RecordingSinkConnector.FAIL_ON_VALUE);
        errantOn = config.getString(RecordingSinkConnector.ERRANT_ON_VALUE);
        call("start");
    }

    @Override
    public void open(Collection<TopicPartition> partitions) {
        call("open " + names(partitions));
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        call("put " + records.size());
        StringBuilder lines = new StringBuilder();
        try {
            for (SinkRecord record : records) {
                String value = String.valueOf(record.value());
                if (value.equals(failOn)) {
                    throw new ConnectException("refusing " + value);
                }
                if (value.equals(errantOn)) {
                    ErrantRecordReporter reporter = context.errantRecordReporter();
                    if (reporter == null) {
                        throw new ConnectException("no errant record reporter for " + value);
                    }
                    reporter.report(record, new IllegalArgumentException("cannot write " + value));
                    call("errant " + value);
                    continue;
                }
                lines.append(value).append('\n');
            }
        } finally {
            append(file, lines.toString());
        }
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(
            Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        call("preCommit");
        return super.preCommit(currentOffsets);
    }

    @Override
    public void close(Collection<TopicPartition> partitions) {
        call("close " + names(partitions));
    }

    @Override
    public void stop() {
        call("stop");
    }

    /** {@code [t-0, t-1]}, sorted. */
    private static String names(Collection<TopicPartition> partitions) {
        return partitions.stream().map(TopicPartition::toString).sorted()
                .collect(Collectors.joining(", ", "[", "]"));
    }

    private void call(String line) {
        if (calls != null) {
            append(calls, line + "\n");
        }
    }

    private static void append(Path path, String text) {
        if (text.isEmpty()) {
            return;
        }
        try {
            Files.write(path, text.getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + path, e);
        }
    }
}
