//! A Java sink task in the plugin host: ferry's consumer hands over Kafka's bytes; the host
//! converts, transforms and puts them. What the task asks of its context comes back as an event
//! before the reply of the call during which it asked.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use ferry_api::{
    ConnectError, Props, Result, SinkRecord, SinkTask, SinkTaskContext, TopicPartition,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::calls;
use crate::connector::JavaPluginRef;
use crate::error::{HostError, JavaError};
use crate::lane::{Lane, LaneHandler};
use crate::records::encode_sink_records;
use crate::wire::msg;

const STOP_TIMEOUT: Duration = Duration::from_secs(30);

pub struct JavaSinkTask {
    plugin: JavaPluginRef,
    connector_config: Props,
    task_id: u32,
    context: SinkTaskContext,
    lane: Option<Arc<Lane>>,
    /// The last batch put, where an errant record the task reports is found.
    batch: Arc<Mutex<Vec<SinkRecord>>>,
}

impl JavaSinkTask {
    pub fn new(plugin: JavaPluginRef, connector_config: Props, task_id: u32) -> JavaSinkTask {
        JavaSinkTask {
            plugin,
            connector_config,
            task_id,
            context: SinkTaskContext::new(),
            lane: None,
            batch: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn lane(&self) -> Result<&Arc<Lane>> {
        self.lane
            .as_ref()
            .ok_or_else(|| ConnectError::Other("the Java task is not started".into()))
    }

    async fn call_json(&self, ty: u16, body: serde_json::Value) -> Result<Vec<u8>> {
        Ok(calls::call(self.lane()?, ty, body.to_string().into_bytes(), None).await?)
    }
}

#[derive(Serialize, Deserialize)]
struct Partition {
    topic: String,
    partition: i32,
}

#[derive(Serialize, Deserialize)]
struct PartitionOffset {
    topic: String,
    partition: i32,
    offset: i64,
}

fn partitions(list: &[TopicPartition]) -> serde_json::Value {
    json!({
        "partitions": list
            .iter()
            .map(|tp| Partition { topic: tp.topic.clone(), partition: tp.partition })
            .collect::<Vec<_>>()
    })
}

fn topic_partitions(list: Vec<Partition>) -> Vec<TopicPartition> {
    list.into_iter()
        .map(|p| TopicPartition {
            topic: p.topic,
            partition: p.partition,
        })
        .collect()
}

/// What the task asked of its `SinkTaskContext` during one call.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ContextCalls {
    offsets: Vec<PartitionOffset>,
    timeout_ms: Option<u64>,
    pause: Vec<Partition>,
    resume: Vec<Partition>,
    request_commit: bool,
}

struct ContextEvents {
    context: SinkTaskContext,
    batch: Arc<Mutex<Vec<SinkRecord>>>,
}

/// A record the task reports through its `ErrantRecordReporter`, and why.
#[derive(Deserialize)]
struct Errant {
    topic: String,
    partition: i32,
    offset: i64,
    #[serde(flatten)]
    error: JavaError,
}

impl ContextEvents {
    /// Hands a reported record (its original bytes, as consumed) to ferry's reporter: logged and
    /// sent to the dead letter queue under `errors.tolerance=all`, refused under `none`.
    fn report(&self, body: &[u8]) -> std::result::Result<Vec<u8>, String> {
        let errant: Errant = serde_json::from_slice(body)
            .map_err(|e| format!("unreadable errant record report: {e}"))?;
        let batch = self.batch.lock().unwrap_or_else(|p| p.into_inner());
        let record = batch
            .iter()
            .find(|r| {
                r.topic == errant.topic
                    && r.kafka_partition == errant.partition
                    && r.kafka_offset == errant.offset
            })
            .ok_or_else(|| {
                format!(
                    "the task reported {}-{} offset {}, which is not in the batch it was given",
                    errant.topic, errant.partition, errant.offset
                )
            })?;
        let reporter = self
            .context
            .errant_record_reporter()
            .ok_or_else(|| "this worker has no errant record reporter".to_string())?;
        reporter
            .report(record, HostError::Java(errant.error).into())
            .map(|()| Vec::new())
            .map_err(|e| e.to_string())
    }
}

impl LaneHandler for ContextEvents {
    fn request(&self, ty: u16, body: &[u8]) -> std::result::Result<Vec<u8>, String> {
        match ty {
            msg::REPORT_ERRANT => self.report(body),
            other => Err(format!(
                "ferry does not answer message type {other} for a sink task"
            )),
        }
    }

