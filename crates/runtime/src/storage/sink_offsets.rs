//! Offsets of sink connectors, which live in the broker's consumer group `connect-NAME`: read,
//! altered and reset (KIP-875) while the connector is stopped.

use std::time::Duration;

use ferry_api::Props;
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use serde_json::{json, Map, Value as Json};

use crate::config::connector::{TOPICS, TOPICS_REGEX};
use crate::config::worker::WorkerConfig;
use crate::entities::{ConnectorOffset, HerderError};
use crate::kafka::{self, LoggingContext};

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

/// Every partition of every topic of the cluster.
fn every_partition(
    consumer: &BaseConsumer<LoggingContext>,
) -> Result<TopicPartitionList, HerderError> {
    let metadata = consumer
        .fetch_metadata(None, TIMEOUT)
        .map_err(|e| internal("cannot read the topics from the broker", e))?;
    let mut list = TopicPartitionList::new();
    for topic in metadata.topics() {
        for p in topic.partitions() {
            list.add_partition(topic.name(), p.id());
        }
    }
    Ok(list)
}

/// `{"kafka_topic","kafka_partition"}` -> `{"kafka_offset"}` for every partition the group has a
/// committed offset for — as Kafka lists them, those of topics the connector no longer consumes
/// (its `topics` changed, or its name was used before) included.
pub fn read(worker: &WorkerConfig, connector: &str) -> Result<Vec<ConnectorOffset>, HerderError> {
    let consumer = consumer(worker, connector)?;
    let list = every_partition(&consumer)?;
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

/// Checks the sink form of an offsets request, with Kafka's words: a topic, a partition and an
/// offset, numbers given as JSON numbers or as their text (`"10"` and `10` alike), and a null
/// offset, which resets the partition. A negative offset is refused here (Kafka leaves it to the
/// broker, which answers with an error).
pub fn parse(offsets: &[ConnectorOffset]) -> Result<Vec<(String, i32, Option<i64>)>, HerderError> {
    offsets
        .iter()
        .map(|o| {
            let (Some(topic), Some(partition)) =
                (o.partition.get(KAFKA_TOPIC), o.partition.get(KAFKA_PARTITION))
            else {
                return Err(HerderError::BadRequest(format!(
                    "The partition for a sink connector offset must contain the keys '{KAFKA_TOPIC}' and '{KAFKA_PARTITION}'"
                )));
            };
            let topic = match topic {
                Json::String(t) => t.clone(),
                other => other.to_string(),
            };
            let partition = number::<i32>(partition).ok_or_else(|| {
                HerderError::BadRequest(format!(
                    "Failed to parse the following Kafka partition value in the provided offsets: '{}'. Partition values for sink connectors need to be integers.",
                    text(partition)
                ))
            })?;
            let offset = match &o.offset {
                None => None,
                Some(m) => {
                    let value = m.get(KAFKA_OFFSET).ok_or_else(|| {
                        HerderError::BadRequest(format!(
                            "The offset for a sink connector should either be null or contain the key '{KAFKA_OFFSET}'"
                        ))
                    })?;
                    let offset = number::<i64>(value).ok_or_else(|| {
                        HerderError::BadRequest(format!(
                            "Failed to parse the following Kafka offset value in the provided offsets: '{}'. Offset values for sink connectors need to be integers.",
                            text(value)
                        ))
                    })?;
                    if offset < 0 {
                        return Err(HerderError::BadRequest(format!(
                            "The offset for partition {partition} of topic {topic} must not be negative, not {offset}"
                        )));
                    }
                    Some(offset)
                }
            };
            Ok((topic, partition, offset))
        })
        .collect()
}

const KAFKA_TOPIC: &str = "kafka_topic";
const KAFKA_PARTITION: &str = "kafka_partition";
const KAFKA_OFFSET: &str = "kafka_offset";

/// A JSON number, or a string holding one, as Kafka's `Long.parseLong(String.valueOf(v))` reads it.
fn number<T: std::str::FromStr>(value: &Json) -> Option<T> {
    match value {
        Json::Number(n) => n.to_string().parse().ok(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A value as Java's `String.valueOf` shows it in a message.
fn text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
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
    // Just after a stop the group may still hold the task's member for a moment; the broker
    // refuses commits from outside it until the member has left (Kafka answers 500 here and
    // asks the user to retry; ferry retries for a while itself).
    let started = std::time::Instant::now();
    loop {
        match consumer.commit(&list, CommitMode::Sync) {
            Ok(()) => return Ok(()),
            Err(rdkafka::error::KafkaError::ConsumerCommit(
                RDKafkaErrorCode::UnknownMemberId
                | RDKafkaErrorCode::RebalanceInProgress
                | RDKafkaErrorCode::IllegalGeneration,
            )) if started.elapsed() < MEMBER_LEAVE_WAIT => {
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => {
                return Err(internal(
                    "cannot commit the consumer group's offsets (if the connector was stopped just now, its tasks may not have left the group yet: try again)",
                    e,
                ))
            }
        }
    }
}

/// How long an offsets change waits for a stopped task's consumer to leave its group.
const MEMBER_LEAVE_WAIT: Duration = Duration::from_secs(15);

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

#[cfg(test)]
mod tests {
    use super::*;

    fn offset(partition: Json, offset: Json) -> ConnectorOffset {
        ConnectorOffset {
            partition: object(partition),
            offset: match offset {
                Json::Null => None,
                o => Some(object(o)),
            },
        }
    }

    fn message(e: HerderError) -> String {
        e.to_string()
    }

    #[test]
    fn numbers_may_come_as_text_as_kafka_accepts_them() {
        let parsed = parse(&[
            offset(
                json!({"kafka_topic": "t", "kafka_partition": "1"}),
                json!({"kafka_offset": "7"}),
            ),
            offset(
                json!({"kafka_topic": "t", "kafka_partition": 2}),
                json!(null),
            ),
        ])
        .unwrap();
        assert_eq!(
            parsed,
            vec![("t".into(), 1, Some(7)), ("t".into(), 2, None)]
        );
    }

    #[test]
    fn malformed_offsets_are_refused_with_kafkas_words() {
        let refused = |o: ConnectorOffset| message(parse(&[o]).unwrap_err());
        assert_eq!(
            refused(offset(json!({"kafka_topic": "t"}), json!({"kafka_offset": 1}))),
            "The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'"
        );
        assert_eq!(
            refused(offset(json!({"kafka_topic": "t", "kafka_partition": "x"}), json!({"kafka_offset": 1}))),
            "Failed to parse the following Kafka partition value in the provided offsets: 'x'. Partition values for sink connectors need to be integers."
        );
        assert_eq!(
            refused(offset(json!({"kafka_topic": "t", "kafka_partition": 0}), json!({"offset": 1}))),
            "The offset for a sink connector should either be null or contain the key 'kafka_offset'"
        );
        assert_eq!(
            refused(offset(json!({"kafka_topic": "t", "kafka_partition": 0}), json!({"kafka_offset": "abc"}))),
            "Failed to parse the following Kafka offset value in the provided offsets: 'abc'. Offset values for sink connectors need to be integers."
        );
    }
}
