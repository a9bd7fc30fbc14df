//! The counters tasks keep as they move records (`ferry_runtime::metrics`), in Prometheus's text
//! format: Kafka Connect's `source-task-metrics`, `sink-task-metrics`, `task-error-metrics` and
//! the worker's start-up and rebalance counts, labelled by connector and task. `docs/metrics.md`
//! explains each.

use std::fmt::Write as _;
use std::sync::atomic::AtomicU64;

use ferry_runtime::metrics::{Metrics, TaskMetrics, Timing};

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
        let lag = t
            .partition_lag
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for ((topic, partition), records) in lag {
            let _ = writeln!(out, "kafka_connect_sink_task_partition_lag{{{},topic=\"{}\",partition=\"{partition}\"}} {records}", labels(connector, *task), label(&topic));
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

fn labels(connector: &str, task: u32) -> String {
    format!("connector=\"{}\",task=\"{task}\"", label(connector))
}

#[cfg(test)]
mod tests {
    use super::*;
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
        sink.partition_lag
            .lock()
            .unwrap()
            .insert(("t".into(), 0), 42);
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
    }
}
