//! `org.apache.kafka.connect.storage.StringConverter`: values as text.

use crate::ConfigureAs;
use std::sync::Arc;

use ferry_api::text::push_java_string;
use ferry_api::{ConnectError, Converter, Props, Result, Schema, SchemaAndValue, Value};

use crate::config;

/// The character sets StringConverter can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// ISO-8859-1: one byte per character; characters above U+00FF are written as `?`.
    Latin1,
    /// US-ASCII: characters above U+007F are written as `?`, bytes above 0x7F read as U+FFFD.
    Ascii,
}

impl Encoding {
    /// The encoding for a Java character set name (`UTF-8`, `UTF8`, `ISO-8859-1`, `US-ASCII`, ...).
    pub fn from_java_name(name: &str) -> Option<Encoding> {
        let n = name.trim().to_ascii_uppercase().replace('_', "-");
        Some(match n.as_str() {
            "UTF-8" | "UTF8" => Encoding::Utf8,
            "ISO-8859-1" | "ISO8859-1" | "ISO-LATIN-1" | "LATIN1" | "8859-1" | "L1" | "CP819" => {
                Encoding::Latin1
            }
            "US-ASCII" | "ASCII" | "US" | "ISO646-US" => Encoding::Ascii,
            _ => return None,
        })
    }

    fn encode(self, s: &str) -> Vec<u8> {
        match self {
            Encoding::Utf8 => s.as_bytes().to_vec(),
            Encoding::Latin1 => s
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .collect(),
            Encoding::Ascii => s
                .chars()
                .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
                .collect(),
        }
    }

    fn decode(self, b: &[u8]) -> String {
        match self {
            Encoding::Utf8 => match std::str::from_utf8(b) {
                Ok(s) => s.to_owned(),
                // Java replaces malformed input rather than failing.
                Err(_) => String::from_utf8_lossy(b).into_owned(),
            },
            Encoding::Latin1 => b.iter().map(|&x| char::from(x)).collect(),
            Encoding::Ascii => b
                .iter()
                .map(|&x| {
                    if x.is_ascii() {
                        char::from(x)
                    } else {
                        '\u{FFFD}'
                    }
                })
                .collect(),
        }
    }
}

/// Writes any value as its text (a string as itself, anything else as Java's `toString` would
/// print it) and reads any bytes back as an optional string.
#[derive(Debug, Clone)]
pub struct StringConverter {
    encoding: Encoding,
    schema: Arc<Schema>,
}

impl Default for StringConverter {
    fn default() -> Self {
        StringConverter {
            encoding: Encoding::Utf8,
            schema: Arc::new(Schema::optional_string()),
        }
    }
}

impl StringConverter {
    pub const CLASS: &'static str = "org.apache.kafka.connect.storage.StringConverter";

    pub fn new() -> Self {
        Self::default()
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    fn configure_props(&mut self, props: &Props, usage: &str) -> Result<()> {
        let parsed = config::parse(&config::string_config_def(), props, usage)?;
        let name = parsed.string(config::ENCODING_CONFIG).unwrap_or("UTF-8");
        self.encoding = Encoding::from_java_name(name).ok_or_else(|| {
            ConnectError::Config(format!(
                "Invalid value {name} for configuration {}: unsupported encoding (UTF-8, ISO-8859-1 and US-ASCII are supported)",
                config::ENCODING_CONFIG
            ))
        })?;
        Ok(())
    }

    fn encode_value(&self, schema: Option<&Schema>, value: Option<&Value>) -> Option<Vec<u8>> {
        match value {
            None | Some(Value::Null) => None,
            // The common case: one copy of the bytes, nothing else.
            Some(Value::String(s)) if self.encoding == Encoding::Utf8 => {
                Some(s.as_bytes().to_vec())
            }
            Some(Value::String(s)) => Some(self.encoding.encode(s)),
            // Java would print a byte array's address; passing the bytes on is more useful.
            Some(Value::Bytes(b)) if schema.and_then(ferry_api::LogicalType::of).is_none() => {
                Some(b.clone())
            }
            Some(other) => {
                let mut text = String::new();
                push_java_string(&mut text, other, schema);
                Some(match self.encoding {
                    Encoding::Utf8 => text.into_bytes(),
                    e => e.encode(&text),
                })
            }
        }
    }

    fn decode_bytes(&self, bytes: Option<&[u8]>) -> SchemaAndValue {
        SchemaAndValue {
            schema: Some(self.schema.clone()),
            value: bytes.map(|b| Value::String(self.encoding.decode(b))),
        }
    }
}

impl Converter for StringConverter {
    fn configure(&mut self, props: &Props, is_key: bool) -> Result<()> {
        self.configure_props(props, config::usage(is_key))
    }

