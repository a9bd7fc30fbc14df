package dev.ferry.host;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a CDC source task's snapshot progress from the JMX bean Debezium registers
 * ({@code debezium.<connector>:type=connector-metrics,context=snapshot,server=<topic.prefix>}), so
 * ferry's status API can show it as it does for its own connectors. Checked at most once a second
 * after a poll; an event goes to ferry only when something changed. A task that registers no
 * such bean costs one cheap JMX query a second.
 */
final class SnapshotMetricsBridge {
    private static final long EVERY_MS = 1000;

    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    private final String prefix;
    private final int taskId;
    private long lastCheck;
    private String lastSent;

    SnapshotMetricsBridge(Map<String, String> connectorConfig, int taskId) {
        String p = connectorConfig.get("topic.prefix");
        this.prefix = p != null ? p : connectorConfig.get("database.server.name");
        this.taskId = taskId;
    }

    /** The event body when the snapshot's progress changed since the last one sent; else null. */
    byte[] changed() {
        long now = System.currentTimeMillis();
        if (prefix == null || now - lastCheck < EVERY_MS) {
            return null;
        }
        lastCheck = now;
        ObjectNode report;
        try {
            report = read();
        } catch (Exception | LinkageError e) {
            return null; // a bean going away under us: nothing to tell this time
        }
        if (report == null) {
            return null;
        }
        String text = report.toString();
        if (text.equals(lastSent)) {
            return null;
        }
        lastSent = text;
        return Json.write(report);
    }

    private ObjectNode read() throws Exception {
        ObjectName bean = find();
        if (bean == null) {
            return null;
        }
        boolean running = Boolean.TRUE.equals(server.getAttribute(bean, "SnapshotRunning"));
        boolean completed = Boolean.TRUE.equals(server.getAttribute(bean, "SnapshotCompleted"));
        boolean aborted = Boolean.TRUE.equals(server.getAttribute(bean, "SnapshotAborted"));
        if (!running && !completed && !aborted) {
            return null; // no snapshot (yet) in this run of the task
        }
        int total = ((Number) server.getAttribute(bean, "TotalTableCount")).intValue();
        int remaining = ((Number) server.getAttribute(bean, "RemainingTableCount")).intValue();
        // An MXBean's Map<String, Long> reaches a JMX client as TabularData of (key, value) rows.
        Map<String, Long> rows = new TreeMap<>();
        Object scanned = server.getAttribute(bean, "RowsScanned");
        if (scanned instanceof TabularData data) {
            for (Object row : data.values()) {
                if (row instanceof CompositeData c && c.get("value") instanceof Number n) {
                    rows.put(plain(String.valueOf(c.get("key"))), n.longValue());
                }
            }
        } else if (scanned instanceof Map<?, ?> m) {
            m.forEach((k, v) -> rows.put(plain(String.valueOf(k)), v instanceof Number n ? n.longValue() : 0L));
        }
        Object captured = server.getAttribute(bean, "CapturedTables");
        ObjectNode report = Json.object();
        report.put("state", completed ? "COMPLETED" : aborted ? "ABORTED" : "RUNNING");
        report.put("tables_total", total);
        report.put("tables_remaining", remaining);
        ArrayNode tables = report.putArray("tables");
        Set<String> names = new java.util.TreeSet<>(rows.keySet());
        if (captured instanceof String[] list) {
            Arrays.stream(list).map(SnapshotMetricsBridge::plain).forEach(names::add);
        }
        for (String name : names) {
            ObjectNode t = tables.addObject();
            t.put("table", name);
            t.put("rows_scanned", rows.getOrDefault(name, 0L));
            t.put("started", rows.containsKey(name));
        }
        return report;
    }

    /** A table name as ferry's own connectors write it: {@code db.table}, without quotes or brackets. */
    static String plain(String name) {
        return name.replaceAll("[\\[\\]\"`]", "");
    }

    /** Debezium's snapshot bean of this connector's prefix (and this task, when named per task). */
    private ObjectName find() throws Exception {
        Set<ObjectName> beans = server.queryNames(
            new ObjectName("debezium.*:type=connector-metrics,context=snapshot,*"), null);
        for (ObjectName bean : beans) {
            if (!prefix.equals(bean.getKeyProperty("server"))) {
                continue;
            }
            String task = bean.getKeyProperty("task");
            if (task == null || task.equals(String.valueOf(taskId))) {
                return bean;
            }
        }
        return null;
    }
}
