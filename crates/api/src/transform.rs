//! Single message transforms and predicates (Kafka's `Transformation` and `Predicate`).
//!
//! A transform sees one record at a time, of either kind, through [`ConnectRecord`], and returns
//! the record changed, or `None` to drop it. A predicate tells whether a transform applies to a
//! record. Both are configured from their own keys (`transforms.NAME.` or `predicates.NAME.`
//! removed) and describe those keys with a [`ConfigDef`].

use std::sync::Arc;

use crate::config::ConfigDef;
use crate::data::{Schema, Value};
use crate::error::Result;
use crate::record::{Header, SinkRecord, SourceRecord};
use crate::Props;

static NULL: Value = Value::Null;

/// A record as a transform sees it: a source record on its way to Kafka or a sink record on its
/// way to a sink task. The accessors cover what both kinds share.
#[derive(Debug, Clone)]
pub enum ConnectRecord {
    Source(SourceRecord),
    Sink(SinkRecord),
}

/// Mutable access to the parts both kinds of record share.
pub struct RecordParts<'a> {
    pub topic: &'a mut String,
    pub key_schema: &'a mut Option<Arc<Schema>>,
    pub key: &'a mut Option<Value>,
    pub value_schema: &'a mut Option<Arc<Schema>>,
    pub value: &'a mut Option<Value>,
    pub timestamp: &'a mut Option<i64>,
    pub headers: &'a mut Vec<Header>,
}

macro_rules! shared {
    ($self:ident, $r:ident => $e:expr) => {
        match $self {
            ConnectRecord::Source($r) => $e,
            ConnectRecord::Sink($r) => $e,
        }
    };
}

impl ConnectRecord {
    pub fn topic(&self) -> &str {
        shared!(self, r => &r.topic)
    }

    /// The partition: the one a source chose, if any, or the one a sink record came from.
    pub fn kafka_partition(&self) -> Option<i32> {
        match self {
            ConnectRecord::Source(r) => r.kafka_partition,
            ConnectRecord::Sink(r) => Some(r.kafka_partition),
        }
    }

    /// The Kafka offset of a sink record; `None` for a source record.
    pub fn kafka_offset(&self) -> Option<i64> {
        match self {
            ConnectRecord::Source(_) => None,
            ConnectRecord::Sink(r) => Some(r.kafka_offset),
        }
    }

    pub fn key_schema(&self) -> Option<&Arc<Schema>> {
        shared!(self, r => r.key_schema.as_ref())
    }

    /// The key; `Value::Null` when there is none.
    pub fn key(&self) -> &Value {
        shared!(self, r => r.key.as_ref().unwrap_or(&NULL))
    }

    pub fn value_schema(&self) -> Option<&Arc<Schema>> {
        shared!(self, r => r.value_schema.as_ref())
    }

    /// The value; `Value::Null` when there is none (a tombstone).
    pub fn value(&self) -> &Value {
        shared!(self, r => r.value.as_ref().unwrap_or(&NULL))
    }

    pub fn timestamp(&self) -> Option<i64> {
        shared!(self, r => r.timestamp)
    }

    pub fn headers(&self) -> &[Header] {
        shared!(self, r => &r.headers)
    }

    /// Every shared part, mutable.
    pub fn parts_mut(&mut self) -> RecordParts<'_> {
        shared!(self, r => RecordParts {
            topic: &mut r.topic,
            key_schema: &mut r.key_schema,
            key: &mut r.key,
            value_schema: &mut r.value_schema,
            value: &mut r.value,
            timestamp: &mut r.timestamp,
            headers: &mut r.headers,
        })
    }

    pub fn set_topic(&mut self, topic: impl Into<String>) {
        *self.parts_mut().topic = topic.into();
    }

    /// Replaces key and key schema; `Value::Null` leaves no key.
    pub fn set_key(&mut self, schema: Option<Arc<Schema>>, key: Value) {
        let p = self.parts_mut();
        *p.key_schema = schema;
        *p.key = (!key.is_null()).then_some(key);
    }

    /// Replaces value and value schema; `Value::Null` leaves no value.
    pub fn set_value(&mut self, schema: Option<Arc<Schema>>, value: Value) {
        let p = self.parts_mut();
        *p.value_schema = schema;
        *p.value = (!value.is_null()).then_some(value);
    }

    /// Takes the key out, leaving none.
    pub fn take_key(&mut self) -> (Option<Arc<Schema>>, Value) {
        let p = self.parts_mut();
        (p.key_schema.take(), p.key.take().unwrap_or(Value::Null))
    }

    /// Takes the value out, leaving none.
    pub fn take_value(&mut self) -> (Option<Arc<Schema>>, Value) {
        let p = self.parts_mut();
        (p.value_schema.take(), p.value.take().unwrap_or(Value::Null))
    }

    pub fn headers_mut(&mut self) -> &mut Vec<Header> {
        shared!(self, r => &mut r.headers)
    }

    pub fn into_source(self) -> Option<SourceRecord> {
        match self {
            ConnectRecord::Source(r) => Some(r),
            ConnectRecord::Sink(_) => None,
        }
    }

    pub fn into_sink(self) -> Option<SinkRecord> {
        match self {
            ConnectRecord::Sink(r) => Some(r),
            ConnectRecord::Source(_) => None,
        }
    }
}

impl From<SourceRecord> for ConnectRecord {
    fn from(r: SourceRecord) -> Self {
        ConnectRecord::Source(r)
    }
}

impl From<SinkRecord> for ConnectRecord {
    fn from(r: SinkRecord) -> Self {
        ConnectRecord::Sink(r)
    }
}

/// Changes one record at a time (Kafka's `org.apache.kafka.connect.transforms.Transformation`).
pub trait Transformation: Send + Sync {
    /// Reads the transform's own keys; an invalid one is a `ConnectError::Config` naming it.
    fn configure(&mut self, props: &Props) -> Result<()>;
    /// The record changed, or `None` to drop it. An error is a failure of this record.
    fn apply(&mut self, record: ConnectRecord) -> Result<Option<ConnectRecord>>;
    fn close(&mut self) {}
}

/// Tells whether a transform applies to a record (Kafka's `Predicate`).
pub trait Predicate: Send + Sync {
    fn configure(&mut self, props: &Props) -> Result<()>;
    fn test(&self, record: &ConnectRecord) -> bool;
    fn close(&mut self) {}
}

/// How the worker finds, describes and creates a transform.
#[derive(Clone, Copy)]
pub struct TransformationPlugin {
    /// The full Java class name, `$Key`/`$Value` included
    /// (`org.apache.kafka.connect.transforms.InsertField$Value`).
    pub class: &'static str,
    /// Other accepted names (the simple name, `InsertField$Value`).
    pub aliases: &'static [&'static str],
    pub version: &'static str,
    pub config_def: fn() -> ConfigDef,
    pub create: fn() -> Box<dyn Transformation>,
}

impl TransformationPlugin {
    pub fn answers_to(&self, name: &str) -> bool {
        self.class == name || self.aliases.contains(&name)
    }
}

/// How the worker finds, describes and creates a predicate.
#[derive(Clone, Copy)]
pub struct PredicatePlugin {
    /// The full Java class name (`org.apache.kafka.connect.transforms.predicates.HasHeaderKey`).
    pub class: &'static str,
    pub aliases: &'static [&'static str],
    pub version: &'static str,
    pub config_def: fn() -> ConfigDef,
    pub create: fn() -> Box<dyn Predicate>,
}

impl PredicatePlugin {
    pub fn answers_to(&self, name: &str) -> bool {
        self.class == name || self.aliases.contains(&name)
    }
}
