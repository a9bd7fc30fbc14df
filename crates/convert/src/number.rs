//! The numeric converters (`org.apache.kafka.connect.converters.{Short,Integer,Long,Float,Double}Converter`)
//! and `BooleanConverter`: one value in the big-endian layout of Kafka's client serializers.

use crate::ConfigureAs;
use std::sync::Arc;

use ferry_api::{
    ConnectError, Converter, Props, Result, Schema, SchemaAndValue, SchemaType, Value,
};

use crate::config;

macro_rules! number_converter {
    (
        $(#[$m:meta])*
        $name:ident, $class:literal, $type_name:literal, $deser:literal,
        $variant:ident, $rust:ty, $schema:expr,
        to_bytes = $to:expr, from_bytes = $from:expr
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone)]
        pub struct $name {
            schema: Arc<Schema>,
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    schema: Arc::new($schema),
                }
            }
        }

        impl $name {
            pub const CLASS: &'static str = $class;

            pub fn new() -> Self {
                Self::default()
            }

            fn encode_value(&self, value: Option<&Value>) -> Result<Option<Vec<u8>>> {
                match value {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::$variant(v)) => {
                        let f: fn($rust) -> Vec<u8> = $to;
                        Ok(Some(f(*v)))
                    }
                    Some(other) => Err(ConnectError::Data(format!(
                        concat!("Failed to serialize to ", $type_name, " (was {})"),
                        other.type_name()
                    ))),
                }
            }

            fn decode_bytes(&self, bytes: Option<&[u8]>) -> Result<SchemaAndValue> {
                let value = match bytes {
                    None => None,
                    Some(b) => {
                        let arr = b.try_into().map_err(|_| {
                            ConnectError::Data(format!(
                                concat!(
                                    "Failed to deserialize ",
                                    $type_name,
                                    ": Size of data received by ",
                                    $deser,
                                    " is not {}"
                                ),
                                std::mem::size_of::<$rust>()
                            ))
                        })?;
                        let f: fn([u8; std::mem::size_of::<$rust>()]) -> $rust = $from;
                        Some(Value::$variant(f(arr)))
                    }
                };
                Ok(SchemaAndValue {
                    schema: Some(self.schema.clone()),
                    value,
                })
            }
        }

        impl Converter for $name {
            fn configure(&mut self, props: &Props, is_key: bool) -> Result<()> {
                self.configure_as(props, config::usage(is_key))
            }

            fn from_connect(
                &self,
                _topic: &str,
                _schema: Option<&Schema>,
                value: Option<&Value>,
            ) -> Result<Option<Vec<u8>>> {
                self.encode_value(value)
            }

            fn to_connect(&self, _topic: &str, bytes: Option<&[u8]>) -> Result<SchemaAndValue> {
                self.decode_bytes(bytes)
            }
        }

        impl ConfigureAs for $name {
            fn configure_as(&mut self, props: &Props, usage: &str) -> Result<()> {
                config::parse(&config::converter_config_def(), props, usage).map(|_| ())
            }
        }

    };
}

number_converter! {
    /// 16-bit integers, 2 bytes big-endian; reads as an optional INT16.
    ShortConverter, "org.apache.kafka.connect.converters.ShortConverter", "short", "ShortDeserializer",
    Int16, i16, Schema::optional_int16(),
    to_bytes = |v| v.to_be_bytes().to_vec(), from_bytes = i16::from_be_bytes
}

number_converter! {
    /// 32-bit integers, 4 bytes big-endian; reads as an optional INT32.
    IntegerConverter, "org.apache.kafka.connect.converters.IntegerConverter", "integer", "IntegerDeserializer",
    Int32, i32, Schema::optional_int32(),
    to_bytes = |v| v.to_be_bytes().to_vec(), from_bytes = i32::from_be_bytes
}

number_converter! {
    /// 64-bit integers, 8 bytes big-endian; reads as an optional INT64.
    LongConverter, "org.apache.kafka.connect.converters.LongConverter", "long", "LongDeserializer",
    Int64, i64, Schema::optional_int64(),
    to_bytes = |v| v.to_be_bytes().to_vec(), from_bytes = i64::from_be_bytes
}

number_converter! {
    /// 32-bit floats, IEEE 754 bits big-endian; reads as an optional FLOAT32.
    FloatConverter, "org.apache.kafka.connect.converters.FloatConverter", "float", "FloatDeserializer",
    Float32, f32, Schema::optional_float32(),
    to_bytes = |v| v.to_bits().to_be_bytes().to_vec(),
    from_bytes = |b| f32::from_bits(u32::from_be_bytes(b))
}

number_converter! {
    /// 64-bit floats, IEEE 754 bits big-endian (NaN written in Java's canonical form); reads as an
    /// optional FLOAT64.
    DoubleConverter, "org.apache.kafka.connect.converters.DoubleConverter", "double", "DoubleDeserializer",
    Float64, f64, Schema::optional_float64(),
    to_bytes = |v| {
        let bits = if v.is_nan() { 0x7ff8_0000_0000_0000 } else { v.to_bits() };
        bits.to_be_bytes().to_vec()
    },
    from_bytes = |b| f64::from_bits(u64::from_be_bytes(b))
}

