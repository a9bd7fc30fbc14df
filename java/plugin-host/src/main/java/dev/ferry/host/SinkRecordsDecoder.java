package dev.ferry.host;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.util.ConnectUtils;

import java.util.ArrayList;
import java.util.List;

/**
 * The Put body (SINK RECORDS): raw Kafka records turned into SinkRecords as Kafka's sink task
 * does (key and value converters with the record's headers, the header converter per header),
 * then through the transforms; dropped records are left out.
 *
 * A record a converter or transform fails on goes to ferry as a ReportErrant naming the stage and
 * the class, as Kafka's error handler names them: under errors.tolerance=all ferry logs it, writes
 * it to the dead letter queue and the record is skipped; under none ferry refuses and the task
 * fails with Kafka's "Tolerance exceeded in error handler", caused by the converter's exception.
 */
final class SinkRecordsDecoder {
    private final TaskPipeline<SinkRecord> pipeline;
    private final Connection connection;

    SinkRecordsDecoder(TaskPipeline<SinkRecord> pipeline, Connection connection) {
        this.pipeline = pipeline;
        this.connection = connection;
    }

    List<SinkRecord> decode(byte[] body) throws Exception {
        if (body.length == 0) {
            return new ArrayList<>();
        }
        BinaryReader in = new BinaryReader(body);
        int count = in.i32();
        List<SinkRecord> records = new ArrayList<>(Math.max(0, count));
        for (int i = 0; i < count; i++) {
            SinkRecord record = convertAndTransform(read(in));
            if (record != null) {
                records.add(record);
            }
        }
        return records;
    }

    /** One record as consumed. */
    private record Raw(String topic, int partition, long offset, long timestamp, TimestampType timestampType,
                       byte[] key, byte[] value, RecordHeaders headers) {
    }

    private Raw read(BinaryReader in) {
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
        return new Raw(topic, partition, offset, timestamp, timestampType, key, value, raw);
    }

    /** The record converted and transformed; null when a transform dropped it or it was skipped. */
    private SinkRecord convertAndTransform(Raw raw) throws Exception {
        String stage = "KEY_CONVERTER";
        Object culprit = pipeline.keyConverter;
        try {
            SchemaAndValue k = orNull(pipeline.keyConverter.toConnectData(raw.topic(), raw.headers(), raw.key()));
            stage = "VALUE_CONVERTER";
            culprit = pipeline.valueConverter;
            SchemaAndValue v = orNull(pipeline.valueConverter.toConnectData(raw.topic(), raw.headers(), raw.value()));
            stage = "HEADER_CONVERTER";
            culprit = pipeline.headerConverter;
            ConnectHeaders headers = new ConnectHeaders();
            for (org.apache.kafka.common.header.Header h : raw.headers()) {
                headers.add(h.key(), pipeline.headerConverter.toConnectHeader(raw.topic(), h.key(), h.value()));
            }
            Long ts = raw.timestampType() == TimestampType.NO_TIMESTAMP_TYPE
                ? null : ConnectUtils.checkAndConvertTimestamp(raw.timestamp());
            SinkRecord record = new SinkRecord(raw.topic(), raw.partition(), k.schema(), k.value(), v.schema(), v.value(),
                raw.offset(), ts, raw.timestampType(), headers);
            stage = "TRANSFORMATION";
            culprit = null;
            return pipeline.transforms.apply(record);
        } catch (Exception e) {
            String className = culprit != null ? culprit.getClass().getName() : pipeline.transforms.failedClass();
            report(raw, stage, className, e);
            return null;
        }
    }

    private void report(Raw raw, String stage, String className, Exception failure) {
        ObjectNode body = Errors.toJson(failure);
        body.put("topic", raw.topic());
        body.put("partition", raw.partition());
        body.put("offset", raw.offset());
        body.put("stage", stage);
        body.put("class_name", className);
        try {
            connection.ask(Protocol.REPORT_ERRANT, Json.write(body));
        } catch (ConnectException refused) {
            throw new ConnectException("Tolerance exceeded in error handler", failure);
        }
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
