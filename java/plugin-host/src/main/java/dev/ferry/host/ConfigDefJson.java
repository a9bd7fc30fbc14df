package dev.ferry.host;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;

import java.util.List;

/**
 * A ConfigDef and validation results as JSON, with values turned into strings the way Kafka's
 * REST layer does (AbstractHerder's convertConfigKey / convertConfigValue).
 */
final class ConfigDefJson {
    private ConfigDefJson() {
    }

    static ArrayNode keys(ConfigDef def) {
        ArrayNode keys = Json.array();
        for (ConfigDef.ConfigKey key : def.configKeys().values()) {
            ObjectNode k = keys.addObject();
            boolean required = ConfigDef.NO_DEFAULT_VALUE.equals(key.defaultValue);
            k.put("name", key.name);
            k.put("type", key.type.name());
            k.put("default_value", required ? null : ConfigDef.convertToString(key.defaultValue, key.type));
            k.put("required", required);
            k.put("importance", key.importance == null ? null : key.importance.name());
            k.put("documentation", key.documentation);
            k.put("group", key.group);
            k.put("order_in_group", key.orderInGroup);
            k.put("width", key.width == null ? null : key.width.name());
            k.put("display_name", key.displayName);
            ArrayNode dependents = k.putArray("dependents");
            if (key.dependents != null) {
                key.dependents.forEach(dependents::add);
            }
        }
        return keys;
    }

    static ArrayNode values(List<ConfigValue> values, ConfigDef def) {
        ArrayNode list = Json.array();
        for (ConfigValue value : values) {
            ConfigDef.ConfigKey key = def == null ? null : def.configKeys().get(value.name());
            ConfigDef.Type type = key == null ? null : key.type;
            ObjectNode v = list.addObject();
            v.put("name", value.name());
            v.put("value", asString(value.value(), type));
            ArrayNode recommended = v.putArray("recommended_values");
            ConfigDef.Type itemType = type == ConfigDef.Type.LIST ? ConfigDef.Type.STRING : type;
            for (Object r : value.recommendedValues()) {
                recommended.add(asString(r, itemType));
            }
            ArrayNode errors = v.putArray("errors");
            value.errorMessages().forEach(errors::add);
            v.put("visible", value.visible());
        }
        return list;
    }

    private static String asString(Object value, ConfigDef.Type type) {
        if (value == null) {
            return null;
        }
        return type == null ? String.valueOf(value) : ConfigDef.convertToString(value, type);
    }
}
