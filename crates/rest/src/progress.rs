//! `?progress=true` on the status endpoints (a ferry extension): each task's progress in long
//! work — a source's committed offsets, a sink's lag, a snapshot's tables and rows — read from
//! the metrics registry of the worker that runs the task. `docs/progress.md` describes the JSON.
//!
//! In distributed mode a task may run on another worker; its progress is asked of that worker,
//! with a short timeout, and left out when that worker does not answer.

use std::time::Duration;

use ferry_runtime::herder::status::State;
use ferry_runtime::herder::TaskState;
use ferry_runtime::metrics::{registry, TaskMetrics};
use serde_json::{json, Map, Value as JsonValue};

use crate::forward::call_worker;

/// How long another worker has to answer; a status request must not hang on a lost worker.
const REMOTE_TIMEOUT: Duration = Duration::from_secs(2);

/// The progress of a task this worker runs; `None` when it runs elsewhere or has nothing to tell.
pub fn local(connector: &str, task: u32) -> Option<JsonValue> {
    registry().task(connector, task).and_then(|t| of_task(&t))
}

/// The progress object of one task's metrics; `None` when it has nothing to report yet.
pub fn of_task(t: &TaskMetrics) -> Option<JsonValue> {
    let mut out = Map::new();
    // The records moved so far in this run, so a client sampling the status gets each task's
    // rate wherever it runs (the console's throughput chart does).
    let records = if t.sink {
        json!({"read": TaskMetrics::get(&t.sink_record_read_total),
               "put": TaskMetrics::get(&t.sink_record_send_total)})
    } else {
        json!({"polled": TaskMetrics::get(&t.source_record_poll_total),
               "written": TaskMetrics::get(&t.source_record_write_total)})
    };
    let moved = records
        .as_object()
        .is_some_and(|r| r.values().any(|v| v != 0));
    if moved {
        out.insert("records".into(), records);
    }
    if !t.sink {
        let offsets: Vec<JsonValue> = t
            .source_offsets()
            .into_iter()
            .map(|(partition, offset)| json!({"partition": *partition, "offset": offset}))
            .collect();
        if !offsets.is_empty() {
            out.insert("source_offsets".into(), JsonValue::Array(offsets));
        }
    }
    let lag = t.partition_lag();
    if t.sink && !lag.is_empty() {
        let total: i64 = lag.values().map(|l| l.lag).sum();
        let partitions: Vec<JsonValue> = lag
            .into_iter()
            .map(|((topic, partition), l)| {
                json!({"topic": topic, "partition": partition, "position": l.position, "lag": l.lag})
            })
            .collect();
        out.insert(
            "sink_lag".into(),
            json!({"total": total, "partitions": partitions}),
        );
    }
    if let Some(s) = t.snapshot.report() {
        out.insert(
            "snapshot".into(),
            json!({
                "state": s.state,
                "tables_total": s.tables.len(),
                "tables_done": s.tables_done(),
                "current_table": s.current_table(),
                "rows_done": s.rows_done(),
                "rows_estimated": s.rows_estimated(),
                "tables": s.tables,
            }),
        );
    }
    (!out.is_empty()).then_some(JsonValue::Object(out))
}

/// Adds `progress` to the task objects of a status answer (`out[i]` is `tasks[i]`): from this
/// worker's registry, or else, unless `local_only`, from the worker the status names. Those
/// requests run in parallel, off the async threads.
pub async fn attach(connector: &str, tasks: &[TaskState], out: &mut [JsonValue], local_only: bool) {
    let mut remote = Vec::new();
    for (i, task) in tasks.iter().enumerate() {
        if let Some(progress) = local(connector, task.id) {
            insert(&mut out[i], progress);
            continue;
        }
        let worker = task.status.worker_id.clone();
        let live = matches!(task.status.state, State::Running | State::Paused);
        if local_only || !live || worker.is_empty() {
            continue;
        }
        let url = format!(
            "http://{worker}/connectors/{}/tasks/{}/status?progress=true&forward=false",
            path_segment(connector),
            task.id
        );
        remote.push((i, task.id, worker, ask_worker(url)));
    }
    for (i, id, worker, asked) in remote {
        match progress_of_answer(answered(asked).await) {
            Ok(Some(progress)) => insert(&mut out[i], progress),
            Ok(None) => {}
            Err(why) => tracing::debug!(
                connector,
                task = id,
                %worker,
                "no progress for the task from the worker running it: {why}"
            ),
        }
    }
}