    fn event(&self, ty: u16, body: &[u8]) {
        if ty != msg::SINK_CONTEXT {
            tracing::warn!(ty, "unknown event from a Java sink task; ignored");
            return;
        }
        let calls: ContextCalls = match serde_json::from_slice(body) {
            Ok(calls) => calls,
            Err(e) => {
                tracing::warn!(error = %e, "unreadable sink context event from the plugin host");
                return;
            }
        };
        if !calls.offsets.is_empty() {
            self.context.offsets(calls.offsets.into_iter().map(|o| {
                (
                    TopicPartition {
                        topic: o.topic,
                        partition: o.partition,
                    },
                    o.offset,
                )
            }));
        }
        if let Some(ms) = calls.timeout_ms {
            self.context.timeout(Duration::from_millis(ms));
        }
        if !calls.pause.is_empty() {
            self.context.pause(&topic_partitions(calls.pause));
        }
        if !calls.resume.is_empty() {
            self.context.resume(&topic_partitions(calls.resume));
        }
        if calls.request_commit {
            self.context.request_commit();
        }
    }
}

#[async_trait]
impl SinkTask for JavaSinkTask {
    fn initialize(&mut self, context: SinkTaskContext) {
        self.context = context;
    }

    async fn start(&mut self, props: &Props) -> Result<()> {
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
        let handler = Arc::new(ContextEvents {
            context: self.context.clone(),
            batch: self.batch.clone(),
        });
        let lane = calls::run(move || {
            let lane = host.lane(&name, handler)?;
            lane.call(msg::START_SINK_TASK, &body, None)?;
            Ok(lane)
        })
        .await?;
        self.lane = Some(Arc::new(lane));
        Ok(())
    }

    async fn open(&mut self, list: &[TopicPartition]) -> Result<()> {
        self.call_json(msg::OPEN, partitions(list)).await?;
        Ok(())
    }

    async fn put(&mut self, records: Vec<SinkRecord>) -> Result<()> {
        let body = encode_sink_records(&records)?;
        *self.batch.lock().unwrap_or_else(|p| p.into_inner()) = records;
        calls::call(self.lane()?, msg::PUT, body, None).await?;
        Ok(())
    }

    /// Kafka flushes a sink only through `preCommit`, before a commit; ferry's extra flush when
    /// the stream goes idle is not a Kafka call, so a Java task does not see it.
    async fn flush(&mut self, _offsets: &[(TopicPartition, i64)]) -> Result<()> {
        Ok(())
    }

    async fn pre_commit(
        &mut self,
        offsets: &[(TopicPartition, i64)],
    ) -> Result<Vec<(TopicPartition, i64)>> {
        let list: Vec<PartitionOffset> = offsets
            .iter()
            .map(|(tp, offset)| PartitionOffset {
                topic: tp.topic.clone(),
                partition: tp.partition,
                offset: *offset,
            })
            .collect();
        let reply = self
            .call_json(msg::PRE_COMMIT, json!({ "offsets": list }))
            .await?;
        #[derive(Deserialize)]
        struct Reply {
            offsets: Vec<PartitionOffset>,
        }
        let reply: Reply = serde_json::from_slice(&reply).map_err(|e| {
            ConnectError::Other(format!(
                "the plugin host's preCommit answer is unreadable: {e}"
            ))
        })?;
        Ok(reply
            .offsets
            .into_iter()
            .map(|o| {
                (
                    TopicPartition {
                        topic: o.topic,
                        partition: o.partition,
                    },
                    o.offset,
                )
            })
            .collect())
    }

    async fn close(&mut self, list: &[TopicPartition]) -> Result<()> {
        if self.lane.is_none() {
            return Ok(());
        }
        self.call_json(msg::CLOSE, partitions(list)).await?;
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
