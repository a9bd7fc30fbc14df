//! A Java source task in the plugin host: `poll` brings back a batch of records already
//! converted to Kafka's bytes; the task's offset reads are answered from ferry's offset store.

use std::sync::Arc;

use async_trait::async_trait;
use ferry_api::{
    ConnectError, OffsetReader, Props, Result, SourceRecord, SourceTask, SourceTaskContext,
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
        let handler = Arc::new(OffsetQuestions {
            reader: context.offsets.clone(),
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
