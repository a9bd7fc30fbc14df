//! `drop.fields.header.name`: removes from the unwrapped value (and with `drop.fields.from.key`
//! from the key) the fields a header of the record lists, through Kafka's `ReplaceField`.

use std::sync::Arc;

use ferry_api::data::{Schema, Value};
use ferry_api::{ConnectError, ConnectRecord, Props, Result, Transformation};

use super::kept;
use crate::replace_field::ReplaceField;
use crate::util::{self, Target};

/// A `ReplaceField` that excludes a list of fields, made again when the list changes.
struct Excluder {
    target: Target,
    current: Option<(Vec<String>, ReplaceField)>,
}

impl Excluder {
    fn new(target: Target) -> Self {
        Excluder {
            target,
            current: None,
        }
    }

    fn apply(&mut self, record: ConnectRecord, fields: Vec<String>) -> Result<ConnectRecord> {
        let delegate = match &mut self.current {
            Some((current, delegate)) if *current == fields => delegate,
            slot => {
                let mut delegate = ReplaceField::new(self.target);
                delegate.configure(&Props::from([("exclude".to_string(), fields.join(","))]))?;
                &mut slot.insert((fields, delegate)).1
            }
        };
        kept(delegate.apply(record)?)
    }
}

pub struct FieldDropper {
    header: Option<String>,
    from_key: bool,
    keep_schema_compatible: bool,
    key: Excluder,
    value: Excluder,
}

impl Default for FieldDropper {
    fn default() -> Self {
        FieldDropper::new(None, false, true)
    }
}

impl FieldDropper {
    pub fn new(header: Option<&str>, from_key: bool, keep_schema_compatible: bool) -> Self {
        FieldDropper {
            header: header.map(str::to_string),
            from_key,
            keep_schema_compatible,
            key: Excluder::new(Target::Key),
            value: Excluder::new(Target::Value),
        }
    }

    /// The record without the fields its header lists (unchanged without that header).
    pub fn apply(&mut self, mut record: ConnectRecord) -> Result<ConnectRecord> {
        let Some(header) = &self.header else {
            return Ok(record);
        };
        let Some(h) = record.headers().iter().find(|h| &h.key == header) else {
            return Ok(record);
        };
        let names: Vec<String> = match &h.value {
            Value::Null => return Ok(record),
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<_>>()
                .ok_or_else(|| not_a_name_list(header, &h.value))?,
            other => return Err(not_a_name_list(header, other)),
        };
        if names.is_empty() {
            return Ok(record);
        }
        if self.from_key && !record.key().is_null() {
            let fields = self.fields_to_drop(record.key_schema(), &names);
            if !fields.is_empty() {
                record = self.key.apply(record, fields)?;
            }
        }
        let fields = self.fields_to_drop(record.value_schema(), &names);
        if !fields.is_empty() {
            record = self.value.apply(record, fields)?;
        }
        Ok(record)
    }

    /// The named fields to remove: all of them, or with `drop.fields.keep.schema.compatible`
    /// only those the schema has as optional (a record without schema has nothing to keep
    /// compatible).
    fn fields_to_drop(&self, schema: Option<&Arc<Schema>>, names: &[String]) -> Vec<String> {
        match schema {
            Some(s) if self.keep_schema_compatible => s
                .fields
                .iter()
                .filter(|f| f.schema.optional && names.contains(&f.name))
                .map(|f| f.name.clone())
                .collect(),
            _ => names.to_vec(),
        }
    }
}

fn not_a_name_list(header: &str, value: &Value) -> ConnectError {
    ConnectError::Data(format!(
        "Header {header} must hold a list of field names, found: {}",
        util::java_class(value)
    ))
}
