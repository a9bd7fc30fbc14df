//! Change events as Debezium writes them: the key, the envelope with its `source` block, the
//! tombstone after a delete, and the offset that lets a restart resume after the event (Debezium's
//! offset keys, so a connector moves between Debezium and ferry on the same offsets).

use std::sync::Arc;

use ferry_api::{
    Header, OffsetMap, Result, Schema, SchemaBuilder, SchemaType, SourceRecord, Struct, Value,
};
use serde_json::json;

use crate::config::MySqlConfig;
use crate::schema::{TableSchemas, DEBEZIUM_VERSION};
use crate::table::Table;

/// `op` of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Read,
    Create,
    Update,
    Delete,
}

impl Op {
    fn code(self) -> &'static str {
        match self {
            Op::Read => "r",
            Op::Create => "c",
            Op::Update => "u",
            Op::Delete => "d",
        }
    }
}

/// Where an event was read, for its `source` block and its offset.
#[derive(Debug, Clone, Default)]
pub struct Position {
    /// The binlog file and the position a restart reads from: a transaction's start while
    /// streaming, the binlog position taken with the snapshot while snapshotting.
    pub file: String,
    pub pos: u64,
    /// Events of the current transaction already done, and rows of the current event.
    pub events_to_skip: u64,
    pub rows_to_skip: u64,
    /// The GTID set to restart from, when the server uses GTIDs.
    pub gtids: Option<String>,
    /// The event's own position in the binlog (for `source.pos`), its row, server and thread.
    pub event_pos: u64,
    pub row: i32,
    pub server_id: i64,
    pub thread: Option<i64>,
    pub gtid: Option<String>,
    /// When the change happened (the binlog event's time, or the snapshot's), in milliseconds.
    pub ts_ms: i64,
    /// `Some(marker)` while snapshotting: `true`, `first`, `last`, ...
    pub snapshot: Option<&'static str>,
    pub snapshot_completed: bool,
}

/// The source partition: `{"server": PREFIX}`.
pub fn partition(prefix: &str) -> Arc<OffsetMap> {
    let mut p = OffsetMap::new();
    p.insert("server".into(), json!(prefix));
    Arc::new(p)
}

/// The offset of an event at `position`, in Debezium's keys.
pub fn offset(position: &Position) -> OffsetMap {
    let mut o = OffsetMap::new();
    o.insert("ts_sec".into(), json!(position.ts_ms / 1000));
    o.insert("file".into(), json!(position.file));
    o.insert("pos".into(), json!(position.pos));
    if let Some(gtids) = &position.gtids {
        o.insert("gtids".into(), json!(gtids));
    }
    if position.snapshot.is_some() {
        // Debezium's SnapshotType while it runs, and whether this is its last record.
        o.insert("snapshot".into(), json!("INITIAL"));
        o.insert(
            "snapshot_completed".into(),
            json!(position.snapshot_completed),
        );
    } else {
        if position.events_to_skip > 0 {
            o.insert("event".into(), json!(position.events_to_skip));
        }
        if position.rows_to_skip > 0 {
            o.insert("row".into(), json!(position.rows_to_skip));
        }
        if position.server_id != 0 {
            o.insert("server_id".into(), json!(position.server_id));
        }
    }
    o
}

/// Builds the events of one connector.
pub struct Events {
    pub prefix: String,
    pub flavor_name: &'static str,
    pub source_schema: Arc<Schema>,
    pub partition: Arc<OffsetMap>,
    pub tombstones: bool,
    /// `skipped.operations`.
    skipped: Vec<char>,
    /// `heartbeat.topics.prefix`.`topic.prefix`, where heartbeats go.
    pub heartbeat_topic: String,
    heartbeat_key: Arc<Schema>,
    heartbeat_value: Arc<Schema>,
    /// Debezium's `__debezium.context.*` headers, the same on every change and schema change
    /// event of one run.
    pub context_headers: Vec<Header>,
}

