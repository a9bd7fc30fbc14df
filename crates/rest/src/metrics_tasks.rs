//! The counters tasks keep as they move records (`ferry_runtime::metrics`), in Prometheus's text
//! format: Kafka Connect's `source-task-metrics`, `sink-task-metrics`, `task-error-metrics` and
//! the worker's start-up and rebalance counts, labelled by connector and task. `docs/metrics.md`
//! explains each.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use ferry_api::{SnapshotReport, SnapshotState};
use ferry_runtime::metrics::{Metrics, TaskMetrics, Timing, WorkerMetrics};

use crate::metrics::{family, label};

type Task = ((String, u32), std::sync::Arc<TaskMetrics>);

pub fn render(m: &Metrics, out: &mut String) {
    let w = &m.worker;
    for (name, help, counter) in [
        (
            "kafka_connect_worker_connector_startup_success_total",
            "Connector starts that succeeded on this worker.",
            &w.connector_startup_success_total,
        ),
        (
            "kafka_connect_worker_connector_startup_failure_total",
            "Connector starts that failed on this worker.",
            &w.connector_startup_failure_total,
        ),
        (
            "kafka_connect_worker_task_startup_success_total",
            "Task starts that reached RUNNING on this worker.",
            &w.task_startup_success_total,
        ),
        (
            "kafka_connect_worker_task_startup_failure_total",
            "Task starts that failed before running on this worker.",
            &w.task_startup_failure_total,
        ),
        (
            "kafka_connect_worker_rebalance_total",
            "Rebalances of the worker group this worker completed (distributed mode).",
            &w.rebalance_total,
        ),
    ] {
        family(out, name, "counter", help);
        let _ = writeln!(out, "{name} {}", TaskMetrics::get(counter));
    }
    rebalance(w, out);
    let tasks = m.tasks();
    let (sinks, sources): (Vec<&Task>, Vec<&Task>) = tasks.iter().partition(|(_, t)| t.sink);
    let counters = |out: &mut String,
                    tasks: &[&Task],
                    name: &str,
                    help: &str,
                    pick: fn(&TaskMetrics) -> &AtomicU64| {
        family(out, name, "counter", help);
        for ((connector, task), t) in tasks {
            let _ = writeln!(
                out,
                "{name}{{{}}} {}",
                labels(connector, *task),
                TaskMetrics::get(pick(t))
            );
        }
    };
    let timings = |out: &mut String,
                   tasks: &[&Task],
                   name: &str,
                   what: &str,
                   pick: fn(&TaskMetrics) -> &Timing| {
        for (suffix, kind) in [("avg", "average"), ("max", "longest")] {
            let metric = format!("{name}_{suffix}_time_ms");
            family(
                out,
                &metric,
                "gauge",
                &format!("The {kind} time of {what}, in milliseconds."),
            );
            for ((connector, task), t) in tasks {
                let timing = pick(t);
                let value = if suffix == "avg" {
                    timing.avg_ms()
                } else {
                    timing.max_ms()
                };
                if let Some(v) = value {
                    let _ = writeln!(out, "{metric}{{{}}} {v}", labels(connector, *task));
                }
            }
        }
    };
    counters(
        out,
        &sources,
        "kafka_connect_source_task_source_record_poll_total",
        "Records the source task's poll returned.",
        |t| &t.source_record_poll_total,
    );
    counters(
        out,
        &sources,
        "kafka_connect_source_task_source_record_write_total",
        "Records of the source task the broker acknowledged.",
        |t| &t.source_record_write_total,
    );
    family(
        out,
        "kafka_connect_source_task_source_record_active_count",
        "gauge",
        "Records polled and not yet acknowledged, dropped or skipped.",
    );
    for ((connector, task), t) in &sources {
        let _ = writeln!(
            out,
            "kafka_connect_source_task_source_record_active_count{{{}}} {}",
            labels(connector, *task),
            TaskMetrics::get(&t.source_record_active_count)
        );
    }
    timings(
        out,
        &sources,
        "kafka_connect_source_task_poll_batch",
        "a poll that returned records",
        |t| &t.poll_batch,
    );
    snapshots(&sources, out);
    counters(
        out,
        &sinks,
        "kafka_connect_sink_task_sink_record_read_total",
        "Records the sink task read from Kafka.",
        |t| &t.sink_record_read_total,
    );
    counters(
        out,
        &sinks,
        "kafka_connect_sink_task_sink_record_send_total",
        "Records handed to the sink task's put (after transforms).",
        |t| &t.sink_record_send_total,
    );
    timings(
        out,
        &sinks,
        "kafka_connect_sink_task_put_batch",
        "a put",
        |t| &t.put_batch,
    );
    family(
        out,
        "kafka_connect_sink_task_partition_lag",
        "gauge",
        "Records of the partition after the consumer's position, as of the last offset commit.",
    );
    for ((connector, task), t) in &sinks {
        for ((topic, partition), l) in t.partition_lag() {
            let _ = writeln!(out, "kafka_connect_sink_task_partition_lag{{{},topic=\"{}\",partition=\"{partition}\"}} {}", labels(connector, *task), label(&topic), l.lag);
        }
    }
    let all: Vec<&Task> = tasks.iter().collect();
    family(
        out,
        "kafka_connect_task_offset_commit_completion_total",
        "counter",
        "Offset commits of the task that completed.",
    );
    for ((connector, task), t) in &all {
        let _ = writeln!(
            out,
            "kafka_connect_task_offset_commit_completion_total{{{}}} {}",
            labels(connector, *task),
            t.offset_commit.count()
        );
    }
    counters(
        out,
        &all,
        "kafka_connect_task_offset_commit_skip_total",
        "Offset commits skipped: nothing new to commit.",
        |t| &t.offset_commit_skip_total,
    );
    timings(
        out,
        &all,
        "kafka_connect_task_offset_commit",
        "an offset commit",
        |t| &t.offset_commit,
    );
    counters(
        out,
        &all,
        "kafka_connect_task_error_total_record_errors",
        "Records a converter, transform or the task failed on.",
        |t| &t.total_record_errors,
    );
    counters(
        out,
        &all,
        "kafka_connect_task_error_total_records_skipped",
        "Records skipped under errors.tolerance=all.",
        |t| &t.total_records_skipped,
    );
    counters(
        out,
        &all,
        "kafka_connect_task_error_deadletterqueue_produce_total",
        "Records written to the dead letter queue.",
        |t| &t.deadletterqueue_produce_total,
    );
}

