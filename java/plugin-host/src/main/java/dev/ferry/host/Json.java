package dev.ferry.host;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** JSON bodies: parsing, writing, and the config maps ({"key": "value"}) they carry. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    /** A request's JSON body; an empty body reads as {}. */
    static JsonNode parse(byte[] body) {
        if (body.length == 0) {
            return MAPPER.createObjectNode();
        }
        try {
            return MAPPER.readTree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("the request body is not JSON: " + e.getMessage(), e);
        }
    }

    static byte[] write(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    /** A field's text, or null when it is absent or JSON null. */
    static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    /** A field that must be there. */
    static JsonNode required(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("the request has no \"" + field + "\"");
        }
        return value;
    }

    /**
     * A config map. Values should be strings; numbers and booleans are taken as their text, so
     * that a hand-written request with "tasks.max": 1 still works. JSON null stays null.
     */
    static Map<String, String> stringMap(JsonNode node) {
        Map<String, String> map = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return map;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("a config must be a JSON object, not " + node.getNodeType());
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            JsonNode v = e.getValue();
            map.put(e.getKey(), v.isNull() ? null : v.isValueNode() ? v.asText() : v.toString());
        }
        return map;
    }

    static ObjectNode fromStringMap(Map<String, String> map) {
        ObjectNode node = object();
        if (map != null) {
            map.forEach(node::put);
        }
        return node;
    }
}
