//! The dead letter queue of a sink (`errors.deadletterqueue.*`): the original record of a
//! failure tolerated under `errors.tolerance=all`, written to its own topic (created when
//! missing) with the `__connect.errors.*` headers saying where and why it failed.

use std::time::Duration;

use ferry_api::{ConnectError, Props};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;

use super::{flag, Consumed, Failure, TaskError, DLQ_CONTEXT_HEADERS, DLQ_REPLICATION};
use crate::config::client_overrides;
use crate::config::worker::WorkerConfig;
use crate::kafka::{self, LoggingContext};

pub(super) struct DeadLetterQueue {
    topic: String,
    context_headers: bool,
    producer: BaseProducer<LoggingContext>,
}

impl DeadLetterQueue {
    pub(super) async fn open(
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
    pub(super) fn send(
        &self,
        connector: &str,
        task: u32,
        failure: &Failure,
        record: &Consumed<'_>,
    ) -> Result<(), TaskError> {
        let mut headers = OwnedHeaders::new();
        for (key, value) in record.message.headers() {
            headers = headers.insert(Header { key, value });
        }
        if self.context_headers {
            let error = &failure.error;
            let message = match error {
                ConnectError::Java(thrown) => thrown.message.clone().unwrap_or_default(),
                other => other.to_string(),
            };
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
        if let Some(ts) = record.message.timestamp() {
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

    /// Waits until every record sent is acknowledged.
    pub(super) fn flush(&self) -> Result<(), TaskError> {
        tokio::task::block_in_place(|| self.producer.flush(Duration::from_secs(30))).map_err(|e| {
            TaskError::Kafka(
                format!("cannot write to the dead letter queue {}", self.topic),
                e,
            )
        })
    }
}

/// The Java exception class Kafka would name for this kind of failure (a Java plugin's own).
fn exception_class(error: &ConnectError) -> &str {
    match error {
        ConnectError::Java(thrown) => &thrown.class,
        ConnectError::Data(_) => "org.apache.kafka.connect.errors.DataException",
        ConnectError::Retriable(_) => "org.apache.kafka.connect.errors.RetriableException",
        ConnectError::Config(_) => "org.apache.kafka.common.config.ConfigException",
        _ => "org.apache.kafka.connect.errors.ConnectException",
    }
}