/// Kafka's `connect-worker-rebalance-metrics` beyond the count.
fn rebalance(w: &WorkerMetrics, out: &mut String) {
    family(
        out,
        "kafka_connect_worker_rebalancing",
        "gauge",
        "1 while this worker is in a rebalance of its group (distributed mode).",
    );
    let _ = writeln!(
        out,
        "kafka_connect_worker_rebalancing {}",
        u8::from(w.rebalancing.load(Ordering::Relaxed))
    );
    for (suffix, what, value) in [
        ("avg", "average", w.rebalance_time.avg_ms()),
        ("max", "longest", w.rebalance_time.max_ms()),
    ] {
        let name = format!("kafka_connect_worker_rebalance_{suffix}_time_ms");
        family(
            out,
            &name,
            "gauge",
            &format!("The {what} time of this worker's rebalances, from (re)joining the group to the assignment applied, in milliseconds."),
        );
        if let Some(v) = value {
            let _ = writeln!(out, "{name} {v}");
        }
    }
    let last = w.last_rebalance_ms.load(Ordering::Relaxed);
    family(
        out,
        "kafka_connect_worker_time_since_last_rebalance_ms",
        "gauge",
        "Milliseconds since this worker's last completed rebalance.",
    );
    if last > 0 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let _ = writeln!(
            out,
            "kafka_connect_worker_time_since_last_rebalance_ms {}",
            now.saturating_sub(last)
        );
    }
}