fn text_header(key: &str, value: impl Into<String>) -> Header {
    Header {
        key: key.to_string(),
        schema: Some(Arc::new(Schema::string())),
        value: Value::String(value.into()),
    }
}

impl Events {
    pub fn new(config: &MySqlConfig, source_schema: Arc<Schema>) -> Result<Events> {
        Ok(Events {
            prefix: config.topic_prefix.clone(),
            flavor_name: config.flavor.connector_name(),
            source_schema,
            partition: partition(&config.topic_prefix),
            tombstones: config.tombstones_on_delete,
            skipped: config.skipped_operations.clone(),
            heartbeat_topic: format!("{}.{}", config.heartbeat_topics_prefix, config.topic_prefix),
            heartbeat_key: SchemaBuilder::new(SchemaType::Struct)
                .name("io.debezium.connector.common.ServerNameKey")
                .field("serverName", Schema::string())
                .build_arc()?,
            heartbeat_value: SchemaBuilder::new(SchemaType::Struct)
                .name("io.debezium.connector.common.Heartbeat")
                .field("ts_ms", Schema::new(SchemaType::Int64))
                .build_arc()?,
            context_headers: vec![
                text_header(
                    "__debezium.context.connectorLogicalName",
                    config.topic_prefix.clone(),
                ),
                text_header("__debezium.context.taskId", "0"),
                text_header(
                    "__debezium.context.connectorName",
                    config.flavor.connector_name(),
                ),
                text_header("__debezium.context.runId", uuid::Uuid::now_v7().to_string()),
            ],
        })
    }

    /// A heartbeat (`heartbeat.interval.ms`): a record on the heartbeat topic that carries the
    /// current offset, so the offset moves on while the captured tables are quiet.
    pub fn heartbeat(&self, at: &Position, now_ms: i64) -> SourceRecord {
        let key = Struct::from_values_unchecked(
            self.heartbeat_key.clone(),
            vec![Value::String(self.prefix.clone())],
        );
        let value =
            Struct::from_values_unchecked(self.heartbeat_value.clone(), vec![Value::Int64(now_ms)]);
        let mut record = SourceRecord::new(
            self.partition.clone(),
            offset(at),
            self.heartbeat_topic.clone(),
            Some(self.heartbeat_value.clone()),
            Value::Struct(value),
        );
        record.key_schema = Some(self.heartbeat_key.clone());
        record.key = Some(Value::Struct(key));
        record
    }

    /// The `source` block of an event about `db` (and `table`) read at `at`.
    pub fn source(&self, db: &str, table: Option<&str>, at: &Position) -> Value {
        let values = vec![
            Value::String(DEBEZIUM_VERSION.into()),
            Value::String(self.flavor_name.into()),
            Value::String(self.prefix.clone()),
            Value::Int64(at.ts_ms),
            at.snapshot
                .map(|s| Value::String(s.into()))
                .unwrap_or(Value::String("false".into())),
            Value::String(db.to_string()),
            Value::Null,
            Value::Int64(at.ts_ms * 1000),
            Value::Int64(at.ts_ms * 1_000_000),
            table
                .map(|t| Value::String(t.to_string()))
                .unwrap_or(Value::Null),
            Value::Int64(at.server_id),
            at.gtid.clone().map(Value::String).unwrap_or(Value::Null),
            Value::String(at.file.clone()),
            Value::Int64(at.event_pos as i64),
            Value::Int32(at.row),
            at.thread.map(Value::Int64).unwrap_or(Value::Null),
            Value::Null,
        ];
        Value::Struct(Struct::from_values_unchecked(
            self.source_schema.clone(),
            values,
        ))
    }

    /// The value struct of a row's captured columns.
    fn row(&self, schemas: &TableSchemas, row: &[Value]) -> Value {
        let values = schemas
            .value_columns
            .iter()
            .map(|&i| row.get(i).cloned().unwrap_or(Value::Null))
            .collect();
        Value::Struct(Struct::from_values_unchecked(schemas.value.clone(), values))
    }

