//! The schema history topic (`schema.history.internal.kafka.topic`): every DDL statement that
//! matters to the connector, with the structure of the tables it changed and the binlog position
//! it was read at, in Debezium's record format. After a restart the tables are rebuilt from it as
//! they stood at the stored offset, so events written before a later ALTER still decode with the
//! structure they were written with — and a connector moved between Debezium and ferry finds its
//! history in the form it expects.

use std::collections::BTreeMap;
use std::time::Duration;

use ferry_api::{ConnectError, OffsetMap, Props, Result};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use serde_json::{json, Value as Json};

use crate::binlog::Resume;
use crate::ddl::ChangeKind;
use crate::filters::Filters;
use crate::table::Table;
use crate::table_changes::{history_json, table_from_history, TableChange};

const TIMEOUT: Duration = Duration::from_secs(30);

/// Where the history is kept (`schema.history.internal`).
#[derive(Debug, Clone)]
pub enum HistoryStore {
    /// `io.debezium.storage.kafka.history.KafkaSchemaHistory`, the default.
    Kafka {
        bootstrap: String,
        topic: String,
        /// `schema.history.internal.producer.*` and `.consumer.*`.
        producer: Props,
        consumer: Props,
    },
    /// `io.debezium.relational.history.MemorySchemaHistory`: nothing kept across restarts.
    Memory,
}

/// The history of one connector.
pub struct History {
    store: HistoryStore,
    server: String,
    producer: Option<FutureProducer>,
}

fn kafka_error(what: &str, e: impl std::fmt::Display) -> ConnectError {
    ConnectError::Retriable(format!("{what}: {e}"))
}

fn client(bootstrap: &str, extra: &Props) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", bootstrap);
    for (k, v) in extra {
        config.set(k, v);
    }
    config
}

/// The binlog position of a history record: the offset at the statement, without the
/// snapshot's completion flag (Debezium's history positions have none).
pub fn position(offset: OffsetMap) -> Json {
    let mut o = offset;
    o.remove("snapshot_completed");
    Json::Object(o)
}

