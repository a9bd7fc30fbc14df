//! Offsets of sink connectors, which live in the broker's consumer group `connect-NAME`: read,
//! altered and reset (KIP-875) while the connector is stopped.

use std::time::Duration;

use ferry_api::Props;
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::{json, Map, Value as Json};

use crate::connector_config::{TOPICS, TOPICS_REGEX};
use crate::herder::{ConnectorOffset, HerderError};
use crate::kafka::{self, LoggingContext};
use crate::worker_config::WorkerConfig;

const TIMEOUT: Duration = Duration::from_secs(10);

pub fn group_id(connector: &str) -> String {
    format!("connect-{connector}")
}

fn consumer(
    worker: &WorkerConfig,
    connector: &str,
) -> Result<BaseConsumer<LoggingContext>, HerderError> {
    let mut props = worker.client_props("consumer.");
    props.insert("group.id".into(), group_id(connector));
    props.insert("enable.auto.commit".into(), "false".into());
    kafka::create_client("consumer", &props, LoggingContext).map_err(|e| {
        HerderError::Internal(format!(
            "cannot create a consumer for the offsets of {connector}: {e}"
        ))
    })
}

fn internal(what: &str, e: impl std::fmt::Display) -> HerderError {
    HerderError::Internal(format!("{what}: {e}"))
}

/// Every partition of the topics the connector consumes.
fn partitions(
    consumer: &BaseConsumer<LoggingContext>,
    props: &Props,
) -> Result<TopicPartitionList, HerderError> {
    let metadata = consumer
        .fetch_metadata(None, TIMEOUT)
        .map_err(|e| internal("cannot read the topics from the broker", e))?;
    let listed: Vec<&str> = props
        .get(TOPICS)
        .map(|t| {
            t.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let pattern = props
        .get(TOPICS_REGEX)
        .filter(|r| !r.trim().is_empty())
        .and_then(|r| regex::Regex::new(&format!("^(?:{})$", r.trim())).ok());
    let mut list = TopicPartitionList::new();
    for topic in metadata.topics() {
        let wanted = listed.contains(&topic.name())
            || pattern.as_ref().is_some_and(|p| p.is_match(topic.name()));
        if wanted {
            for p in topic.partitions() {
                list.add_partition(topic.name(), p.id());
            }
        }
    }
    Ok(list)
}

/// `{"kafka_topic","kafka_partition"}` -> `{"kafka_offset"}` for every partition with a committed offset.
pub fn read(
    worker: &WorkerConfig,
    connector: &str,
    props: &Props,
) -> Result<Vec<ConnectorOffset>, HerderError> {
    let consumer = consumer(worker, connector)?;
    let list = partitions(&consumer, props)?;
    let committed = consumer
        .committed_offsets(list, TIMEOUT)
        .map_err(|e| internal("cannot read the consumer group's offsets", e))?;
    Ok(committed
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some(ConnectorOffset {
                partition: object(
                    json!({"kafka_topic": e.topic(), "kafka_partition": e.partition()}),
                ),
                offset: Some(object(json!({"kafka_offset": o}))),
            }),
            _ => None,
        })
        .collect())
}

fn object(v: Json) -> Map<String, Json> {
    match v {
        Json::Object(m) => m,
        _ => Map::new(),
    }
}

/// Checks the sink form of an offsets request: topic, partition, and an offset of at least 0
/// (or null, which resets the partition).
pub fn parse(offsets: &[ConnectorOffset]) -> Result<Vec<(String, i32, Option<i64>)>, HerderError> {
    offsets
        .iter()
        .map(|o| {
            let topic = o.partition.get("kafka_topic").and_then(Json::as_str).ok_or_else(|| {
                HerderError::BadRequest("Kafka partitions must have a 'kafka_topic' key with a string value".into())
            })?;
            let partition = o
                .partition
                .get("kafka_partition")
                .and_then(Json::as_i64)
                .and_then(|p| i32::try_from(p).ok())
                .ok_or_else(|| {
                    HerderError::BadRequest("Kafka partitions must have a 'kafka_partition' key with an integer value".into())
                })?;
            let offset = match &o.offset {
                None => None,
                Some(m) => Some(m.get("kafka_offset").and_then(Json::as_i64).filter(|v| *v >= 0).ok_or_else(|| {
                    HerderError::BadRequest("Kafka offsets must have a 'kafka_offset' key with a non-negative integer value".into())
                })?),
            };
            Ok((topic.to_string(), partition, offset))
        })
        .collect()
}

/// Commits the given offsets for the group; a missing offset rewinds that partition to its start.
pub fn write(
    worker: &WorkerConfig,
    connector: &str,
    offsets: &[(String, i32, Option<i64>)],
) -> Result<(), HerderError> {
    let consumer = consumer(worker, connector)?;
    let mut list = TopicPartitionList::new();
    for (topic, partition, offset) in offsets {
        let offset = match offset {
            Some(o) => *o,
            None => {
                consumer
                    .fetch_watermarks(topic, *partition, TIMEOUT)
                    .map_err(|e| internal("cannot read the partition's first offset", e))?
                    .0
            }
        };
        list.add_partition_offset(topic, *partition, Offset::Offset(offset))
            .map_err(|e| internal("invalid offset", e))?;
    }
    if list.count() == 0 {
        return Ok(());
    }
    consumer
        .commit(&list, CommitMode::Sync)
        .map_err(|e| internal("cannot commit the consumer group's offsets", e))
}

/// Forgets the group's offsets, so the connector starts again from `auto.offset.reset`
/// (earliest). Where the broker cannot delete groups, every partition is rewound to its start.
pub async fn reset(
    worker: &WorkerConfig,
    connector: &str,
    props: &Props,
) -> Result<(), HerderError> {
    let admin: AdminClient<LoggingContext> =
        kafka::create_client("admin", &worker.client_props("admin."), LoggingContext)
            .map_err(|e| internal("cannot create the admin client", e))?;
    let group = group_id(connector);
    let deleted = admin
        .delete_groups(
            &[group.as_str()],
            &AdminOptions::new().operation_timeout(Some(TIMEOUT)),
        )
        .await;
    match deleted.as_deref() {
        Ok([Ok(_)]) => return Ok(()),
        Ok([Err((_, code))]) if *code == rdkafka::types::RDKafkaErrorCode::GroupIdNotFound => {
            return Ok(())
        }
        other => tracing::info!(
            group,
            ?other,
            "the broker did not delete the group; rewinding its offsets instead"
        ),
    }
    let rewind: Vec<(String, i32, Option<i64>)> = tokio::task::block_in_place(|| {
        let consumer = consumer(worker, connector)?;
        let list = partitions(&consumer, props)?;
        Ok::<_, HerderError>(
            list.elements()
                .iter()
                .map(|e| (e.topic().to_string(), e.partition(), None))
                .collect(),
        )
    })?;
    tokio::task::block_in_place(|| write(worker, connector, &rewind))
}
