//! A Java source task in the plugin host: `poll` brings back a batch of records already
//! converted to Kafka's bytes; the task's offset reads are answered from ferry's offset store.

use std::sync::Arc;

use async_trait::async_trait;
use ferry_api::{
    ConnectError, OffsetReader, Props, Result, SnapshotProgress, SnapshotReport, SnapshotState,
    SourceRecord, SourceTask, SourceTaskContext, TableProgress,
};
use serde_json::{json, Value};

use crate::connector::JavaPluginRef;
use crate::lane::LaneHandler;
use crate::records::decode_source_records;
use crate::task_lane::{Answer, TaskLane};
use crate::wire::msg;

pub struct JavaSourceTask {
    plugin: JavaPluginRef,
    connector_config: Props,
    task_id: u32,
    lane: Option<TaskLane>,
}

impl JavaSourceTask {
    pub fn new(plugin: JavaPluginRef, connector_config: Props, task_id: u32) -> JavaSourceTask {
        JavaSourceTask {
            plugin,
            connector_config,
            task_id,
            lane: None,
        }
    }

    fn lane(&mut self) -> Result<&mut TaskLane> {
        self.lane
            .as_mut()
            .ok_or_else(|| ConnectError::Other("the Java task is not started".into()))
    }
}

/// Answers the task's `OffsetStorageReader`, and takes the snapshot progress the host reads
/// from the task's own metrics.
pub struct OffsetQuestions {
    pub reader: Arc<dyn OffsetReader>,
    pub snapshot: SnapshotProgress,
}

impl LaneHandler for OffsetQuestions {
    fn request(&self, ty: u16, body: &[u8]) -> std::result::Result<Vec<u8>, String> {
        if ty != msg::READ_OFFSETS {
            return Err(format!(
                "ferry does not answer message type {ty} for a source task"
            ));
        }
        let question: Value =
            serde_json::from_slice(body).map_err(|e| format!("unreadable offset question: {e}"))?;
        let partitions = question
            .get("partitions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let offsets: Vec<Value> = partitions
            .into_iter()
            .map(|partition| {
                let offset = partition
                    .as_object()
                    .and_then(|p| self.reader.offset(p))
                    .map_or(Value::Null, Value::Object);
                json!({ "partition": partition, "offset": offset })
            })
            .collect();
        Ok(json!({ "offsets": offsets }).to_string().into_bytes())
    }

    fn event(&self, ty: u16, body: &[u8]) {
        if ty != msg::SNAPSHOT_PROGRESS {
            tracing::warn!(
                ty,
                "the plugin host sent an event ferry does not know; ignored"
            );
            return;
        }
        match serde_json::from_slice::<Value>(body).map(|v| snapshot_report(&v)) {
            Ok(Some(report)) => self.snapshot.replace(report),
            Ok(None) | Err(_) => {
                tracing::debug!("an unreadable snapshot progress from the plugin host; ignored")
            }
        }
    }
}

/// A snapshot report from the host's reading of Debezium's snapshot metrics: the tables it
/// captures with the rows scanned so far, and how many tables remain. Debezium does not say
/// which table is being read, so while one is, no table is marked done but the count is kept.
fn snapshot_report(v: &Value) -> Option<SnapshotReport> {
    let state = match v.get("state")?.as_str()? {
        "RUNNING" => SnapshotState::Running,
        "COMPLETED" => SnapshotState::Completed,
        "ABORTED" => SnapshotState::Aborted,
        _ => return None,
    };
    let listed = v.get("tables")?.as_array()?;
    let total = v
        .get("tables_total")
        .and_then(Value::as_u64)
        .map_or(listed.len(), |n| n as usize);
    let remaining = v
        .get("tables_remaining")
        .and_then(Value::as_u64)
        .map_or(0, |n| n as usize);
    let done_count = total.saturating_sub(remaining);
    let started_count = listed.iter().filter(|t| t["started"] == true).count();
    let completed = state == SnapshotState::Completed;
    let tables = listed
        .iter()
        .filter_map(|t| {
            let started = t["started"] == true;
            Some(TableProgress {
                table: t.get("table")?.as_str()?.to_string(),
                rows_done: t.get("rows_scanned").and_then(Value::as_u64).unwrap_or(0),
                rows_estimated: None,
                // Every started table is done when as many are done as have started.
                done: completed || (started && started_count == done_count),
            })
        })
        .collect();
    Some(SnapshotReport {
        state,
        tables,
        current: None,
        tables_done: Some(if completed { total } else { done_count }),
    })
}

#[async_trait]
impl SourceTask for JavaSourceTask {
    async fn start(&mut self, props: &Props, context: SourceTaskContext) -> Result<()> {
        let handler = Arc::new(OffsetQuestions {
            reader: context.offsets.clone(),
            snapshot: context.snapshot.clone(),
        });
        let mut lane = TaskLane::new(
            self.plugin.clone(),
            &self.connector_config,
            self.task_id,
            msg::START_SOURCE_TASK,
            props,
            handler,
        );
        lane.open().await?;
        self.lane = Some(lane);
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        match self.lane()?.call(msg::POLL, Vec::new()).await? {
            Answer::Reply(reply) => Ok(decode_source_records(&reply)?),
            Answer::Restarted => Ok(Vec::new()),
        }
    }

    async fn commit(&mut self) -> Result<()> {
        self.lane()?.call(msg::COMMIT, Vec::new()).await?;
        Ok(())
    }

    async fn stop(&mut self) -> Result<()> {
        match self.lane.as_mut() {
            Some(lane) => lane.stop().await,
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debeziums_snapshot_metrics_become_a_snapshot_report() {
        let running = json!({
            "state": "RUNNING", "tables_total": 3, "tables_remaining": 2,
            "tables": [
                {"table": "shop.a", "rows_scanned": 120, "started": true},
                {"table": "shop.b", "rows_scanned": 7, "started": true},
                {"table": "shop.c", "rows_scanned": 0, "started": false}
            ]
        });
        let r = snapshot_report(&running).expect("a report");
        assert_eq!(r.state, SnapshotState::Running);
        assert_eq!(
            (r.tables.len(), r.tables_done(), r.rows_done()),
            (3, 1, 127)
        );
        // Two started, one done: which one is not known, so neither is marked.
        assert!(r.tables.iter().all(|t| !t.done));
        let done = json!({
            "state": "COMPLETED", "tables_total": 3, "tables_remaining": 0,
            "tables": [{"table": "shop.a", "rows_scanned": 120, "started": true}]
        });
        let r = snapshot_report(&done).expect("a report");
        assert_eq!((r.tables_done(), r.tables[0].done), (3, true));
        assert!(snapshot_report(&json!({"state": "SOMETHING", "tables": []})).is_none());
    }
}
