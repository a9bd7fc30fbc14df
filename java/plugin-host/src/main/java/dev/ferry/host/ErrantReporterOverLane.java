package dev.ferry.host;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * A sink task's errant record reporter: each report is a ReportErrant request to ferry, which
 * finds the record's original bytes by topic, partition and offset and applies the connector's
 * error policy (log, dead letter queue). Under errors.tolerance=none ferry refuses, and report
 * throws, failing the task as Kafka's reporter does. The returned future is already complete:
 * ferry answered once the dead letter queue write was acknowledged.
 */
final class ErrantReporterOverLane implements ErrantRecordReporter {
    private final Connection connection;

    ErrantReporterOverLane(Connection connection) {
        this.connection = connection;
    }

    @Override
    public Future<Void> report(SinkRecord record, Throwable error) {
        ObjectNode body = Errors.toJson(error);
        // The record as consumed, before any transform renamed its topic or partition.
        body.put("topic", record.originalTopic());
        body.put("partition", record.originalKafkaPartition());
        body.put("offset", record.originalKafkaOffset());
        connection.ask(Protocol.REPORT_ERRANT, Json.write(body));
        return CompletableFuture.completedFuture(null);
    }
}
