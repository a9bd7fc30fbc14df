//! Converters between Kafka bytes and the Connect data model.

use std::sync::Arc;

use crate::data::{Schema, Value};
use crate::error::Result;
use crate::Props;

/// A value with its (optional) schema, as converters return it.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaAndValue {
    pub schema: Option<Arc<Schema>>,
    pub value: Option<Value>,
}

impl SchemaAndValue {
    pub const NULL: SchemaAndValue = SchemaAndValue {
        schema: None,
        value: None,
    };
}

/// Turns record keys or values into bytes and back (Kafka's `Converter`).
// `from_connect` keeps Kafka's name, though it takes `&self`.
#[allow(clippy::wrong_self_convention)]
pub trait Converter: Send + Sync {
    /// `props` are the converter's own keys, prefix removed; `is_key` says whether it converts keys.
    fn configure(&mut self, props: &Props, is_key: bool) -> Result<()>;
    /// Connect value to bytes; `None` writes a null (tombstone).
    fn from_connect(
        &self,
        topic: &str,
        schema: Option<&Schema>,
        value: Option<&Value>,
    ) -> Result<Option<Vec<u8>>>;
    /// Bytes (or a null) to a Connect value.
    fn to_connect(&self, topic: &str, bytes: Option<&[u8]>) -> Result<SchemaAndValue>;
    /// [`from_connect`](Converter::from_connect) for a value the caller no longer needs: a
    /// converter that writes a value's own bytes (a string, a byte array) may move them instead
    /// of copying them. The bytes are the same as `from_connect` would return.
    fn from_connect_owned(
        &self,
        topic: &str,
        schema: Option<&Schema>,
        value: Option<Value>,
    ) -> Result<Option<Vec<u8>>> {
        self.from_connect(topic, schema, value.as_ref())
    }
}

/// Turns header values into bytes and back (Kafka's `HeaderConverter`).
#[allow(clippy::wrong_self_convention)]
pub trait HeaderConverter: Send + Sync {
    fn configure(&mut self, props: &Props) -> Result<()>;
    fn from_connect_header(
        &self,
        topic: &str,
        key: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>>;
    fn to_connect_header(
        &self,
        topic: &str,
        key: &str,
        bytes: Option<&[u8]>,
    ) -> Result<SchemaAndValue>;
}