/// Booleans as one byte, 1 or 0; reads as an optional BOOLEAN.
#[derive(Debug, Clone)]
pub struct BooleanConverter {
    schema: Arc<Schema>,
}

impl Default for BooleanConverter {
    fn default() -> Self {
        BooleanConverter {
            schema: Arc::new(Schema::optional_boolean()),
        }
    }
}

impl BooleanConverter {
    pub const CLASS: &'static str = "org.apache.kafka.connect.converters.BooleanConverter";

    pub fn new() -> Self {
        Self::default()
    }

    fn encode_value(
        &self,
        schema: Option<&Schema>,
        value: Option<&Value>,
    ) -> Result<Option<Vec<u8>>> {
        if let Some(s) = schema {
            if s.kind != SchemaType::Boolean {
                return Err(ConnectError::Data(format!(
                    "Invalid schema type for BooleanConverter: {}",
                    s.kind
                )));
            }
        }
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(vec![u8::from(*b)])),
            Some(other) => Err(ConnectError::Data(format!(
                "BooleanConverter is not compatible with objects of type {}",
                other.type_name()
            ))),
        }
    }

    fn decode_bytes(&self, bytes: Option<&[u8]>) -> Result<SchemaAndValue> {
        let value = match bytes {
            None => None,
            Some([1]) => Some(Value::Boolean(true)),
            Some([0]) => Some(Value::Boolean(false)),
            Some([b]) => {
                return Err(ConnectError::Data(format!(
                    "Failed to deserialize boolean: Unexpected byte received by BooleanDeserializer: {}",
                    *b as i8
                )))
            }
            Some(_) => {
                return Err(ConnectError::Data(
                    "Failed to deserialize boolean: Size of data received by BooleanDeserializer is not 1"
                        .to_string(),
                ))
            }
        };
        Ok(SchemaAndValue {
            schema: Some(self.schema.clone()),
            value,
        })
    }
}

impl Converter for BooleanConverter {
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
        self.decode_bytes(bytes)
    }
}

impl ConfigureAs for BooleanConverter {
    fn configure_as(&mut self, props: &Props, usage: &str) -> Result<()> {
        config::parse(&config::converter_config_def(), props, usage).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::HeaderConverter;

    fn round_trip<C: Converter>(c: &C, v: Value, expected: &[u8], schema: Schema) {
        let b = c.from_connect("t", None, Some(&v)).unwrap();
        assert_eq!(b.as_deref(), Some(expected), "{v:?}");
        let back = c.to_connect("t", b.as_deref()).unwrap();
        assert_eq!(back.value, Some(v));
        assert_eq!(back.schema.as_deref(), Some(&schema));
        assert_eq!(c.from_connect("t", None, None).unwrap(), None);
        assert_eq!(c.to_connect("t", None).unwrap().value, None);
    }

    #[test]
    fn numbers_are_big_endian() {
        round_trip(
            &ShortConverter::new(),
            Value::Int16(0x1234),
            &[0x12, 0x34],
            Schema::optional_int16(),
        );
        round_trip(
            &IntegerConverter::new(),
            Value::Int32(-2),
            &[0xFF, 0xFF, 0xFF, 0xFE],
            Schema::optional_int32(),
        );
        round_trip(
            &LongConverter::new(),
            Value::Int64(1),
            &[0, 0, 0, 0, 0, 0, 0, 1],
            Schema::optional_int64(),
        );
        round_trip(
            &FloatConverter::new(),
            Value::Float32(1.0),
            &[0x3F, 0x80, 0, 0],
            Schema::optional_float32(),
        );
        round_trip(
            &DoubleConverter::new(),
            Value::Float64(-2.5),
            &[0xC0, 0x04, 0, 0, 0, 0, 0, 0],
            Schema::optional_float64(),
        );
    }

    #[test]
    fn wrong_type_or_size_fails() {
        let c = IntegerConverter::new();
        let e = c
            .from_connect("t", None, Some(&Value::Int64(1)))
            .unwrap_err();
        assert!(e
            .to_string()
            .contains("Failed to serialize to integer (was INT64)"));
        let e = c.to_connect("t", Some(&[1, 2])).unwrap_err();
        assert!(e
            .to_string()
            .contains("Size of data received by IntegerDeserializer is not 4"));
    }

    #[test]
    fn booleans() {
        round_trip(
            &BooleanConverter::new(),
            Value::Boolean(true),
            &[1],
            Schema::optional_boolean(),
        );
        round_trip(
            &BooleanConverter::new(),
            Value::Boolean(false),
            &[0],
            Schema::optional_boolean(),
        );
        let c = BooleanConverter::new();
        assert!(c.to_connect("t", Some(&[2])).is_err());
        assert!(c.to_connect("t", Some(&[1, 0])).is_err());
        assert!(c
            .from_connect("t", Some(&Schema::int32()), Some(&Value::Boolean(true)))
            .is_err());
        assert!(c.from_connect("t", None, Some(&Value::Int8(1))).is_err());
    }

    #[test]
    fn header_round_trip() {
        let c = crate::AsHeaderConverter(LongConverter::new());
        let b = c
            .from_connect_header("t", "h", None, &Value::Int64(9))
            .unwrap();
        assert_eq!(
            c.to_connect_header("t", "h", b.as_deref()).unwrap().value,
            Some(Value::Int64(9))
        );
    }
}
