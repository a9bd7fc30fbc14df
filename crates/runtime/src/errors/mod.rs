//! What a task does with a record that fails on its way (KIP-298), as one policy applied around
//! the stages of a record's pass: `errors.tolerance` (`none` fails the task, `all` skips the
//! record), `errors.log.enable` and `errors.log.include.messages`, and for sinks a dead letter
//! queue (`errors.deadletterqueue.*`) that keeps the original record with headers saying where
//! and why it failed.

mod retry;
mod task_error;

pub use retry::RetryPolicy;
pub use task_error::TaskError;

use std::time::Duration;

use ferry_api::{ConnectError, Props};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;

use crate::config::client_overrides;
use crate::config::worker::WorkerConfig;
use crate::kafka::{self, LoggingContext};

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
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::HeaderConverter => "HEADER_CONVERTER",
            Stage::Transformation => "TRANSFORMATION",
        }
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

/// The consumed record a sink failed on, as it came from Kafka.
pub struct Consumed<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    pub message: &'a BorrowedMessage<'a>,
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
}

struct DeadLetterQueue {
    topic: String,
    context_headers: bool,
    producer: BaseProducer<LoggingContext>,
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
        }
        self.skipped += 1;
        Ok(())
    }

    /// Handles a source record that failed before it reached the producer: with `none` the
    /// task fails; with `all` the failure is logged (if asked) and the caller skips the record,
    /// whose offset is committed as if it had been sent (Kafka has no dead letter queue for
    /// sources).
    pub fn source_failure(&mut self, failure: Failure, topic: &str) -> Result<(), TaskError> {
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
        Ok(())
    }

    /// Waits until every record sent to the dead letter queue is acknowledged: called before
    /// consumer offsets are committed, so a skipped record is never lost from both places.
    pub fn flush(&self) -> Result<(), TaskError> {
        match &self.dlq {
            Some(dlq) => {
                tokio::task::block_in_place(|| dlq.producer.flush(Duration::from_secs(30))).map_err(
                    |e| {
                        TaskError::Kafka(
                            format!("cannot write to the dead letter queue {}", dlq.topic),
                            e,
                        )
                    },
                )
            }
            None => Ok(()),
        }
    }
}

impl DeadLetterQueue {
    async fn open(
        worker: &WorkerConfig,
        connector: &str,
        task: u32,
        props: &Props,
        topic: &str,
    ) -> Result<DeadLetterQueue, TaskError> {
        let replication: i32 = match props.get(DLQ_REPLICATION) {
            Some(v) => v.trim().parse().map_err(|_| {
                TaskError::Connect(ConnectError::Config(format!(
                    "{DLQ_REPLICATION}: {v} is not a number"
                )))
            })?,
            None => 3,
        };
        let mut admin_props = worker.client_props("admin.");
        admin_props.extend(client_overrides::overrides(props, "admin"));
        let admin: AdminClient<LoggingContext> =
            kafka::create_client("admin", &admin_props, LoggingContext).map_err(|e| {
                TaskError::Kafka(
                    "cannot create the admin client for the dead letter queue".into(),
                    e,
                )
            })?;
        let new_topic = NewTopic::new(topic, 1, TopicReplication::Fixed(replication));
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        let created = admin
            .create_topics([&new_topic], &options)
            .await
            .map_err(|e| {
                TaskError::Kafka(
                    format!("Could not initialize dead letter queue with topic={topic}"),
                    e,
                )
            })?;
        match created.into_iter().next() {
            Some(Ok(_)) => tracing::info!(topic, replication, "created the dead letter queue topic"),
            Some(Err((_, RDKafkaErrorCode::TopicAlreadyExists))) | None => {}
            Some(Err((_, code))) => {
                return Err(TaskError::Internal(format!(
                    "Could not initialize dead letter queue with topic={topic}: {code} (replication factor {replication}; set {DLQ_REPLICATION} to at most the number of brokers)"
                )))
            }
        }
        let mut producer_props = worker.client_props("producer.");
        producer_props.extend(client_overrides::overrides(props, "producer"));
        producer_props.insert("enable.idempotence".into(), "true".into());
        producer_props.insert("acks".into(), "all".into());
        producer_props.insert(
            "client.id".into(),
            format!("connector-dlq-producer-{connector}-{task}"),
        );
        let producer =
            kafka::create_client("producer", &producer_props, LoggingContext).map_err(|e| {
                TaskError::Kafka("cannot create the dead letter queue's producer".into(), e)
            })?;
        Ok(DeadLetterQueue {
            topic: topic.to_string(),
            context_headers: flag(props, DLQ_CONTEXT_HEADERS),
            producer,
        })
    }

    /// Sends the original record, its own headers kept, with Kafka's `__connect.errors.*`
    /// headers when `context.headers.enable` is on.
    fn send(
        &self,
        connector: &str,
        task: u32,
        failure: &Failure,
        record: &Consumed<'_>,
    ) -> Result<(), TaskError> {
        let mut headers = OwnedHeaders::new();
        if let Some(own) = record.message.headers() {
            for h in own.iter() {
                headers = headers.insert(Header {
                    key: h.key,
                    value: h.value,
                });
            }
        }
        if self.context_headers {
            let error = &failure.error;
            let message = error.to_string();
            let trace = error.trace();
            let exception = exception_class(error);
            let context: [(&str, String); 10] = [
                ("__connect.errors.topic", record.topic.to_string()),
                ("__connect.errors.partition", record.partition.to_string()),
                ("__connect.errors.offset", record.offset.to_string()),
                ("__connect.errors.connector.name", connector.to_string()),
                ("__connect.errors.task.id", task.to_string()),
                ("__connect.errors.stage", failure.stage.name().to_string()),
                ("__connect.errors.class.name", failure.class.clone()),
                (
                    "__connect.errors.exception.class.name",
                    exception.to_string(),
                ),
                ("__connect.errors.exception.message", message),
                ("__connect.errors.exception.stacktrace", trace),
            ];
            for (key, value) in &context {
                headers = headers.insert(Header {
                    key,
                    value: Some(value.as_bytes()),
                });
            }
        }
        let mut out = BaseRecord::<[u8], [u8]>::to(&self.topic).headers(headers);
        if let Some(key) = record.message.key() {
            out = out.key(key);
        }
        if let Some(value) = record.message.payload() {
            out = out.payload(value);
        }
        if let Some(ts) = record.message.timestamp().to_millis() {
            out = out.timestamp(ts);
        }
        let mut out = out;
        loop {
            match self.producer.send(out) {
                Ok(()) => return Ok(()),
                Err((
                    rdkafka::error::KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull),
                    back,
                )) => {
                    out = back;
                    self.producer.poll(Duration::from_millis(10));
                }
                Err((e, _)) => {
                    return Err(TaskError::Kafka(
                        format!("cannot write to the dead letter queue {}", self.topic),
                        e,
                    ))
                }
            }
        }
    }
}

/// The Java exception class Kafka would name for this kind of failure.
fn exception_class(error: &ConnectError) -> &'static str {
    match error {
        ConnectError::Data(_) => "org.apache.kafka.connect.errors.DataException",
        ConnectError::Retriable(_) => "org.apache.kafka.connect.errors.RetriableException",
        ConnectError::Config(_) => "org.apache.kafka.common.config.ConfigException",
        _ => "org.apache.kafka.connect.errors.ConnectException",
    }
}