    fn from_connect(
        &self,
        _topic: &str,
        schema: Option<&Schema>,
        value: Option<&Value>,
    ) -> Result<Option<Vec<u8>>> {
        Ok(self.encode_value(schema, value))
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
        Ok(match value {
            // A UTF-8 string is its own bytes: hand them over.
            Some(Value::String(s)) if self.encoding == Encoding::Utf8 => Some(s.into_bytes()),
            Some(Value::Bytes(b)) if schema.and_then(ferry_api::LogicalType::of).is_none() => {
                Some(b)
            }
            other => self.encode_value(schema, other.as_ref()),
        })
    }
}

impl ConfigureAs for StringConverter {
    fn configure_as(&mut self, props: &Props, usage: &str) -> Result<()> {
        self.configure_props(props, usage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::HeaderConverter;
    use ferry_api::{Decimal, SchemaBuilder, Struct};

    const T: &str = "topic";

    #[test]
    fn round_trip() {
        let c = StringConverter::new();
        let bytes = c
            .from_connect(T, Some(&Schema::string()), Some(&Value::from("héllo")))
            .unwrap();
        assert_eq!(bytes.as_deref(), Some("héllo".as_bytes()));
        let back = c.to_connect(T, bytes.as_deref()).unwrap();
        assert_eq!(back.schema.as_deref(), Some(&Schema::optional_string()));
        assert_eq!(back.value, Some(Value::from("héllo")));
    }

    #[test]
    fn owned_values_give_the_same_bytes() {
        let mut latin = StringConverter::new();
        let props: Props = [("converter.encoding".to_string(), "ISO-8859-1".to_string())]
            .into_iter()
            .collect();
        Converter::configure(&mut latin, &props, false).unwrap();
        let schema = SchemaBuilder::struct_()
            .field("id", Schema::int32())
            .build_arc()
            .unwrap();
        let values = [
            (None, Some(Value::from("héllo €"))),
            (None, Some(Value::Bytes(b"raw".to_vec()))),
            (Some(Decimal::schema(2)), Some(Decimal::from_i128(12345))),
            (None, Some(Value::Int32(7))),
            (
                None,
                Some(Value::Struct(Struct::new(schema).with("id", 1).unwrap())),
            ),
            (None, Some(Value::Null)),
            (None, None),
        ];
        for c in [StringConverter::new(), latin] {
            for (schema, value) in &values {
                let borrowed = c.from_connect(T, schema.as_ref(), value.as_ref()).unwrap();
                let owned = c
                    .from_connect_owned(T, schema.as_ref(), value.clone())
                    .unwrap();
                assert_eq!(owned, borrowed, "{value:?}");
            }
        }
    }

    #[test]
    fn nulls() {
        let c = StringConverter::new();
        assert_eq!(c.from_connect(T, None, None).unwrap(), None);
        assert_eq!(c.from_connect(T, None, Some(&Value::Null)).unwrap(), None);
        let back = c.to_connect(T, None).unwrap();
        assert_eq!(back.schema.as_deref(), Some(&Schema::optional_string()));
        assert_eq!(back.value, None);
    }

    #[test]
    fn non_strings_are_written_as_text() {
        let c = StringConverter::new();
        let w = |s: Option<&Schema>, v: Value| {
            String::from_utf8(c.from_connect(T, s, Some(&v)).unwrap().unwrap()).unwrap()
        };
        assert_eq!(w(None, Value::Int32(12)), "12");
        assert_eq!(w(None, Value::Int64(-5)), "-5");
        assert_eq!(w(None, Value::Float64(1.5)), "1.5");
        assert_eq!(w(None, Value::Float32(1e10)), "1.0E10");
        assert_eq!(w(None, Value::Boolean(true)), "true");
        assert_eq!(
            w(Some(&Decimal::schema(2)), Decimal::from_i128(12345)),
            "123.45"
        );
        let schema = SchemaBuilder::struct_()
            .field("id", Schema::int32())
            .build_arc()
            .unwrap();
        let s = Struct::new(schema).with("id", 1).unwrap();
        assert_eq!(w(None, Value::Struct(s)), "Struct{id=1}");
        assert_eq!(w(None, Value::Bytes(b"raw".to_vec())), "raw");
    }

    #[test]
    fn encodings() {
        let mut c = StringConverter::new();
        let props: Props = [("converter.encoding".to_string(), "ISO-8859-1".to_string())]
            .into_iter()
            .collect();
        Converter::configure(&mut c, &props, false).unwrap();
        assert_eq!(c.encoding(), Encoding::Latin1);
        let b = c
            .from_connect(T, None, Some(&Value::from("é€")))
            .unwrap()
            .unwrap();
        assert_eq!(b, vec![0xE9, b'?']);
        assert_eq!(
            c.to_connect(T, Some(&[0xE9])).unwrap().value,
            Some(Value::from("é"))
        );
        let bad: Props = [("converter.encoding".to_string(), "EBCDIC".to_string())]
            .into_iter()
            .collect();
        assert!(Converter::configure(&mut c, &bad, false).is_err());
    }

    #[test]
    fn invalid_utf8_is_replaced_like_java() {
        let c = StringConverter::new();
        let v = c.to_connect(T, Some(&[b'a', 0xFF])).unwrap().value;
        assert_eq!(v, Some(Value::from("a\u{FFFD}")));
    }

    #[test]
    fn header_round_trip() {
        let c = crate::AsHeaderConverter(StringConverter::new());
        let b = c
            .from_connect_header(T, "h", None, &Value::from("v"))
            .unwrap();
        assert_eq!(b.as_deref(), Some(&b"v"[..]));
        let back = c.to_connect_header(T, "h", b.as_deref()).unwrap();
        assert_eq!(back.value, Some(Value::from("v")));
    }
}
