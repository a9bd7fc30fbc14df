//! What several transforms share: the `$Key`/`$Value` target, config parsing, type checks with
//! Kafka's messages, map access and a one-entry schema cache.

use std::sync::Arc;

use ferry_api::config::ParsedConfig;
use ferry_api::data::{Schema, SchemaBuilder, Struct, Value};
use ferry_api::{ConfigDef, ConfigType, ConnectError, ConnectRecord, Importance, Props, Result};

/// Whether a transform works on the record's key (`$Key`) or its value (`$Value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Key,
    Value,
}

impl Target {
    pub fn schema(self, r: &ConnectRecord) -> Option<&Arc<Schema>> {
        match self {
            Target::Key => r.key_schema(),
            Target::Value => r.value_schema(),
        }
    }

    pub fn value(self, r: &ConnectRecord) -> &Value {
        match self {
            Target::Key => r.key(),
            Target::Value => r.value(),
        }
    }

    pub fn take(self, r: &mut ConnectRecord) -> (Option<Arc<Schema>>, Value) {
        match self {
            Target::Key => r.take_key(),
            Target::Value => r.take_value(),
        }
    }

    pub fn set(self, r: &mut ConnectRecord, schema: Option<Arc<Schema>>, value: Value) {
        match self {
            Target::Key => r.set_key(schema, value),
            Target::Value => r.set_value(schema, value),
        }
    }
}

/// Parses a transform's keys; every problem is named with its key.
pub fn parse_config(def: &ConfigDef, props: &Props) -> Result<ParsedConfig> {
    def.parse(props).map_err(|problems| {
        ConnectError::Config(
            problems
                .iter()
                .map(|p| p.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// A configuration error in Kafka's words: `Invalid value V for configuration K: why`.
pub fn invalid(key: &str, value: &str, why: &str) -> ConnectError {
    ConnectError::Config(format!(
        "Invalid value {value} for configuration {key}: {why}"
    ))
}

/// The `replace.null.with.default` key several transforms share.
pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

pub fn with_replace_null(def: ConfigDef) -> ConfigDef {
    def.optional(
        REPLACE_NULL_WITH_DEFAULT,
        ConfigType::Boolean,
        Some("true"),
        Importance::Medium,
        "Whether to replace fields that have a default value and that are null to the default \
         value. When set to true, the default value is used, otherwise null is used.",
    )
}

/// The Java class Kafka names in its messages for a value of this kind.
pub fn java_class(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Int8(_) => "java.lang.Byte",
        Value::Int16(_) => "java.lang.Short",
        Value::Int32(_) => "java.lang.Integer",
        Value::Int64(_) => "java.lang.Long",
        Value::Float32(_) => "java.lang.Float",
        Value::Float64(_) => "java.lang.Double",
        Value::Boolean(_) => "java.lang.Boolean",
        Value::String(_) => "java.lang.String",
        Value::Bytes(_) => "[B",
        Value::Array(_) => "java.util.ArrayList",
        Value::Map(_) => "java.util.HashMap",
        Value::Struct(_) => "org.apache.kafka.connect.data.Struct",
    }
}

pub fn require_map<'a>(v: &'a Value, purpose: &str) -> Result<&'a [(Value, Value)]> {
    match v {
        Value::Map(m) => Ok(m),
        other => Err(ConnectError::Data(format!(
            "Only Map objects supported in absence of schema for [{purpose}], found: {}",
            java_class(other)
        ))),
    }
}

pub fn into_map(v: Value, purpose: &str) -> Result<Vec<(Value, Value)>> {
    match v {
        Value::Map(m) => Ok(m),
        other => Err(ConnectError::Data(format!(
            "Only Map objects supported in absence of schema for [{purpose}], found: {}",
            java_class(&other)
        ))),
    }
}

pub fn require_struct<'a>(v: &'a Value, purpose: &str) -> Result<&'a Struct> {
    match v {
        Value::Struct(s) => Ok(s),
        other => Err(ConnectError::Data(format!(
            "Only Struct objects supported for [{purpose}], found: {}",
            java_class(other)
        ))),
    }
}

pub fn into_struct(v: Value, purpose: &str) -> Result<Struct> {
    match v {
        Value::Struct(s) => Ok(s),
        other => Err(ConnectError::Data(format!(
            "Only Struct objects supported for [{purpose}], found: {}",
            java_class(&other)
        ))),
    }
}

/// The value of a string key of a schemaless map.
pub fn map_get<'a>(m: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    m.iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

/// Sets a string key of a schemaless map, in place when present, appended when not.
pub fn map_put(m: &mut Vec<(Value, Value)>, key: &str, value: Value) {
    match m.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
        Some(slot) => slot.1 = value,
        None => m.push((Value::String(key.to_string()), value)),
    }
}

/// A struct field's value: its default in place of null when `replace_null` is set, as Kafka's
/// `Struct.get`; the value as set otherwise (`getWithoutDefault`).
pub fn field_value(s: &Struct, field: &str, replace_null: bool) -> Value {
    let v = if replace_null {
        s.get(field)
    } else {
        s.get_without_default(field)
    };
    v.cloned().unwrap_or(Value::Null)
}

/// A struct builder with the name, version, doc and parameters of `schema` (Kafka's
/// `SchemaUtil.copySchemaBasics` onto `SchemaBuilder.struct()`).
pub fn struct_basics(schema: &Schema) -> SchemaBuilder {
    let mut b = SchemaBuilder::struct_();
    if let Some(n) = &schema.name {
        b = b.name(n.clone());
    }
    if let Some(v) = schema.version {
        b = b.version(v);
    }
    if let Some(d) = &schema.doc {
        b = b.doc(d.clone());
    }
    b.parameters(schema.parameters.clone())
}

/// Builds a schema; a mistake (e.g. a duplicate field) is a data error.
pub fn build(b: SchemaBuilder) -> Result<Arc<Schema>> {
    b.build_arc()
}

/// Remembers the output schema of the last input (Kafka's schema update cache, one entry: the
/// schema of a stream rarely changes). The input is a schema, or a tuple of whatever else the
/// output depends on (a second schema, a topic).
pub struct SchemaCache<K = Arc<Schema>> {
    last: Option<(K, Arc<Schema>)>,
}

impl<K> Default for SchemaCache<K> {
    fn default() -> Self {
        SchemaCache { last: None }
    }
}

impl<K: PartialEq + Clone> SchemaCache<K> {
    /// The schema made from `input`, made again only when the input differs from the last one
    /// (schemas compare by pointer first, then by value).
    pub fn get_or(
        &mut self,
        input: &K,
        make: impl FnOnce(&K) -> Result<Arc<Schema>>,
    ) -> Result<Arc<Schema>> {
        if let Some((i, o)) = &self.last {
            if i == input {
                return Ok(o.clone());
            }
        }
        let out = make(input)?;
        self.last = Some((input.clone(), out.clone()));
        Ok(out)
    }
}

/// Splits a list entry `a:b` into its two halves.
pub fn split_pair(entry: &str) -> Option<(&str, &str)> {
    let (a, b) = entry.split_once(':')?;
    Some((a.trim(), b.trim()))
}