/// A snapshot's progress with the meanings of Debezium's snapshot metrics (its
/// `context=snapshot` MBean: `SnapshotRunning`, `SnapshotCompleted`, `SnapshotAborted`,
/// `TotalTableCount`, `RemainingTableCount`, `RowsScanned`).
fn snapshots(sources: &[&Task], out: &mut String) {
    let reports: Vec<(&str, u32, SnapshotReport)> = sources
        .iter()
        .filter_map(|((c, t), m)| Some((c.as_str(), *t, m.snapshot.report()?)))
        .collect();
    let flags = [
        (
            "debezium_snapshot_running",
            "1 while the task's snapshot runs (Debezium's SnapshotRunning).",
            SnapshotState::Running,
        ),
        (
            "debezium_snapshot_completed",
            "1 once the task's snapshot completed (Debezium's SnapshotCompleted).",
            SnapshotState::Completed,
        ),
        (
            "debezium_snapshot_aborted",
            "1 if the task's snapshot failed (Debezium's SnapshotAborted).",
            SnapshotState::Aborted,
        ),
    ];
    for (name, help, state) in flags {
        family(out, name, "gauge", help);
        for (connector, task, r) in &reports {
            let _ = writeln!(
                out,
                "{name}{{{}}} {}",
                labels(connector, *task),
                u8::from(r.state == state)
            );
        }
    }
    family(
        out,
        "debezium_snapshot_total_table_count",
        "gauge",
        "Tables the task's snapshot reads (Debezium's TotalTableCount).",
    );
    for (connector, task, r) in &reports {
        let _ = writeln!(
            out,
            "debezium_snapshot_total_table_count{{{}}} {}",
            labels(connector, *task),
            r.tables.len()
        );
    }
    family(
        out,
        "debezium_snapshot_remaining_table_count",
        "gauge",
        "Tables the task's snapshot has yet to finish (Debezium's RemainingTableCount).",
    );
    for (connector, task, r) in &reports {
        let _ = writeln!(
            out,
            "debezium_snapshot_remaining_table_count{{{}}} {}",
            labels(connector, *task),
            r.tables.len() - r.tables_done()
        );
    }
    family(
        out,
        "debezium_snapshot_rows_scanned",
        "gauge",
        "Rows the task's snapshot read from each table so far (Debezium's RowsScanned).",
    );
    for (connector, task, r) in &reports {
        for t in &r.tables {
            let _ = writeln!(
                out,
                "debezium_snapshot_rows_scanned{{{},table=\"{}\"}} {}",
                labels(connector, *task),
                label(&t.table),
                t.rows_done
            );
        }
    }
}

fn labels(connector: &str, task: u32) -> String {
    format!("connector=\"{}\",task=\"{task}\"", label(connector))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_runtime::metrics::PartitionLag;
    use std::time::Duration;

    #[test]
    fn counters_appear_under_their_task_and_kind() {
        let m = Metrics::default();
        let source = m.task_started("src", 0, false);
        let sink = m.task_started("snk", 1, true);
        TaskMetrics::add(&source.source_record_poll_total, 7);
        source.poll_batch.record(Duration::from_millis(2));
        TaskMetrics::add(&sink.sink_record_read_total, 5);
        TaskMetrics::add(&sink.total_records_skipped, 1);
        sink.partition_lag.lock().unwrap().insert(
            ("t".into(), 0),
            PartitionLag {
                position: 8,
                lag: 42,
            },
        );
        source
            .snapshot
            .begin(["db.a".to_string(), "db.b".to_string()]);
        source.snapshot.table_started("db.a", Some(3));
        source.snapshot.table_done(3);
        source.snapshot.table_started("db.b", None);
        m.worker.rebalance_completed(Duration::from_millis(30));
        let mut out = String::new();
        render(&m, &mut out);
        assert!(out.contains("kafka_connect_source_task_source_record_poll_total{connector=\"src\",task=\"0\"} 7\n"), "{out}");
        assert!(out.contains("kafka_connect_source_task_poll_batch_avg_time_ms{connector=\"src\",task=\"0\"} 2\n"), "{out}");
        assert!(
            out.contains(
                "kafka_connect_sink_task_sink_record_read_total{connector=\"snk\",task=\"1\"} 5\n"
            ),
            "{out}"
        );
        assert!(
            !out.contains("kafka_connect_sink_task_sink_record_read_total{connector=\"src\""),
            "{out}"
        );
        assert!(
            out.contains(
                "kafka_connect_task_error_total_records_skipped{connector=\"snk\",task=\"1\"} 1\n"
            ),
            "{out}"
        );
        assert!(out.contains("kafka_connect_sink_task_partition_lag{connector=\"snk\",task=\"1\",topic=\"t\",partition=\"0\"} 42\n"), "{out}");
        for line in [
            "debezium_snapshot_running{connector=\"src\",task=\"0\"} 1\n",
            "debezium_snapshot_completed{connector=\"src\",task=\"0\"} 0\n",
            "debezium_snapshot_total_table_count{connector=\"src\",task=\"0\"} 2\n",
            "debezium_snapshot_remaining_table_count{connector=\"src\",task=\"0\"} 1\n",
            "debezium_snapshot_rows_scanned{connector=\"src\",task=\"0\",table=\"db.a\"} 3\n",
            "debezium_snapshot_rows_scanned{connector=\"src\",task=\"0\",table=\"db.b\"} 0\n",
            "kafka_connect_worker_rebalance_total 1\n",
            "kafka_connect_worker_rebalance_max_time_ms 30\n",
            "kafka_connect_worker_rebalancing 0\n",
        ] {
            assert!(out.contains(line), "{line} in {out}");
        }
        assert!(
            !out.contains("debezium_snapshot_running{connector=\"snk\""),
            "{out}"
        );
    }
}