/// Adds `progress` to the tasks of a `GET /connectors?expand=status` answer that run on other
/// workers: each of those workers is asked once, for its own tasks' progress
/// (`?expand=status&progress=true&forward=false`), in parallel, and its answer is taken for the
/// tasks that both statuses place on it.
pub async fn attach_from_other_workers(connectors: &mut Map<String, JsonValue>) {
    let mut workers: Vec<String> = Vec::new();
    for task in tasks_without_progress(connectors) {
        if let Some(w) = task["worker_id"].as_str().filter(|w| !w.is_empty()) {
            if !workers.iter().any(|known| known == w) {
                workers.push(w.to_string());
            }
        }
    }
    let asked: Vec<_> = workers
        .into_iter()
        .map(|worker| {
            let url =
                format!("http://{worker}/connectors?expand=status&progress=true&forward=false");
            (worker, ask_worker(url))
        })
        .collect();
    for (worker, asked) in asked {
        match json_of_answer(answered(asked).await) {
            Ok(theirs) => take_progress(connectors, &theirs, &worker),
            Err(why) => tracing::debug!(
                %worker,
                "no progress for the tasks of the worker running them: {why}"
            ),
        }
    }
}

/// Live tasks of a `?expand=status` answer that have no progress yet.
fn tasks_without_progress(connectors: &Map<String, JsonValue>) -> impl Iterator<Item = &JsonValue> {
    connectors.values().flat_map(|entry| {
        entry["status"]["tasks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| {
                t.get("progress").is_none()
                    && matches!(t["state"].as_str(), Some("RUNNING" | "PAUSED"))
            })
    })
}

/// Copies the progress of `worker`'s tasks from its own answer (`theirs`) into `ours`.
fn take_progress(ours: &mut Map<String, JsonValue>, theirs: &JsonValue, worker: &str) {
    for (name, entry) in ours.iter_mut() {
        let Some(tasks) = entry["status"]["tasks"].as_array_mut() else {
            continue;
        };
        for task in tasks {
            if task.get("progress").is_some() || task["worker_id"] != worker {
                continue;
            }
            let found = theirs[name.as_str()]["status"]["tasks"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|t| t["id"] == task["id"] && t["worker_id"] == worker)
                .and_then(|t| t.get("progress"))
                .filter(|p| p.is_object());
            if let Some(progress) = found {
                insert(task, progress.clone());
            }
        }
    }
}

type Answer = Result<(u16, String), String>;

/// A GET to another worker, off the async threads, with the short timeout.
fn ask_worker(url: String) -> tokio::task::JoinHandle<Answer> {
    tokio::task::spawn_blocking(move || call_worker("GET", &url, &[], &[], Some(REMOTE_TIMEOUT)))
}

async fn answered(asked: tokio::task::JoinHandle<Answer>) -> Answer {
    asked.await.unwrap_or_else(|e| Err(e.to_string()))
}

/// Another worker's answer as JSON, or why there is none.
fn json_of_answer(answer: Answer) -> Result<JsonValue, String> {
    let (status, body) = answer?;
    if status != 200 {
        return Err(format!("it answered {status}: {body}"));
    }
    serde_json::from_str(&body).map_err(|e| format!("its answer is not JSON: {e}"))
}

/// The `progress` of another worker's task status answer.
fn progress_of_answer(answer: Answer) -> Result<Option<JsonValue>, String> {
    let mut value = json_of_answer(answer)?;
    Ok(value
        .as_object_mut()
        .and_then(|o| o.remove("progress"))
        .filter(JsonValue::is_object))
}

fn insert(task: &mut JsonValue, progress: JsonValue) {
    if let Some(object) = task.as_object_mut() {
        object.insert("progress".into(), progress);
    }
}

