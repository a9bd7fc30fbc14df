package dev.ferry.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/** See {@link BenchSourceConnector}. */
public class BenchSourceTask extends SourceTask {
    private static final Map<String, Object> PARTITION = Map.of("bench", 0);

    private String topic;
    private long count;
    private int batchSize;
    /** The number of the next record to emit. */
    private long next;

    @Override
    public String version() {
        return BenchSourceConnector.VERSION;
    }

    @Override
    public void start(Map<String, String> props) {
        AbstractConfig config = new AbstractConfig(BenchSourceConnector.CONFIG_DEF, props);
        topic = config.getString(BenchSourceConnector.TOPIC);
        count = config.getLong(BenchSourceConnector.COUNT);
        batchSize = config.getInt(BenchSourceConnector.BATCH_SIZE);
        next = 0;
        // A restarted task goes on after the last committed record.
        Map<String, Object> offset = context.offsetStorageReader().offset(PARTITION);
        if (offset != null && offset.get("n") instanceof Number n) {
            next = n.longValue() + 1;
        }
    }

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
        if (next >= count) {
            Thread.sleep(100);
            return null;
        }
        int n = (int) Math.min(batchSize, count - next);
        List<SourceRecord> records = new ArrayList<>(n);
        for (int i = 0; i < n; i++, next++) {
            records.add(new SourceRecord(PARTITION, Map.of("n", next), topic, null, null, null,
                    Schema.STRING_SCHEMA, value(next)));
        }
        return records;
    }

    /** {@code record-} and n, zero-padded to at least six digits. */
    static String value(long n) {
        String digits = Long.toString(n);
        StringBuilder s = new StringBuilder(7 + Math.max(6, digits.length())).append("record-");
        for (int pad = digits.length(); pad < 6; pad++) {
            s.append('0');
        }
        return s.append(digits).toString();
    }

    @Override
    public void stop() {
    }
}
