//! `org.apache.kafka.connect.converters.ByteArrayConverter`: bytes as they are.

use crate::ConfigureAs;
use std::sync::Arc;

use ferry_api::{
    ConnectError, Converter, Props, Result, Schema, SchemaAndValue, SchemaType, Value,
};

use crate::config;

/// Passes bytes through untouched; reads anything as optional bytes.
#[derive(Debug, Clone)]
pub struct ByteArrayConverter {
    schema: Arc<Schema>,
}

impl Default for ByteArrayConverter {
    fn default() -> Self {
        ByteArrayConverter {
            schema: Arc::new(Schema::optional_bytes()),
        }
    }
}

impl ByteArrayConverter {
    pub const CLASS: &'static str = "org.apache.kafka.connect.converters.ByteArrayConverter";

    pub fn new() -> Self {
        Self::default()
    }

    fn check_schema(schema: Option<&Schema>) -> Result<()> {
        match schema {
            Some(s) if s.kind != SchemaType::Bytes => Err(ConnectError::Data(format!(
                "Invalid schema type for ByteArrayConverter: {}",
                s.kind
            ))),
            _ => Ok(()),
        }
    }

    fn encode_value(
        &self,
        schema: Option<&Schema>,
        value: Option<&Value>,
    ) -> Result<Option<Vec<u8>>> {
        Self::check_schema(schema)?;
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bytes(b)) => Ok(Some(b.clone())),
            Some(other) => Err(ConnectError::Data(format!(
                "ByteArrayConverter is not compatible with objects of type {}",
                other.type_name()
            ))),
        }
    }

    fn decode_bytes(&self, bytes: Option<&[u8]>) -> SchemaAndValue {
        SchemaAndValue {
            schema: Some(self.schema.clone()),
            value: bytes.map(|b| Value::Bytes(b.to_vec())),
        }
    }
}

impl Converter for ByteArrayConverter {
    fn configure(&mut self, props: &Props, is_key: bool) -> Result<()> {
        self.configure_as(props, config::usage(is_key))
    }

    fn from_connect(
        &self,
        _topic: &str,
        schema: Option<&Schema>,
        value: Option<&Value>,
    ) -> Result<Option<Vec<u8>>> {
        self.encode_value(schema, value)
    }

    fn to_connect(&self, _topic: &str, bytes: Option<&[u8]>) -> Result<SchemaAndValue> {
        Ok(self.decode_bytes(bytes))
    }

    fn from_connect_owned(
        &self,
        _topic: &str,
        schema: Option<&Schema>,
        value: Option<Value>,
    ) -> Result<Option<Vec<u8>>> {
        match value {
            Some(Value::Bytes(b)) => {
                Self::check_schema(schema)?;
                Ok(Some(b))
            }
            other => self.encode_value(schema, other.as_ref()),
        }
    }
}

impl ConfigureAs for ByteArrayConverter {
    fn configure_as(&mut self, props: &Props, usage: &str) -> Result<()> {
        config::parse(&config::converter_config_def(), props, usage).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::HeaderConverter;

    #[test]
    fn round_trip() {
        let c = ByteArrayConverter::new();
        let v = Value::Bytes(vec![0, 1, 255]);
        let b = c
            .from_connect("t", Some(&Schema::bytes()), Some(&v))
            .unwrap();
        assert_eq!(b, Some(vec![0, 1, 255]));
        let back = c.to_connect("t", b.as_deref()).unwrap();
        assert_eq!(back.schema.as_deref(), Some(&Schema::optional_bytes()));
        assert_eq!(back.value, Some(v));
    }

    #[test]
    fn owned_values_are_moved_and_checked_the_same() {
        let c = ByteArrayConverter::new();
        let v = Value::Bytes(vec![0, 1, 255]);
        assert_eq!(
            c.from_connect_owned("t", Some(&Schema::bytes()), Some(v))
                .unwrap(),
            Some(vec![0, 1, 255])
        );
        assert_eq!(c.from_connect_owned("t", None, None).unwrap(), None);
        let e = c
            .from_connect_owned("t", Some(&Schema::string()), Some(Value::Bytes(vec![])))
            .unwrap_err();
        assert!(e.to_string().contains("Invalid schema type"));
        let e = c
            .from_connect_owned("t", None, Some(Value::from("x")))
            .unwrap_err();
        assert!(e.to_string().contains("not compatible"));
    }

    #[test]
    fn nulls() {
        let c = ByteArrayConverter::new();
        assert_eq!(c.from_connect("t", None, None).unwrap(), None);
        let back = c.to_connect("t", None).unwrap();
        assert_eq!(back.value, None);
        assert!(back.schema.is_some());
    }

    #[test]
    fn rejects_other_types() {
        let c = ByteArrayConverter::new();
        let e = c
            .from_connect("t", None, Some(&Value::from("x")))
            .unwrap_err();
        assert!(e
            .to_string()
            .contains("not compatible with objects of type STRING"));
        let e = c
            .from_connect("t", Some(&Schema::string()), Some(&Value::Bytes(vec![])))
            .unwrap_err();
        assert!(e
            .to_string()
            .contains("Invalid schema type for ByteArrayConverter: STRING"));
    }

    #[test]
    fn header_round_trip() {
        let c = crate::AsHeaderConverter(ByteArrayConverter::new());
        let b = c
            .from_connect_header("t", "h", None, &Value::Bytes(vec![7]))
            .unwrap();
        assert_eq!(
            c.to_connect_header("t", "h", b.as_deref()).unwrap().value,
            Some(Value::Bytes(vec![7]))
        );
    }
}
