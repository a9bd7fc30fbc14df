package dev.ferry.host;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.util.ConnectUtils;

import java.util.List;

/**
 * The Poll reply (RECORDS): each polled record through the transforms, then the header, key and
 * value converters, as Kafka's source task turns a SourceRecord into a ProducerRecord. Dropped
 * records are left out; source partition and offset are the pre-transform record's, as Kafka
 * commits them.
 */
final class SourceRecordsEncoder {
    private final TaskPipeline<SourceRecord> pipeline;
    private final OffsetJson offsets = OffsetJson.INSTANCE;

    SourceRecordsEncoder(TaskPipeline<SourceRecord> pipeline) {
        this.pipeline = pipeline;
    }

    /** The RECORDS body; empty (no bytes) when nothing is left to send. */
    byte[] encode(List<SourceRecord> polled) throws Exception {
        if (polled == null || polled.isEmpty()) {
            return Protocol.EMPTY;
        }
        BinaryWriter records = new BinaryWriter();
        int count = 0;
        for (SourceRecord original : polled) {
            SourceRecord record = pipeline.transforms.apply(original);
            if (record == null) {
                continue;
            }
            write(records, original, record);
            count++;
        }
        if (count == 0) {
            return Protocol.EMPTY;
        }
        // the count goes first but is known only now
        return withCount(count, records.toByteArray());
    }

    private void write(BinaryWriter out, SourceRecord original, SourceRecord record) {
        String topic = record.topic();
        if (topic == null) {
            throw new ConnectException("a source record has no topic: " + record);
        }
        RecordHeaders headers = new RecordHeaders();
        for (Header h : record.headers()) {
            headers.add(h.key(), pipeline.headerConverter.fromConnectHeader(topic, h.key(), h.schema(), h.value()));
        }
        byte[] key = pipeline.keyConverter.fromConnectData(topic, headers, record.keySchema(), record.key());
        byte[] value = pipeline.valueConverter.fromConnectData(topic, headers, record.valueSchema(), record.value());
        Long timestamp = ConnectUtils.checkAndConvertTimestamp(record.timestamp());
        out.str(topic);
        out.i32(record.kafkaPartition() == null ? -1 : record.kafkaPartition());
        out.i8(timestamp == null ? 0 : 1);
        out.i64(timestamp == null ? 0 : timestamp);
        out.bytes(key);
        out.bytes(value);
        org.apache.kafka.common.header.Header[] raw = headers.toArray();
        out.i32(raw.length);
        for (org.apache.kafka.common.header.Header h : raw) {
            out.str(h.key());
            out.bytes(h.value());
        }
        out.str(offsets.write(original.sourcePartition()));
        out.str(offsets.write(original.sourceOffset()));
    }

    private static byte[] withCount(int count, byte[] records) {
        byte[] body = new byte[4 + records.length];
        body[0] = (byte) (count >>> 24);
        body[1] = (byte) (count >>> 16);
        body[2] = (byte) (count >>> 8);
        body[3] = (byte) count;
        System.arraycopy(records, 0, body, 4, records.length);
        return body;
    }
}
