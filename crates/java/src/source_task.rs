//! A Java source task in the plugin host: `poll` brings back a batch of records already
//! converted to Kafka's bytes; the task's offset reads are answered from ferry's offset store.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ferry_api::{
    ConnectError, OffsetReader, Props, Result, SourceRecord, SourceTask, SourceTaskContext,
};
use serde_json::{json, Value};

use crate::calls;
use crate::connector::JavaPluginRef;
use crate::lane::{Lane, LaneHandler};
use crate::records::decode_source_records;
use crate::wire::msg;

/// How long `stop` may take before the task's connection is cut.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

pub struct JavaSourceTask {
    plugin: JavaPluginRef,
    connector_config: Props,
    task_id: u32,
    lane: Option<Arc<Lane>>,
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

    fn lane(&self) -> Result<&Arc<Lane>> {
        self.lane
            .as_ref()
            .ok_or_else(|| ConnectError::Other("the Java task is not started".into()))
    }
}

/// Answers the task's `OffsetStorageReader`.
pub struct OffsetQuestions {
    pub reader: Arc<dyn OffsetReader>,
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
}

#[async_trait]
impl SourceTask for JavaSourceTask {
    async fn start(&mut self, props: &Props, context: SourceTaskContext) -> Result<()> {
        let connector = self
            .connector_config
            .get("name")
            .cloned()
            .unwrap_or_default();
        let host = self.plugin.host.clone();
        let body = host.first_message(json!({
            "connector": connector,
            "task_id": self.task_id,
            "class": self.plugin.class,
            "version": self.plugin.version_range(),
            "task_config": props,
            "connector_config": self.connector_config,
        }));
        let name = format!("task-{connector}-{}", self.task_id);
        let handler = Arc::new(OffsetQuestions {
            reader: context.offsets.clone(),
        });
        let lane = calls::run(move || {
            let lane = host.lane(&name, handler)?;
            lane.call(msg::START_SOURCE_TASK, &body, None)?;
            Ok(lane)
        })
        .await?;
        self.lane = Some(Arc::new(lane));
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        let reply = calls::call(self.lane()?, msg::POLL, Vec::new(), None).await?;
        Ok(decode_source_records(&reply)?)
    }

    async fn commit(&mut self) -> Result<()> {
        calls::call(self.lane()?, msg::COMMIT, Vec::new(), None).await?;
        Ok(())
    }

    async fn stop(&mut self) -> Result<()> {
        let Some(lane) = self.lane.take() else {
            return Ok(());
        };
        calls::run(move || lane.call_last(msg::STOP_TASK, &[], Some(STOP_TIMEOUT))).await?;
        Ok(())
    }
}
