//! Records and configs for the unit tests.

use std::sync::Arc;

use ferry_api::data::{Schema, Value};
use ferry_api::{ConnectRecord, SinkRecord, SourceRecord, Transformation};

pub use ferry_api::config::props_of as props;

/// A source record on topic `test`, partition 0, with this value.
pub fn source(schema: Option<Arc<Schema>>, value: Value) -> ConnectRecord {
    let mut r = SourceRecord::new(
        Arc::default(),
        Default::default(),
        "test",
        None,
        Value::Null,
    );
    r.kafka_partition = Some(0);
    let mut r = ConnectRecord::Source(r);
    r.set_value(schema, value);
    r
}

/// A sink record on topic `test`, partition 0, offset 7, with this value.
pub fn sink(schema: Option<Arc<Schema>>, value: Value) -> ConnectRecord {
    let mut r = ConnectRecord::Sink(SinkRecord {
        topic: "test".into(),
        kafka_partition: 0,
        kafka_offset: 7,
        key_schema: None,
        key: None,
        value_schema: None,
        value: None,
        timestamp: None,
        headers: Vec::new(),
    });
    r.set_value(schema, value);
    r
}

pub fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(
        entries
            .iter()
            .map(|(k, v)| (Value::from(*k), v.clone()))
            .collect(),
    )
}

/// Applies a transform that must keep the record.
pub fn apply(t: &mut dyn Transformation, r: ConnectRecord) -> ConnectRecord {
    match t.apply(r) {
        Ok(Some(r)) => r,
        Ok(None) => panic!("record dropped"),
        Err(e) => panic!("transform failed: {e}"),
    }
}
