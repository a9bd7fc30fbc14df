//! Records as sources produce them and sinks receive them.

use std::sync::Arc;

use crate::data::{Schema, Value};

/// A source partition or source offset: a JSON object, stored as Kafka Connect stores it.
pub type OffsetMap = serde_json::Map<String, serde_json::Value>;

/// A record header: key, schema and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub key: String,
    pub schema: Option<Arc<Schema>>,
    pub value: Value,
}

/// A record produced by a source task.
#[derive(Debug, Clone)]
pub struct SourceRecord {
    /// Where in the source the record came from (e.g. `{"filename": ...}`); shared between records.
    pub source_partition: Arc<OffsetMap>,
    /// How far into that partition this record goes (e.g. `{"position": ...}`).
    pub source_offset: OffsetMap,
    pub topic: String,
    pub kafka_partition: Option<i32>,
    pub key_schema: Option<Arc<Schema>>,
    pub key: Option<Value>,
    pub value_schema: Option<Arc<Schema>>,
    pub value: Option<Value>,
    pub timestamp: Option<i64>,
    pub headers: Vec<Header>,
}

impl SourceRecord {
    /// A record with no key, the given value and schema, and no headers.
    pub fn new(
        source_partition: Arc<OffsetMap>,
        source_offset: OffsetMap,
        topic: impl Into<String>,
        value_schema: Option<Arc<Schema>>,
        value: Value,
    ) -> Self {
        SourceRecord {
            source_partition,
            source_offset,
            topic: topic.into(),
            kafka_partition: None,
            key_schema: None,
            key: None,
            value_schema,
            value: Some(value),
            timestamp: None,
            headers: Vec::new(),
        }
    }
}

/// A record delivered to a sink task.
#[derive(Debug, Clone)]
pub struct SinkRecord {
    pub topic: String,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
    pub key_schema: Option<Arc<Schema>>,
    pub key: Option<Value>,
    pub value_schema: Option<Arc<Schema>>,
    pub value: Option<Value>,
    pub timestamp: Option<i64>,
    pub headers: Vec<Header>,
}

/// A topic and partition, used for sink offsets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}
