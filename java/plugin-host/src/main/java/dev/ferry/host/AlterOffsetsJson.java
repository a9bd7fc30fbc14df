package dev.ferry.host;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;

import java.util.HashMap;
import java.util.Map;

/**
 * The offsets of an AlterOffsets request as the maps alterOffsets takes. Partitions and offsets
 * are parsed as Kafka's REST layer parses them (Jackson maps); a sink's use Kafka's keys
 * kafka_topic, kafka_partition and kafka_offset.
 */
final class AlterOffsetsJson {
    private AlterOffsetsJson() {
    }

    @SuppressWarnings("unchecked")
    static Map<Map<String, ?>, Map<String, ?>> sourceOffsets(JsonNode offsets) {
        Map<Map<String, ?>, Map<String, ?>> result = new HashMap<>();
        if (offsets == null) {
            return result;
        }
        for (JsonNode entry : offsets) {
            Map<String, ?> partition = Json.MAPPER.convertValue(entry.get("partition"), Map.class);
            JsonNode offset = entry.get("offset");
            result.put(partition, offset == null || offset.isNull() ? null : Json.MAPPER.convertValue(offset, Map.class));
        }
        return result;
    }

    static Map<TopicPartition, Long> sinkOffsets(JsonNode offsets) {
        Map<TopicPartition, Long> result = new HashMap<>();
        if (offsets == null) {
            return result;
        }
        for (JsonNode entry : offsets) {
            JsonNode partition = entry.get("partition");
            JsonNode topic = partition == null ? null : partition.get("kafka_topic");
            JsonNode number = partition == null ? null : partition.get("kafka_partition");
            if (topic == null || !topic.isTextual() || number == null || !number.canConvertToInt()) {
                throw new ConnectException("a sink connector's partition needs kafka_topic and kafka_partition: " + partition);
            }
            JsonNode offset = entry.get("offset");
            Long value = null;
            if (offset != null && !offset.isNull()) {
                JsonNode n = offset.get("kafka_offset");
                if (n == null || !n.canConvertToLong()) {
                    throw new ConnectException("a sink connector's offset needs kafka_offset: " + offset);
                }
                value = n.asLong();
            }
            result.put(new TopicPartition(topic.asText(), number.asInt()), value);
        }
        return result;
    }
}
