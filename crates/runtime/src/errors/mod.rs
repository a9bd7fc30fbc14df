//! What a task does with a record that fails on its way (KIP-298), as one policy applied around
//! the stages of a record's pass: `errors.tolerance` (`none` fails the task, `all` skips the
//! record), `errors.log.enable` and `errors.log.include.messages`, and for sinks a dead letter
//! queue (`errors.deadletterqueue.*`) that keeps the original record with headers saying where
//! and why it failed.

mod dead_letter_queue;
mod errant;
mod retry;
mod task_error;

use dead_letter_queue::DeadLetterQueue;
pub use errant::ErrantReporter;
pub use retry::RetryPolicy;
pub use task_error::TaskError;

use std::sync::Arc;

use ferry_api::{ConnectError, Props};
use rdkafka::message::{BorrowedMessage, Headers, Message};

use crate::config::worker::WorkerConfig;
use crate::metrics::TaskMetrics;

pub const TOLERANCE: &str = "errors.tolerance";
pub const LOG_ENABLE: &str = "errors.log.enable";
pub const LOG_INCLUDE_MESSAGES: &str = "errors.log.include.messages";
pub const DLQ_TOPIC: &str = "errors.deadletterqueue.topic.name";
pub const DLQ_REPLICATION: &str = "errors.deadletterqueue.topic.replication.factor";
pub const DLQ_CONTEXT_HEADERS: &str = "errors.deadletterqueue.context.headers.enable";

/// Where in a record's pass it failed, named as Kafka's `__connect.errors.stage` header names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    KeyConverter,
    ValueConverter,
    HeaderConverter,
    Transformation,
    /// The task's `put`: a record the task reported as errant.
    TaskPut,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::HeaderConverter => "HEADER_CONVERTER",
            Stage::Transformation => "TRANSFORMATION",
            Stage::TaskPut => "TASK_PUT",
        }
    }

    /// The stage Kafka's name names.
    pub fn from_name(name: &str) -> Option<Stage> {
        [
            Stage::KeyConverter,
            Stage::ValueConverter,
            Stage::HeaderConverter,
            Stage::Transformation,
            Stage::TaskPut,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// A failure at one stage, with the class that failed (the converter's or transform's).
pub struct Failure {
    pub stage: Stage,
    pub class: String,
    pub error: ConnectError,
}

impl From<ferry_transforms::TransformFailure> for Failure {
    fn from(failed: ferry_transforms::TransformFailure) -> Failure {
        Failure {
            stage: Stage::Transformation,
            class: failed.class.to_string(),
            error: failed.error,
        }
    }
}

/// A failure at `stage` of the class `class`.
pub fn failure(stage: Stage, class: &str, error: ConnectError) -> Failure {
    Failure {
        stage,
        class: class.to_string(),
        error,
    }
}

/// The consumed record a sink failed on.
pub struct Consumed<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    pub message: Original<'a>,
}

/// A failed record's bytes: as they came from Kafka, or made again from the record a task
/// reported (Kafka's errant record reporter converts it back with the task's converters).
pub enum Original<'a> {
    Message(&'a BorrowedMessage<'a>),
    Converted {
        key: Option<Vec<u8>>,
        value: Option<Vec<u8>>,
        headers: Vec<(String, Option<Vec<u8>>)>,
        timestamp: Option<i64>,
    },
}

impl Original<'_> {
    pub fn key(&self) -> Option<&[u8]> {
        match self {
            Original::Message(m) => m.key(),
            Original::Converted { key, .. } => key.as_deref(),
        }
    }

    pub fn payload(&self) -> Option<&[u8]> {
        match self {
            Original::Message(m) => m.payload(),
            Original::Converted { value, .. } => value.as_deref(),
        }
    }

    pub fn timestamp(&self) -> Option<i64> {
        match self {
            Original::Message(m) => m.timestamp().to_millis(),
            Original::Converted { timestamp, .. } => *timestamp,
        }
    }

    /// The record's own headers, in order.
    pub fn headers(&self) -> Vec<(&str, Option<&[u8]>)> {
        match self {
            Original::Message(m) => m
                .headers()
                .map(|h| h.iter().map(|h| (h.key, h.value)).collect())
                .unwrap_or_default(),
            Original::Converted { headers, .. } => headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_deref()))
                .collect(),
        }
    }
}

/// One task's error policy.
pub struct ErrorPolicy {
    tolerate_all: bool,
    log: bool,
    log_messages: bool,
    dlq: Option<DeadLetterQueue>,
    connector: String,
    task: u32,
    /// Records skipped so far.
    pub skipped: u64,
    /// How long a stage failing with a retriable error is tried again before the tolerance
    /// decides.
    pub retry: RetryPolicy,
    /// The task's counters (`total-record-errors`, `total-records-skipped`,
    /// `deadletterqueue-produce-total`).
    pub metrics: Arc<TaskMetrics>,
}

