//! Records across the boundary: a source task's batch as the host sends it, a sink task's batch
//! as ferry sends it (java-host-protocol.md, RECORDS and SINK RECORDS). Only Kafka's bytes cross.

use std::sync::Arc;

use ferry_api::{Header, OffsetMap, Schema, SinkRecord, SourceRecord, Value};

use crate::error::HostError;
use crate::wire::{Decoder, Encoder};

fn broken(e: std::io::Error) -> HostError {
    HostError::Host(format!(
        "a record batch from the plugin host is broken: {e}"
    ))
}

/// The records of a `Poll` reply, their keys, values and headers as bytes.
pub fn decode_source_records(body: &[u8]) -> Result<Vec<SourceRecord>, HostError> {
    if body.is_empty() {
        return Ok(Vec::new());
    }
    let bytes_schema = Arc::new(Schema::optional_bytes());
    let mut d = Decoder::new(body);
    let count = d.i32().map_err(broken)?;
    let mut records = Vec::with_capacity(count.clamp(0, 100_000) as usize);
    // Records of one batch mostly share their source partition: parse it once.
    let mut last_partition: Option<(String, Arc<OffsetMap>)> = None;
    for _ in 0..count {
        let topic = d.str().map_err(broken)?;
        let partition = d.i32().map_err(broken)?;
        let has_timestamp = d.i8().map_err(broken)? != 0;
        let timestamp = d.i64().map_err(broken)?;
        let key = d.bytes().map_err(broken)?;
        let value = d.bytes().map_err(broken)?;
        let header_count = d.i32().map_err(broken)?;
        let mut headers = Vec::with_capacity(header_count.clamp(0, 1024) as usize);
        for _ in 0..header_count {
            let key = d.str().map_err(broken)?;
            let value = d.bytes().map_err(broken)?;
            headers.push(Header {
                key,
                schema: Some(bytes_schema.clone()),
                value: value.map_or(Value::Null, Value::Bytes),
            });
        }
        let partition_json = d.str().map_err(broken)?;
        let offset_json = d.str().map_err(broken)?;
        let source_partition = match &last_partition {
            Some((json, map)) if *json == partition_json => map.clone(),
            _ => {
                let map = Arc::new(offset_map(&partition_json)?);
                last_partition = Some((partition_json, map.clone()));
                map
            }
        };
        records.push(SourceRecord {
            source_partition,
            source_offset: offset_map(&offset_json)?,
            topic,
            kafka_partition: (partition >= 0).then_some(partition),
            key_schema: Some(bytes_schema.clone()),
            key: key.map(Value::Bytes),
            value_schema: Some(bytes_schema.clone()),
            value: value.map(Value::Bytes),
            timestamp: has_timestamp.then_some(timestamp),
            headers,
        });
    }
    Ok(records)
}

/// A source partition or offset as JSON; `null` (a task without offsets) is an empty map.
fn offset_map(json: &str) -> Result<OffsetMap, HostError> {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(serde_json::Value::Null) => Ok(OffsetMap::new()),
        _ => Err(HostError::Host(format!(
            "the plugin host sent a source partition or offset that is not a JSON object: {json}"
        ))),
    }
}

/// The body of a `Put`: each record's coordinates and its bytes as read from Kafka.
pub fn encode_sink_records(records: &[SinkRecord]) -> Result<Vec<u8>, HostError> {
    let mut e = Encoder::default();
    e.i32(i32::try_from(records.len()).unwrap_or(i32::MAX));
    for r in records {
        e.str(&r.topic);
        e.i32(r.kafka_partition);
        e.i64(r.kafka_offset);
        e.i64(r.timestamp.unwrap_or(-1));
        // ferry's sink records do not keep the timestamp type; Kafka's producers set CreateTime.
        e.i8(if r.timestamp.is_some() { 1 } else { 0 });
        e.bytes(bytes_of(r.key.as_ref())?);
        e.bytes(bytes_of(r.value.as_ref())?);
        e.i32(i32::try_from(r.headers.len()).unwrap_or(i32::MAX));
        for h in &r.headers {
            e.str(&h.key);
            e.bytes(bytes_of(Some(&h.value))?);
        }
    }
    Ok(e.buf)
}

fn bytes_of(value: Option<&Value>) -> Result<Option<&[u8]>, HostError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bytes(b)) => Ok(Some(b)),
        Some(other) => Err(HostError::Host(format!(
            "a Java task was handed a {:?} value instead of Kafka's bytes",
            other.schema_type()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poll_batch_becomes_byte_records_sharing_their_partition() {
        let mut e = Encoder::default();
        e.i32(2);
        for n in 0..2 {
            e.str("t");
            e.i32(if n == 0 { -1 } else { 3 });
            e.i8(n as i8);
            e.i64(77);
            e.bytes(if n == 0 { None } else { Some(b"k") });
            e.bytes(Some(b"v"));
            e.i32(1);
            e.str("h");
            e.bytes(None);
            e.str(r#"{"p":0}"#);
            e.str(&format!(r#"{{"n":{n}}}"#));
        }
        let records = decode_source_records(&e.buf).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].kafka_partition, None);
        assert_eq!(records[1].kafka_partition, Some(3));
        assert_eq!(records[0].timestamp, None);
        assert_eq!(records[1].timestamp, Some(77));
        assert_eq!(records[0].key, None);
        assert_eq!(records[1].key, Some(Value::Bytes(b"k".to_vec())));
        assert_eq!(records[1].headers[0].value, Value::Null);
        assert!(Arc::ptr_eq(
            &records[0].source_partition,
            &records[1].source_partition
        ));
        assert_eq!(records[1].source_offset["n"], 1);
    }

    #[test]
    fn sink_records_cross_as_bytes_and_other_values_are_refused() {
        let mut record = SinkRecord {
            topic: "t".into(),
            kafka_partition: 1,
            kafka_offset: 9,
            key_schema: None,
            key: None,
            value_schema: None,
            value: Some(Value::Bytes(b"v".to_vec())),
            timestamp: Some(5),
            headers: vec![],
        };
        let body = encode_sink_records(std::slice::from_ref(&record)).unwrap();
        let mut d = Decoder::new(&body);
        assert_eq!(d.i32().unwrap(), 1);
        assert_eq!(d.str().unwrap(), "t");
        assert_eq!(
            (d.i32().unwrap(), d.i64().unwrap(), d.i64().unwrap()),
            (1, 9, 5)
        );
        assert_eq!(d.i8().unwrap(), 1);
        assert_eq!(d.bytes().unwrap(), None);
        assert_eq!(d.bytes().unwrap().as_deref(), Some(&b"v"[..]));
        record.value = Some(Value::String("x".into()));
        assert!(encode_sink_records(&[record]).is_err());
    }
}
