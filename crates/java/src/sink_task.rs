//! A Java sink task in the plugin host: ferry's consumer hands over Kafka's bytes; the host
//! converts, transforms and puts them. What the task asks of its context comes back as an event
//! before the reply of the call during which it asked.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use ferry_api::{
    ConnectError, Props, Result, SinkRecord, SinkTask, SinkTaskContext, TopicPartition,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::connector::JavaPluginRef;
use crate::error::{HostError, JavaError};
use crate::lane::LaneHandler;
use crate::records::encode_sink_records;
use crate::task_lane::{Answer, TaskLane};
use crate::wire::msg;

pub struct JavaSinkTask {
    plugin: JavaPluginRef,
    connector_config: Props,
    task_id: u32,
    context: SinkTaskContext,
    lane: Option<TaskLane>,
    /// The last batch put, where an errant record the task reports is found.
    batch: Arc<Mutex<Vec<SinkRecord>>>,
    /// Per partition, the first offset put and not yet committed: where the consumer goes back
    /// to when the task starts again on a new host, so that nothing it had is lost.
    uncommitted: BTreeMap<TopicPartition, i64>,
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
            uncommitted: BTreeMap::new(),
        }
    }

    async fn call(&mut self, ty: u16, body: Vec<u8>) -> Result<Answer> {
        let answer = self
            .lane
            .as_mut()
            .ok_or_else(|| ConnectError::Other("the Java task is not started".into()))?
            .call(ty, body)
            .await?;
        if let Answer::Restarted = answer {
            self.resume_on_new_host().await?;
        }
        Ok(answer)
    }

    /// After a restart on a new host: the task gets its partitions again, and the consumer goes
    /// back to the first record not committed of each, which the lost task may not have written.
    async fn resume_on_new_host(&mut self) -> Result<()> {
        let assigned = self.context.assignment();
        let lane = self
            .lane
            .as_mut()
            .ok_or_else(|| ConnectError::Other("the Java task is not started".into()))?;
        if let Answer::Restarted = lane
            .call(msg::OPEN, partitions(&assigned).to_string().into_bytes())
            .await?
        {
            return Err(ConnectError::Other(
                "the plugin host died again while the task was starting on it".into(),
            ));
        }
        self.context.offsets(std::mem::take(&mut self.uncommitted));
        Ok(())
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
    /// Set when a Java converter or transform failed on the record before `put` (Kafka's
    /// stage name and the failing class); absent for the task's own reports.
    #[serde(default)]
    stage: Option<String>,
    #[serde(default)]
    class_name: Option<String>,
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
        let error = HostError::Java(errant.error).into();
        match (errant.stage.as_deref(), errant.class_name.as_deref()) {
            (Some(stage), Some(class)) => reporter.report_at(record, error, stage, class),
            _ => reporter.report(record, error),
        }
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
        let handler = Arc::new(ContextEvents {
            context: self.context.clone(),
            batch: self.batch.clone(),
        });
        let mut lane = TaskLane::new(
            self.plugin.clone(),
            &self.connector_config,
            self.task_id,
            msg::START_SINK_TASK,
            props,
            handler,
        );
        lane.open().await?;
        self.lane = Some(lane);
        Ok(())
    }

    async fn open(&mut self, list: &[TopicPartition]) -> Result<()> {
        self.call(msg::OPEN, partitions(list).to_string().into_bytes())
            .await?;
        Ok(())
    }

    async fn put(&mut self, records: Vec<SinkRecord>) -> Result<()> {
        let body = encode_sink_records(&records)?;
        // A batch holds runs of one partition: look each run up once, not each record.
        let mut previous: Option<(&str, i32)> = None;
        for r in &records {
            let here = (r.topic.as_str(), r.kafka_partition);
            if previous == Some(here) {
                continue;
            }
            previous = Some(here);
            let tp = TopicPartition {
                topic: r.topic.clone(),
                partition: r.kafka_partition,
            };
            self.uncommitted.entry(tp).or_insert(r.kafka_offset);
        }
        *self.batch.lock().unwrap_or_else(|p| p.into_inner()) = records;
        self.call(msg::PUT, body).await?;
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
        let body = json!({ "offsets": list }).to_string().into_bytes();
        let Answer::Reply(reply) = self.call(msg::PRE_COMMIT, body).await? else {
            // the task started again on a new host: nothing it wrote is known to be safe
            return Ok(Vec::new());
        };
        #[derive(Deserialize)]
        struct Reply {
            offsets: Vec<PartitionOffset>,
        }
        let reply: Reply = serde_json::from_slice(&reply).map_err(|e| {
            ConnectError::Other(format!(
                "the plugin host's preCommit answer is unreadable: {e}"
            ))
        })?;
        let safe: Vec<(TopicPartition, i64)> = reply
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
            .collect();
        // What is committed now is no longer at risk; anything after it put since still is.
        for (tp, offset) in &safe {
            if let Some(first) = self.uncommitted.get_mut(tp) {
                *first = (*first).max(*offset);
            }
        }
        let put_until: BTreeMap<&TopicPartition, i64> =
            offsets.iter().map(|(tp, o)| (tp, *o)).collect();
        self.uncommitted
            .retain(|tp, first| put_until.get(tp).is_none_or(|end| *first < *end));
        Ok(safe)
    }

    async fn close(&mut self, list: &[TopicPartition]) -> Result<()> {
        if self.lane.is_none() {
            return Ok(());
        }
        for tp in list {
            self.uncommitted.remove(tp);
        }
        self.call(msg::CLOSE, partitions(list).to_string().into_bytes())
            .await?;
        Ok(())
    }

    async fn stop(&mut self) -> Result<()> {
        match self.lane.as_mut() {
            Some(lane) => lane.stop().await,
            None => Ok(()),
        }
    }
}