fn flag(props: &Props, key: &str) -> bool {
    props
        .get(key)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

impl ErrorPolicy {
    /// The policy a connector configuration asks for, but for a dead letter queue (a source's).
    pub fn without_dead_letter_queue(connector: &str, task: u32, props: &Props) -> ErrorPolicy {
        ErrorPolicy {
            tolerate_all: props
                .get(TOLERANCE)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("all")),
            log: flag(props, LOG_ENABLE),
            log_messages: flag(props, LOG_INCLUDE_MESSAGES),
            dlq: None,
            connector: connector.to_string(),
            task,
            skipped: 0,
            retry: RetryPolicy::from_config(props),
            metrics: Arc::default(),
        }
    }

    /// The policy a sink connector configuration asks for; the dead letter queue topic is
    /// created (one partition) when it does not exist.
    pub async fn new(
        worker: &WorkerConfig,
        connector: &str,
        task: u32,
        props: &Props,
    ) -> Result<ErrorPolicy, TaskError> {
        let mut policy = ErrorPolicy::without_dead_letter_queue(connector, task, props);
        let dlq_topic = props
            .get(DLQ_TOPIC)
            .map(|t| t.trim())
            .filter(|t| !t.is_empty());
        if let Some(topic) = dlq_topic {
            policy.dlq = Some(DeadLetterQueue::open(worker, connector, task, props, topic).await?);
        }
        Ok(policy)
    }

    /// Handles a sink record that failed: with `errors.tolerance=none` the task fails with a
    /// trace naming the record; with `all` the failure is logged (if asked), the original record
    /// goes to the dead letter queue (if there is one), and the caller skips it.
    pub fn sink_failure(
        &mut self,
        failure: Failure,
        record: &Consumed<'_>,
    ) -> Result<(), TaskError> {
        TaskMetrics::add(&self.metrics.total_record_errors, 1);
        let at = format!(
            "{} of the record at topic {}, partition {}, offset {}",
            failure.stage.name(),
            record.topic,
            record.partition,
            record.offset
        );
        if !self.tolerate_all {
            return Err(TaskError::Internal(format!(
                "Tolerance exceeded in error handler: {at} failed ({}): {}",
                failure.class,
                failure.error.trace()
            )));
        }
        if self.log {
            if self.log_messages {
                tracing::error!(
                    key = ?record.message.key().map(String::from_utf8_lossy),
                    value = ?record.message.payload().map(String::from_utf8_lossy),
                    "error in {at} ({}); the record is skipped: {}",
                    failure.class,
                    failure.error.trace()
                );
            } else {
                tracing::error!(
                    "error in {at} ({}); the record is skipped: {}",
                    failure.class,
                    failure.error.trace()
                );
            }
        }
        if let Some(dlq) = &self.dlq {
            dlq.send(&self.connector, self.task, &failure, record)?;
            TaskMetrics::add(&self.metrics.deadletterqueue_produce_total, 1);
        }
        self.skipped += 1;
        TaskMetrics::add(&self.metrics.total_records_skipped, 1);
        Ok(())
    }

    /// Handles a source record that failed before it reached the producer: with `none` the
    /// task fails; with `all` the failure is logged (if asked) and the caller skips the record,
    /// whose offset is committed as if it had been sent (Kafka has no dead letter queue for
    /// sources).
    pub fn source_failure(&mut self, failure: Failure, topic: &str) -> Result<(), TaskError> {
        TaskMetrics::add(&self.metrics.total_record_errors, 1);
        let at = format!(
            "{} of a record for topic {topic} ({})",
            failure.stage.name(),
            failure.class
        );
        if !self.tolerate_all {
            return Err(TaskError::Internal(format!(
                "Tolerance exceeded in error handler: {at} failed: {}",
                failure.error.trace()
            )));
        }
        if self.log {
            tracing::error!(
                "error in {at}; the record is skipped: {}",
                failure.error.trace()
            );
        }
        self.skipped += 1;
        TaskMetrics::add(&self.metrics.total_records_skipped, 1);
        Ok(())
    }

    /// Waits until every record sent to the dead letter queue is acknowledged: called before
    /// consumer offsets are committed, so a skipped record is never lost from both places.
    pub fn flush(&self) -> Result<(), TaskError> {
        match &self.dlq {
            Some(dlq) => dlq.flush(),
            None => Ok(()),
        }
    }
}

/// The policy, also when a panic elsewhere poisoned its lock (its data stays usable).
fn lock_policy(policy: &std::sync::Mutex<ErrorPolicy>) -> std::sync::MutexGuard<'_, ErrorPolicy> {
    policy.lock().unwrap_or_else(|p| p.into_inner())
}