    fn key(&self, schemas: &TableSchemas, row: &[Value]) -> Option<Value> {
        let schema = schemas.key.as_ref()?;
        let values = schemas
            .key_columns
            .iter()
            .map(|&i| row.get(i).cloned().unwrap_or(Value::Null))
            .collect();
        Some(Value::Struct(Struct::from_values_unchecked(
            schema.clone(),
            values,
        )))
    }

    /// The events of one change of one row: one, or for a delete with tombstones two, or for
    /// an update that changes the primary key a delete (with its tombstone) and a create.
    /// `now_ms` is when ferry handled it (`ts_ms` of the envelope).
    #[allow(clippy::too_many_arguments)]
    pub fn change(
        &self,
        table: &Table,
        schemas: &TableSchemas,
        op: Op,
        before: Option<&[Value]>,
        after: Option<&[Value]>,
        at: &Position,
        now_ms: i64,
        out: &mut Vec<SourceRecord>,
    ) -> Result<()> {
        if op.code().chars().all(|c| self.skipped.contains(&c)) {
            return Ok(());
        }
        self.emit(table, schemas, op, before, after, at, now_ms, out)
    }

    /// The events of a change not skipped. A key change emits its delete and create whatever
    /// `skipped.operations` says, as Debezium's do.
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &self,
        table: &Table,
        schemas: &TableSchemas,
        op: Op,
        before: Option<&[Value]>,
        after: Option<&[Value]>,
        at: &Position,
        now_ms: i64,
        out: &mut Vec<SourceRecord>,
    ) -> Result<()> {
        if op == Op::Update {
            if let (Some(b), Some(a)) = (before, after) {
                let old_key = self.key(schemas, b);
                let new_key = self.key(schemas, a);
                if old_key != new_key {
                    // As Debezium: a new primary key is a delete of the old row (its events
                    // naming the new key) and a create (naming the old one).
                    let key_header = |name: &str, key: Option<Value>| Header {
                        key: name.to_string(),
                        schema: schemas.key.clone(),
                        value: key.unwrap_or(Value::Null),
                    };
                    let newkey = key_header("__debezium.newkey", new_key);
                    let oldkey = key_header("__debezium.oldkey", old_key);
                    let start = out.len();
                    self.emit(table, schemas, Op::Delete, before, None, at, now_ms, out)?;
                    for record in &mut out[start..] {
                        record.headers.push(newkey.clone());
                    }
                    let start = out.len();
                    self.emit(table, schemas, Op::Create, None, after, at, now_ms, out)?;
                    for record in &mut out[start..] {
                        record.headers.push(oldkey.clone());
                    }
                    return Ok(());
                }
            }
        }
        let key_row = after.or(before).unwrap_or(&[]);
        let key = self.key(schemas, key_row);
        let envelope = Struct::from_values_unchecked(
            schemas.envelope.clone(),
            vec![
                before.map(|r| self.row(schemas, r)).unwrap_or(Value::Null),
                after.map(|r| self.row(schemas, r)).unwrap_or(Value::Null),
                self.source(&table.db, Some(&table.name), at),
                Value::Null,
                Value::String(op.code().into()),
                Value::Int64(now_ms),
                Value::Int64(now_ms * 1000),
                Value::Int64(now_ms * 1_000_000),
            ],
        );
        let topic = schemas.topic.clone();
        let mut record = SourceRecord::new(
            self.partition.clone(),
            offset(at),
            topic.clone(),
            Some(schemas.envelope.clone()),
            Value::Struct(envelope),
        );
        record.key_schema = schemas.key.clone();
        record.key = key.clone();
        record.headers = self.context_headers.clone();
        out.push(record);
        if op == Op::Delete && self.tombstones {
            let mut tombstone =
                SourceRecord::new(self.partition.clone(), offset(at), topic, None, Value::Null);
            tombstone.value = None;
            tombstone.key_schema = schemas.key.clone();
            tombstone.key = key;
            tombstone.headers = self.context_headers.clone();
            out.push(tombstone);
        }
        Ok(())
    }
}
