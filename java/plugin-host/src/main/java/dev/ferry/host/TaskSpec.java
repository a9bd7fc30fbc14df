package dev.ferry.host;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.connect.connector.Connector;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.runtime.isolation.Plugins;
import org.apache.maven.artifact.versioning.VersionRange;

import java.util.LinkedHashMap;
import java.util.Map;

/** What StartSourceTask / StartSinkTask say: which task of which connector, and its configs. */
record TaskSpec(String connector, int taskId, String connectorClass, VersionRange range,
                Map<String, String> taskConfig, Map<String, String> connectorConfig,
                Map<String, String> workerConfig) {

    static final String TASK_CLASS = "task.class";

    static TaskSpec parse(JsonNode body) {
        String connector = Json.required(body, "connector").asText();
        int taskId = Json.required(body, "task_id").asInt();
        String className = Json.required(body, "class").asText();
        Map<String, String> connectorConfig = new LinkedHashMap<>(Json.stringMap(body.get("connector_config")));
        // ConnectorConfig requires these two; ferry's copy of the config may leave them implicit.
        connectorConfig.putIfAbsent("connector.class", className);
        connectorConfig.putIfAbsent("name", connector);
        Map<String, String> worker = PluginRegistry.workerConfig(body);
        return new TaskSpec(connector, taskId, className,
                Versions.range(Json.text(body, "version"), connectorConfig),
                Json.stringMap(body.get("task_config")), connectorConfig,
                worker == null ? Map.of() : worker);
    }

    /** task-NAME-ID, the name of the task's thread (and of the culprit, should it exit the JVM). */
    String threadName() {
        return "task-" + connector + "-" + taskId;
    }

    String taskName() {
        return connector + "-" + taskId;
    }

    /**
     * A new instance of the task class: task.class from the task config (Kafka's worker adds it
     * to every task config), else the connector's taskClass(). Call with the connector's loader
     * as context loader.
     */
    Task newTask(Plugins plugins, ClassLoader loader) throws ClassNotFoundException {
        String taskClass = taskConfig.get(TASK_CLASS);
        Class<? extends Task> klass;
        if (taskClass != null) {
            klass = Class.forName(taskClass, true, loader).asSubclass(Task.class);
        } else {
            Connector connectorInstance = plugins.newConnector(connectorClass, range);
            klass = connectorInstance.taskClass();
        }
        return plugins.newTask(klass);
    }
}