/// The sequence number of a binlog file name (`mysql-bin.000014` → 14).
fn file_number(file: &str) -> u64 {
    file.rsplit('.')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Whether a record read at `position` belongs to the structure in force at `resume`: read at or
/// before it. Positions compare by binlog file, position, then events done.
fn not_after(position: &Json, resume: &Resume) -> bool {
    let Some(file) = position.get("file").and_then(Json::as_str) else {
        return true;
    };
    let pos = position.get("pos").and_then(Json::as_u64).unwrap_or(0);
    let event = position.get("event").and_then(Json::as_u64).unwrap_or(0);
    (file_number(file), pos, event)
        <= (file_number(&resume.file), resume.pos, resume.events_to_skip)
}

/// The tables rebuilt from the history.
pub struct Recovered {
    pub tables: BTreeMap<String, Table>,
    pub records: usize,
}

impl History {
    /// The history of the connector named `server` (its `topic.prefix`); for Kafka, the topic is
    /// created when missing (one partition, kept forever, as Debezium creates it).
    pub async fn open(store: HistoryStore, server: &str) -> Result<History> {
        let producer = match &store {
            HistoryStore::Memory => None,
            HistoryStore::Kafka {
                bootstrap,
                topic,
                producer,
                ..
            } => {
                create_topic(bootstrap, topic, producer).await?;
                let mut config = client(bootstrap, producer);
                config
                    .set("acks", "all")
                    .set("enable.idempotence", "true")
                    .set("linger.ms", "0")
                    .set("client.id", format!("{server}-schemahistory"));
                Some(config.create().map_err(|e| {
                    ConnectError::Config(format!("cannot create the schema history producer: {e}"))
                })?)
            }
        };
        Ok(History {
            store,
            server: server.to_string(),
            producer,
        })
    }

    /// Keeps a DDL statement read at `position`, with the changes it made, and returns once the
    /// broker has it: nothing read after the statement is sent before its structure is safe.
    pub async fn record(
        &self,
        position: Json,
        db: &str,
        ddl: &str,
        changes: &[TableChange],
    ) -> Result<()> {
        let (Some(producer), HistoryStore::Kafka { topic, .. }) = (&self.producer, &self.store)
        else {
            return Ok(());
        };
        let record = json!({
            "source": {"server": self.server},
            "position": position,
            "ts_ms": chrono::Utc::now().timestamp_millis(),
            "databaseName": db,
            "ddl": ddl,
            "tableChanges": changes.iter().map(history_json).collect::<Vec<_>>(),
        });
        let payload = record.to_string();
        producer
            .send(
                FutureRecord::<(), String>::to(topic)
                    .partition(0)
                    .payload(&payload),
                TIMEOUT,
            )
            .await
            .map_err(|(e, _)| {
                kafka_error(
                    &format!("cannot write to the schema history topic {topic}"),
                    e,
                )
            })?;
        Ok(())
    }

    /// The captured tables as they stood at `resume`, from every record read at or before it;
    /// `None` when the history holds nothing (a missing or empty topic, or a memory history).
    pub async fn recover(&self, resume: &Resume, filters: &Filters) -> Result<Option<Recovered>> {
        let HistoryStore::Kafka {
            bootstrap,
            topic,
            consumer,
            ..
        } = &self.store
        else {
            return Ok(None);
        };
        let (bootstrap, topic, consumer) = (bootstrap.clone(), topic.clone(), consumer.clone());
        let server = self.server.clone();
        let records =
            tokio::task::spawn_blocking(move || read_all(&bootstrap, &topic, &consumer, &server))
                .await
                .map_err(|e| {
                    ConnectError::Other(format!("reading the schema history failed: {e}"))
                })??;
        if records.is_empty() {
            return Ok(None);
        }
        let mut tables = BTreeMap::new();
        let mut applied = 0;
        for record in &records {
            if !record.get("position").is_none_or(|p| not_after(p, resume)) {
                continue;
            }
            applied += 1;
            let changes = record
                .get("tableChanges")
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default();
            for change in changes {
                apply(&change, filters, &mut tables);
            }
        }
        Ok(Some(Recovered {
            tables,
            records: applied,
        }))
    }
}

/// `"db"."table"` → (db, table).
fn split_id(id: &str) -> Option<(String, String)> {
    let mut parts = id.splitn(2, "\".\"");
    let db = parts.next()?.trim_start_matches('"');
    let table = parts.next()?.trim_end_matches('"');
    Some((db.to_string(), table.to_string()))
}

/// One change of a history record applied to the tables known so far.
fn apply(change: &Json, filters: &Filters, tables: &mut BTreeMap<String, Table>) {
    let Some((db, name)) = change.get("id").and_then(Json::as_str).and_then(split_id) else {
        return;
    };
    let key = format!("{db}.{name}");
    let kind = change
        .get("type")
        .and_then(Json::as_str)
        .and_then(ChangeKind::parse);
    match (kind, change.get("table")) {
        (Some(ChangeKind::Drop), _) => {
            tables.remove(&key);
        }
        (Some(_), Some(table)) if filters.table(&db, &name) => {
            if let Some(t) =
                table_from_history(&db, &name, table, |c| filters.column(&db, &name, c))
            {
                tables.insert(key, t);
            }
        }
        _ => {}
    }
}

async fn create_topic(bootstrap: &str, topic: &str, extra: &Props) -> Result<()> {
    let admin: AdminClient<DefaultClientContext> =
        client(bootstrap, extra).create().map_err(|e| {
            ConnectError::Config(format!(
                "cannot create the schema history admin client: {e}"
            ))
        })?;
    // -1: the broker's default replication factor.
    let new_topic = NewTopic::new(topic, 1, TopicReplication::Fixed(-1))
        .set("cleanup.policy", "delete")
        .set("retention.ms", "9223372036854775807")
        .set("retention.bytes", "-1");
    let options = AdminOptions::new().operation_timeout(Some(TIMEOUT));
    let created = admin
        .create_topics([&new_topic], &options)
        .await
        .map_err(|e| {
            kafka_error(
                &format!("cannot create the schema history topic {topic}"),
                e,
            )
        })?;
    match created.into_iter().next() {
        Some(Ok(_)) => tracing::info!(topic, "created the schema history topic"),
        Some(Err((_, RDKafkaErrorCode::TopicAlreadyExists))) | None => {}
        Some(Err((_, code))) => {
            return Err(ConnectError::Retriable(format!(
                "cannot create the schema history topic {topic}: {code}"
            )))
        }
    }
    Ok(())
}

/// Every record of the history topic, oldest first.
fn read_all(bootstrap: &str, topic: &str, extra: &Props, server: &str) -> Result<Vec<Json>> {
    let mut config = client(bootstrap, extra);
    config
        .set("group.id", format!("{server}-schemahistory"))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false");
    let consumer: BaseConsumer = config.create().map_err(|e| {
        ConnectError::Config(format!("cannot create the schema history consumer: {e}"))
    })?;
    let (low, high) = match consumer.fetch_watermarks(topic, 0, TIMEOUT) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(topic, "cannot read the schema history topic: {e}");
            return Ok(Vec::new());
        }
    };
    if high <= low {
        return Ok(Vec::new());
    }
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, 0, Offset::Beginning)
        .map_err(|e| kafka_error("cannot read the schema history", e))?;
    consumer
        .assign(&assignment)
        .map_err(|e| kafka_error("cannot read the schema history", e))?;
    let mut records = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut next = low;
    while next < high {
        if std::time::Instant::now() > deadline {
            return Err(ConnectError::Retriable(format!(
                "reading the schema history topic {topic} took too long ({next} of {high} records)"
            )));
        }
        let Some(message) = consumer.poll(Duration::from_millis(500)) else {
            continue;
        };
        let message = message.map_err(|e| kafka_error("cannot read the schema history", e))?;
        next = message.offset() + 1;
        let Some(payload) = message.payload() else {
            continue;
        };
        match serde_json::from_slice::<Json>(payload) {
            Ok(record) => records.push(record),
            Err(e) => tracing::warn!(
                topic,
                offset = message.offset(),
                "a schema history record is not JSON and is skipped: {e}"
            ),
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resume(file: &str, pos: u64, event: u64) -> Resume {
        Resume {
            file: file.into(),
            pos,
            events_to_skip: event,
            rows_to_skip: 0,
            gtids: None,
        }
    }

    #[test]
    fn records_up_to_the_offset_belong_to_it() {
        let at = json!({"file": "mysql-bin.000014", "pos": 118170, "event": 1});
        assert!(not_after(&at, &resume("mysql-bin.000014", 118170, 1)));
        assert!(not_after(&at, &resume("mysql-bin.000014", 119000, 0)));
        assert!(not_after(&at, &resume("mysql-bin.000015", 4, 0)));
        assert!(!not_after(&at, &resume("mysql-bin.000014", 118170, 0)));
        assert!(!not_after(&at, &resume("mysql-bin.000013", 999999, 0)));
        let snapshot = json!({"file": "mysql-bin.000014", "pos": 116021, "snapshot": "INITIAL"});
        assert!(not_after(&snapshot, &resume("mysql-bin.000014", 116021, 0)));
    }

    #[test]
    fn table_ids_split_into_database_and_table() {
        assert_eq!(
            split_id("\"compat\".\"customers\""),
            Some(("compat".into(), "customers".into()))
        );
    }
}
