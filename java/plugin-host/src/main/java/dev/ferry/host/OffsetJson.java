package dev.ferry.host;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.json.JsonConverterConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Source partitions and offsets to and from JSON with Kafka's JsonConverter, schemas off, as
 * Kafka's offset writer and reader do: offsets written by a Java worker, by ferry or by this
 * host read back alike, and whole numbers come back as Long.
 */
final class OffsetJson {
    /** One for the host, as Kafka's worker shares one internal converter: it keeps no per-task state. */
    static final OffsetJson INSTANCE = new OffsetJson();

    private final JsonConverter converter = new JsonConverter();

    private OffsetJson() {
        converter.configure(Map.of(JsonConverterConfig.SCHEMAS_ENABLE_CONFIG, "false"), true);
    }

    /** A map as JSON text; a null map is "null". */
    String write(Map<String, ?> map) {
        if (map == null) {
            return "null";
        }
        byte[] bytes = converter.fromConnectData("", null, map);
        return bytes == null ? "null" : new String(bytes, StandardCharsets.UTF_8);
    }

    /** A map as a JSON tree, to embed in a message. */
    JsonNode tree(Map<String, ?> map) {
        try {
            return Json.MAPPER.readTree(write(map));
        } catch (IOException e) {
            throw new ConnectException("cannot read back the JSON of " + map, e);
        }
    }

    /** A JSON object as the Java map a connector gets; JSON null (or absent) is null. */
    @SuppressWarnings("unchecked")
    Map<String, Object> read(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        SchemaAndValue value = converter.toConnectData("", Json.write(node));
        if (value.value() != null && !(value.value() instanceof Map)) {
            throw new ConnectException("an offset or partition must be a JSON object, not " + node);
        }
        return (Map<String, Object>) value.value();
    }
}
