package dev.ferry.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.storage.OffsetStorageReader;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A connector's or task's OffsetStorageReader: each read is a ReadOffsets request to ferry on
 * the same connection, answered with what ferry committed.
 */
final class OffsetReaderOverLane implements OffsetStorageReader {
    private final Connection connection;
    private final OffsetJson json = OffsetJson.INSTANCE;

    OffsetReaderOverLane(Connection connection) {
        this.connection = connection;
    }

    @Override
    public <T> Map<String, Object> offset(Map<String, T> partition) {
        return offsets(Collections.singletonList(partition)).get(partition);
    }

    @Override
    public <T> Map<Map<String, T>, Map<String, Object>> offsets(Collection<Map<String, T>> partitions) {
        List<Map<String, T>> asked = new ArrayList<>(partitions);
        // Answers are matched to the maps asked for by their JSON, whatever the order of keys.
        Map<JsonNode, Map<String, T>> byJson = new HashMap<>();
        ObjectNode request = Json.object();
        ArrayNode list = request.putArray("partitions");
        for (Map<String, T> partition : asked) {
            JsonNode node = json.tree(partition);
            byJson.put(node, partition);
            list.add(node);
        }
        JsonNode reply = Json.parse(connection.ask(Protocol.READ_OFFSETS, Json.write(request)));
        JsonNode offsets = reply.get("offsets");
        Map<Map<String, T>, Map<String, Object>> result = new HashMap<>();
        if (offsets == null || !offsets.isArray()) {
            throw new ConnectException("ferry's answer to ReadOffsets has no \"offsets\" list: " + reply);
        }
        int index = 0;
        for (JsonNode entry : offsets) {
            Map<String, T> partition = byJson.get(entry.get("partition"));
            if (partition == null && offsets.size() == asked.size()) {
                // an answer whose partition JSON differs in form (1 vs 1.0) still answers in order
                partition = asked.get(index);
            }
            index++;
            Map<String, Object> offset = json.read(entry.get("offset"));
            // As Kafka's reader: partitions without an offset are left out of the map.
            if (partition != null && offset != null) {
                result.put(partition, offset);
            }
        }
        return result;
    }
}
