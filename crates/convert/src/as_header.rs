//! Any converter can convert header values too, as Kafka allows: a header is converted exactly
//! as a key or value would be, with the converter configured for `header` use.

use ferry_api::{Converter, HeaderConverter, Props, Result, Schema, SchemaAndValue, Value};

/// Configuration of a converter for a given use: `key`, `value` or `header`.
pub trait ConfigureAs {
    fn configure_as(&mut self, props: &Props, usage: &str) -> Result<()>;
}

/// A converter used as a header converter.
#[derive(Debug, Default)]
pub struct AsHeaderConverter<C>(pub C);

impl<C: Converter + ConfigureAs> HeaderConverter for AsHeaderConverter<C> {
    fn configure(&mut self, props: &Props) -> Result<()> {
        self.0.configure_as(props, "header")
    }

    fn from_connect_header(
        &self,
        topic: &str,
        _key: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>> {
        self.0.from_connect(topic, schema, Some(value))
    }

    fn to_connect_header(
        &self,
        topic: &str,
        _key: &str,
        bytes: Option<&[u8]>,
    ) -> Result<SchemaAndValue> {
        self.0.to_connect(topic, bytes)
    }
}