/// A path segment with everything but unreserved characters percent-encoded (connector names
/// may hold spaces, slashes and the like).
fn path_segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::OffsetMap;
    use ferry_runtime::metrics::{Metrics, PartitionLag};
    use std::sync::Arc;

    #[test]
    fn nothing_to_report_is_no_progress() {
        let m = Metrics::default();
        assert_eq!(of_task(&m.task_started("c", 0, false)), None);
        assert_eq!(of_task(&m.task_started("c", 1, true)), None);
    }

    #[test]
    fn a_source_reports_offsets_and_its_snapshot() {
        let m = Metrics::default();
        let t = m.task_started("c", 0, false);
        let mut partition = OffsetMap::new();
        partition.insert("server".into(), "db".into());
        let mut offset = OffsetMap::new();
        offset.insert("pos".into(), 42.into());
        t.committed_source_offsets(&[(Arc::new(partition), offset)]);
        t.snapshot.begin(["db.a".to_string(), "db.b".to_string()]);
        t.snapshot.table_started("db.a", Some(100));
        t.snapshot.rows(40);
        let p = of_task(&t).expect("progress");
        assert_eq!(
            p["source_offsets"],
            json!([{"partition": {"server": "db"}, "offset": {"pos": 42}}])
        );
        let s = &p["snapshot"];
        assert_eq!(s["state"], "RUNNING");
        assert_eq!(s["tables_total"], 2);
        assert_eq!(s["tables_done"], 0);
        assert_eq!(s["current_table"], "db.a");
        assert_eq!(s["rows_done"], 40);
        assert_eq!(s["rows_estimated"], 100);
        assert_eq!(
            s["tables"][0],
            json!({"table": "db.a", "rows_done": 40, "rows_estimated": 100, "done": false})
        );
        assert_eq!(s["tables"][1]["rows_estimated"], JsonValue::Null);
        assert!(p.get("sink_lag").is_none());
        assert!(p.get("records").is_none(), "nothing moved yet: {p}");
    }

    #[test]
    fn the_records_moved_are_reported_once_there_are_some() {
        let m = Metrics::default();
        let source = m.task_started("c", 0, false);
        TaskMetrics::add(&source.source_record_poll_total, 7);
        TaskMetrics::add(&source.source_record_write_total, 5);
        let p = of_task(&source).expect("progress");
        assert_eq!(p["records"], json!({"polled": 7, "written": 5}));
        let sink = m.task_started("c", 1, true);
        TaskMetrics::add(&sink.sink_record_read_total, 3);
        let p = of_task(&sink).expect("progress");
        assert_eq!(p["records"], json!({"read": 3, "put": 0}));
    }

    #[test]
    fn a_sink_reports_its_lag_and_the_total() {
        let m = Metrics::default();
        let t = m.task_started("c", 0, true);
        t.partition_lag.lock().expect("lock").extend([
            (
                ("t".to_string(), 0),
                PartitionLag {
                    position: 10,
                    lag: 3,
                },
            ),
            (
                ("t".to_string(), 1),
                PartitionLag {
                    position: 7,
                    lag: 4,
                },
            ),
        ]);
        let p = of_task(&t).expect("progress");
        assert_eq!(p["sink_lag"]["total"], 7);
        assert_eq!(
            p["sink_lag"]["partitions"][1],
            json!({"topic": "t", "partition": 1, "position": 7, "lag": 4})
        );
    }

    #[test]
    fn another_workers_answer_gives_its_progress_or_why_not() {
        let body = json!({"id": 0, "state": "RUNNING", "progress": {"sink_lag": {"total": 0}}});
        assert_eq!(
            progress_of_answer(Ok((200, body.to_string()))),
            Ok(Some(json!({"sink_lag": {"total": 0}})))
        );
        assert_eq!(
            progress_of_answer(Ok((200, json!({"id": 0}).to_string()))),
            Ok(None)
        );
        assert!(progress_of_answer(Ok((404, "{}".into()))).is_err());
        assert!(progress_of_answer(Ok((200, "<html>".into()))).is_err());
        assert!(progress_of_answer(Err("refused".into())).is_err());
    }

    #[test]
    fn the_list_takes_each_remote_tasks_progress_from_its_own_worker() {
        let mut ours = json!({
            "a": {"status": {"tasks": [
                {"id": 0, "state": "RUNNING", "worker_id": "w2:8083"},
                {"id": 1, "state": "RUNNING", "worker_id": "w1:8083", "progress": {"records": {"written": 1}}},
                {"id": 2, "state": "FAILED", "worker_id": "w3:8083"}
            ]}},
            "b": {"status": {"tasks": [{"id": 0, "state": "RUNNING", "worker_id": "w2:8083"}]}}
        });
        let ours = ours.as_object_mut().expect("object");
        let remote: Vec<&str> = tasks_without_progress(ours)
            .filter_map(|t| t["worker_id"].as_str())
            .collect();
        assert_eq!(
            remote,
            vec!["w2:8083", "w2:8083"],
            "FAILED tasks are not asked about"
        );
        let theirs = json!({
            "a": {"status": {"tasks": [{"id": 0, "worker_id": "w2:8083", "progress": {"records": {"written": 5}}}]}},
            // w2 no longer runs b's task as it sees it: nothing taken.
            "b": {"status": {"tasks": [{"id": 0, "worker_id": "w4:8083", "progress": {"records": {"written": 9}}}]}}
        });
        take_progress(ours, &theirs, "w2:8083");
        assert_eq!(
            ours["a"]["status"]["tasks"][0]["progress"]["records"]["written"],
            5
        );
        assert_eq!(
            ours["a"]["status"]["tasks"][1]["progress"]["records"]["written"],
            1
        );
        assert!(ours["b"]["status"]["tasks"][0].get("progress").is_none());
    }

    #[test]
    fn names_are_escaped_in_paths() {
        assert_eq!(path_segment("my conn/1"), "my%20conn%2F1");
        assert_eq!(path_segment("a-b_c.d~"), "a-b_c.d~");
    }
}
