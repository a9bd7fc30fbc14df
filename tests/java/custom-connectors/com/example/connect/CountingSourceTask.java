package com.example.connect;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/**
 * Counts for its source partitions: key {@code p<P>-<n>}, value {@code v<n>}, partition
 * {@code {"p": P}}, offset {@code {"n": n}} (a Long). At start it reads each partition's committed
 * offset and goes on from n+1. Each poll sleeps about 100 ms and returns up to 100 records, or
 * null once every partition is done.
 */
public class CountingSourceTask extends SourceTask {
    static final int BATCH = 100;

    private String topic;
    private long count;
    private long failAt;
    private long exitAt;
    private int[] partitions;
    /** The next n of each partition, by index in {@code partitions}. */
    private long[] next;

    @Override
    public String version() {
        return CountingSourceConnector.VERSION;
    }

    @Override
    public void start(Map<String, String> props) {
        AbstractConfig config = new AbstractConfig(CountingSourceConnector.CONFIG_DEF, props);
        topic = config.getString(CountingSourceConnector.TOPIC);
        count = config.getLong(CountingSourceConnector.COUNT);
        failAt = config.getLong(CountingSourceConnector.FAIL_AT);
        exitAt = config.getLong(CountingSourceConnector.EXIT_AT);
        String mine = props.getOrDefault(CountingSourceConnector.TASK_PARTITIONS, "0");
        String[] parts = mine.isEmpty() ? new String[0] : mine.split(",");
        partitions = new int[parts.length];
        next = new long[parts.length];
        List<Map<String, Object>> keys = new ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            partitions[i] = Integer.parseInt(parts[i].trim());
            keys.add(sourcePartition(partitions[i]));
        }
        Map<Map<String, Object>, Map<String, Object>> committed =
                context.offsetStorageReader().offsets(keys);
        for (int i = 0; i < partitions.length; i++) {
            Map<String, Object> offset = committed == null ? null : committed.get(keys.get(i));
            Object n = offset == null ? null : offset.get("n");
            if (n != null && !(n instanceof Long)) {
                // Kafka's offset reader gives back a Long for a Long written.
                throw new IllegalStateException("offset n of partition " + partitions[i]
                        + " came back as " + n.getClass().getName() + ", not java.lang.Long");
            }
            next[i] = n == null ? 0 : (Long) n + 1;
            System.err.println("CountingSourceTask: partition " + partitions[i] + " starts at n="
                    + next[i] + " (committed offset " + offset + ")");
        }
    }

    static Map<String, Object> sourcePartition(int p) {
        return Collections.singletonMap("p", p);
    }

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
        Thread.sleep(100);
        List<SourceRecord> records = new ArrayList<>();
        for (int i = 0; i < partitions.length && records.size() < BATCH; i++) {
            int p = partitions[i];
            while (next[i] < count && records.size() < BATCH) {
                long n = next[i];
                if (n == exitAt) {
                    System.exit(3);
                }
                if (n == failAt) {
                    throw new IllegalStateException("boom at " + n,
                            new java.io.IOException("disk on fire"));
                }
                records.add(new SourceRecord(sourcePartition(p),
                        Collections.singletonMap("n", n), topic, null,
                        Schema.STRING_SCHEMA, "p" + p + "-" + n, Schema.STRING_SCHEMA, "v" + n));
                next[i] = n + 1;
            }
        }
        return records.isEmpty() ? null : records;
    }

    @Override
    public void stop() {
    }
}
