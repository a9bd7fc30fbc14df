//! `GET /metrics`: the state of the connectors and tasks the worker knows, and of its process, in
//! Prometheus's text format (version 0.0.4), so that a Prometheus server scrapes the worker
//! without a JMX exporter. Names follow Kafka Connect's metric groups (`connect-worker-metrics`,
//! `connector-metrics`, `connector-task-metrics`) with Prometheus's spelling; each metric is
//! explained in `docs/metrics.md`. Nothing here is on a record's path: it is read when scraped.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use ferry_runtime::herder::ConnectorStateInfo;

use crate::routes::AppState;

const STATES: [&str; 6] = [
    "UNASSIGNED",
    "RUNNING",
    "PAUSED",
    "STOPPED",
    "FAILED",
    "RESTARTING",
];

pub async fn metrics(State(s): State<AppState>) -> Response {
    let mut statuses = Vec::new();
    for name in s.herder.connectors().await {
        if let Ok(status) = s.herder.connector_status(&name).await {
            statuses.push(status);
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&statuses, Process::sample()),
    )
        .into_response()
}

/// The text of one scrape.
fn render(statuses: &[ConnectorStateInfo], process: Option<Process>) -> String {
    let mut out = String::new();
    let state_name = |state| {
        serde_json::to_value(state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    let tasks: usize = statuses.iter().map(|s| s.tasks.len()).sum();
    family(
        &mut out,
        "kafka_connect_worker_connector_count",
        "gauge",
        "Connectors the worker knows of.",
    );
    let _ = writeln!(
        out,
        "kafka_connect_worker_connector_count {}",
        statuses.len()
    );
    family(
        &mut out,
        "kafka_connect_worker_task_count",
        "gauge",
        "Tasks of those connectors.",
    );
    let _ = writeln!(out, "kafka_connect_worker_task_count {tasks}");
    family(
        &mut out,
        "kafka_connect_connector_status",
        "gauge",
        "1 for the state each connector is in, with its type and the worker running it.",
    );
    for s in statuses {
        let _ = writeln!(
            out,
            "kafka_connect_connector_status{{connector=\"{}\",type=\"{}\",state=\"{}\",worker=\"{}\"}} 1",
            label(&s.name),
            s.kind,
            state_name(s.connector.state),
            label(&s.connector.worker_id)
        );
    }
    family(
        &mut out,
        "kafka_connect_connector_task_count",
        "gauge",
        "A connector's tasks in each state (Kafka's connector-running-task-count and the others).",
    );
    for s in statuses {
        for state in STATES {
            let n = s
                .tasks
                .iter()
                .filter(|t| state_name(t.status.state) == state)
                .count();
            let _ = writeln!(
                out,
                "kafka_connect_connector_task_count{{connector=\"{}\",state=\"{state}\"}} {n}",
                label(&s.name)
            );
        }
    }
    family(
        &mut out,
        "kafka_connect_task_status",
        "gauge",
        "1 for the state each task is in, with the worker running it.",
    );
    for s in statuses {
        for t in &s.tasks {
            let _ = writeln!(
                out,
                "kafka_connect_task_status{{connector=\"{}\",task=\"{}\",state=\"{}\",worker=\"{}\"}} 1",
                label(&s.name),
                t.id,
                state_name(t.status.state),
                label(&t.status.worker_id)
            );
        }
    }
    crate::metrics_tasks::render(ferry_runtime::metrics::registry(), &mut out);
    if let Some(p) = process {
        family(
            &mut out,
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory of the worker's process.",
        );
        let _ = writeln!(out, "process_resident_memory_bytes {}", p.resident_bytes);
        family(
            &mut out,
            "process_cpu_seconds_total",
            "counter",
            "CPU time of the worker's process, user and system.",
        );
        let _ = writeln!(out, "process_cpu_seconds_total {}", p.cpu_seconds);
    }
    out
}

pub(crate) fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value, escaped as the text format wants.
pub(crate) fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// What the process uses, from `/proc/self` (Linux).
struct Process {
    resident_bytes: u64,
    cpu_seconds: f64,
}

impl Process {
    fn sample() -> Option<Process> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let rss_kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // Fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok());
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; in ticks
        // of USER_HZ, which Linux fixes at 100 for user space.
        let cpu_ticks = ticks(11)? + ticks(12)?;
        Some(Process {
            resident_bytes: rss_kb * 1024,
            cpu_seconds: cpu_ticks as f64 / 100.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_runtime::entities::status::{State as Run, Status};
    use ferry_runtime::herder::TaskState;

    fn status(name: &str, connector: &str, tasks: &[&str]) -> ConnectorStateInfo {
        let parse = |s: &str| Status {
            state: match s {
                "RUNNING" => Run::Running,
                "PAUSED" => Run::Paused,
                _ => Run::Failed,
            },
            trace: None,
            worker_id: "w:8083".into(),
        };
        ConnectorStateInfo {
            name: name.into(),
            connector: parse(connector),
            tasks: tasks
                .iter()
                .enumerate()
                .map(|(i, s)| TaskState {
                    id: i as u32,
                    status: parse(s),
                })
                .collect(),
            kind: "sink",
        }
    }

    #[test]
    fn states_are_counted_and_labels_escaped() {
        let text = render(
            &[
                status("a\"b", "RUNNING", &["RUNNING", "FAILED"]),
                status("c", "PAUSED", &["PAUSED"]),
            ],
            Some(Process {
                resident_bytes: 4096,
                cpu_seconds: 1.5,
            }),
        );
        assert!(
            text.contains("kafka_connect_worker_connector_count 2\n"),
            "{text}"
        );
        assert!(
            text.contains("kafka_connect_worker_task_count 3\n"),
            "{text}"
        );
        assert!(text.contains("kafka_connect_connector_status{connector=\"a\\\"b\",type=\"sink\",state=\"RUNNING\",worker=\"w:8083\"} 1\n"), "{text}");
        assert!(
            text.contains(
                "kafka_connect_connector_task_count{connector=\"a\\\"b\",state=\"FAILED\"} 1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "kafka_connect_connector_task_count{connector=\"c\",state=\"RUNNING\"} 0\n"
            ),
            "{text}"
        );
        assert!(text.contains("kafka_connect_task_status{connector=\"c\",task=\"0\",state=\"PAUSED\",worker=\"w:8083\"} 1\n"), "{text}");
        assert!(
            text.contains("process_resident_memory_bytes 4096\n"),
            "{text}"
        );
    }

    #[test]
    fn the_process_is_measured() {
        let p = Process::sample().expect("/proc/self on Linux");
        assert!(p.resident_bytes > 0);
    }
}
