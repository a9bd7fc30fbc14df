package dev.ferry.host;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.util.ConnectUtils;

import java.util.ArrayList;
import java.util.List;

/**
 * The Put body (SINK RECORDS): raw Kafka records turned into SinkRecords as Kafka's sink task
 * does (key and value converters with the record's headers, the header converter per header),
 * then through the transforms; dropped records are left out.
 */
final class SinkRecordsDecoder {
    private final TaskPipeline<SinkRecord> pipeline;

    SinkRecordsDecoder(TaskPipeline<SinkRecord> pipeline) {
        this.pipeline = pipeline;
    }

    List<SinkRecord> decode(byte[] body) throws Exception {
        if (body.length == 0) {
            return new ArrayList<>();
        }
        BinaryReader in = new BinaryReader(body);
        int count = in.i32();
        List<SinkRecord> records = new ArrayList<>(Math.max(0, count));
        for (int i = 0; i < count; i++) {
            SinkRecord record = pipeline.transforms.apply(read(in));
            if (record != null) {
                records.add(record);
            }
        }
        return records;
    }

    private SinkRecord read(BinaryReader in) {
        String topic = in.str();
        int partition = in.i32();
        long offset = in.i64();
        long timestamp = in.i64();
        TimestampType timestampType = timestampType(in.i8());
        byte[] key = in.bytes();
        byte[] value = in.bytes();
        int headerCount = in.i32();
        RecordHeaders raw = new RecordHeaders();
        for (int i = 0; i < headerCount; i++) {
            raw.add(in.str(), in.bytes());
        }
        SchemaAndValue k = orNull(pipeline.keyConverter.toConnectData(topic, raw, key));
        SchemaAndValue v = orNull(pipeline.valueConverter.toConnectData(topic, raw, value));
        ConnectHeaders headers = new ConnectHeaders();
        for (org.apache.kafka.common.header.Header h : raw) {
            headers.add(h.key(), pipeline.headerConverter.toConnectHeader(topic, h.key(), h.value()));
        }
        Long ts = timestampType == TimestampType.NO_TIMESTAMP_TYPE ? null : ConnectUtils.checkAndConvertTimestamp(timestamp);
        return new SinkRecord(topic, partition, k.schema(), k.value(), v.schema(), v.value(), offset, ts, timestampType, headers);
    }

    private static SchemaAndValue orNull(SchemaAndValue converted) {
        return converted == null ? SchemaAndValue.NULL : converted;
    }

    private static TimestampType timestampType(int code) {
        return switch (code) {
            case 1 -> TimestampType.CREATE_TIME;
            case 2 -> TimestampType.LOG_APPEND_TIME;
            default -> TimestampType.NO_TIMESTAMP_TYPE;
        };
    }
}
