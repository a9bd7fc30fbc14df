//! `org.apache.kafka.connect.storage.SimpleHeaderConverter`: header values as plain text, with
//! the type guessed back from the text.

use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use ferry_api::text::{push_java_double, push_java_float};
use ferry_api::values::parse_string;
use ferry_api::{
    Date, Decimal, HeaderConverter, LogicalType, Props, Result, Schema, SchemaAndValue, Time,
    Timestamp, Value,
};

/// Writes header values as UTF-8 text (as Kafka's `Values.convertToString`) and reads text back
/// as Kafka's `Values.parseString` types it ([`ferry_api::values`]): `null` as a null value,
/// `true` / `false` as BOOLEAN, numbers in the smallest type that holds them (INT8..INT64,
/// FLOAT32, FLOAT64, else a Decimal), ISO dates, times and timestamps (read leniently) as their
/// logical types, `[...]` and `{...}` as arrays and maps, anything else as STRING.
#[derive(Debug, Clone, Default)]
pub struct SimpleHeaderConverter;

impl SimpleHeaderConverter {
    pub const CLASS: &'static str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

    pub fn new() -> Self {
        SimpleHeaderConverter
    }
}

impl HeaderConverter for SimpleHeaderConverter {
    fn configure(&mut self, _props: &Props) -> Result<()> {
        Ok(())
    }

    fn from_connect_header(
        &self,
        _topic: &str,
        _key: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>> {
        match value {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.as_bytes().to_vec())),
            other => {
                let mut out = String::new();
                append(&mut out, other, schema, false);
                Ok(Some(out.into_bytes()))
            }
        }
    }

    fn to_connect_header(
        &self,
        _topic: &str,
        _key: &str,
        bytes: Option<&[u8]>,
    ) -> Result<SchemaAndValue> {
        let Some(bytes) = bytes else {
            return Ok(SchemaAndValue::NULL);
        };
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(parse_string(text)),
            // Not text at all: keep the bytes.
            Err(_) => Ok(SchemaAndValue {
                schema: Some(BYTES.get_or_init(|| Arc::new(Schema::bytes())).clone()),
                value: Some(Value::Bytes(bytes.to_vec())),
            }),
        }
    }
}

static BYTES: OnceLock<Arc<Schema>> = OnceLock::new();

/// Appends `value` as Kafka's `Values.convertToString` writes it; `embedded` values (inside an
/// array, map or struct) have their strings quoted.
fn append(out: &mut String, value: &Value, schema: Option<&Schema>, embedded: bool) {
    let logical = schema.and_then(LogicalType::of);
    match value {
        Value::Null => out.push_str("null"),
        Value::Int8(v) => out.push_str(itoa::Buffer::new().format(*v)),
        Value::Int16(v) => out.push_str(itoa::Buffer::new().format(*v)),
        Value::Int32(v) => match logical {
            Some(LogicalType::Date) => out.push_str(&Date::format_iso(*v)),
            Some(LogicalType::Time) => out.push_str(&Time::format_iso(*v)),
            _ => out.push_str(itoa::Buffer::new().format(*v)),
        },
        Value::Int64(v) => match logical {
            Some(LogicalType::Timestamp) => out.push_str(&Timestamp::format_iso(*v)),
            _ => out.push_str(itoa::Buffer::new().format(*v)),
        },
        Value::Float32(v) => push_java_float(out, *v),
        Value::Float64(v) => push_java_double(out, *v),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::String(s) => {
            if embedded {
                out.push('"');
                for c in s.chars() {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            } else {
                out.push_str(s);
            }
        }
        Value::Bytes(b) => {
            let scale = match (logical, schema) {
                (Some(LogicalType::Decimal), Some(s)) => Decimal::scale(s).ok(),
                _ => None,
            };
            match scale {
                Some(scale) => out.push_str(&Decimal::to_sci_string(b, scale)),
                None => {
                    if embedded {
                        out.push('"');
                    }
                    base64::engine::general_purpose::STANDARD.encode_string(b, out);
                    if embedded {
                        out.push('"');
                    }
                }
            }
        }
        Value::Array(items) => {
            let elem = schema.and_then(|s| s.value_schema.as_deref());
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, item, elem, true);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let ks = schema.and_then(|s| s.key_schema.as_deref());
            let vs = schema.and_then(|s| s.value_schema.as_deref());
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, k, ks, true);
                out.push(':');
                append(out, v, vs, true);
            }
            out.push('}');
        }
        Value::Struct(st) => {
            out.push('{');
            for (i, field) in st.schema().fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, &Value::String(field.name.clone()), None, true);
                out.push(':');
                let v = st.get(&field.name).unwrap_or(&Value::Null);
                append(out, v, Some(&field.schema), true);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::SchemaBuilder;

    fn round_trip(schema: Option<&Schema>, value: Value) -> (String, SchemaAndValue) {
        let c = SimpleHeaderConverter::new();
        let bytes = c
            .from_connect_header("t", "h", schema, &value)
            .unwrap()
            .unwrap();
        let back = c.to_connect_header("t", "h", Some(&bytes)).unwrap();
        (String::from_utf8(bytes).unwrap(), back)
    }

    #[test]
    fn simple_values_round_trip() {
        let cases: Vec<(Value, &str, Schema)> = vec![
            (Value::from("hello"), "hello", Schema::string()),
            (Value::Boolean(true), "true", Schema::boolean()),
            (Value::Int8(-5), "-5", Schema::int8()),
            (Value::Int16(300), "300", Schema::int16()),
            (Value::Int32(70000), "70000", Schema::int32()),
            (Value::Int64(5_000_000_000), "5000000000", Schema::int64()),
            (Value::Float32(1.5), "1.5", Schema::float32()),
        ];
        for (value, text, schema) in cases {
            let (written, back) = round_trip(None, value.clone());
            assert_eq!(written, text);
            assert_eq!(back.value, Some(value));
            assert_eq!(back.schema.as_deref(), Some(&schema));
        }
    }

    /// What Kafka's `SimpleHeaderConverter.toConnectHeader` gives: `Values.parseString` of the
    /// text, untrimmed.
    #[test]
    fn parsing_like_kafka() {
        let c = SimpleHeaderConverter::new();
        let p = |s: &str| c.to_connect_header("t", "h", Some(s.as_bytes())).unwrap();
        assert_eq!(p("").value, Some(Value::from("")));
        assert_eq!(p("").schema.as_deref(), Some(&Schema::string()));
        assert_eq!(p("  true ").value, Some(Value::Boolean(true)));
        assert_eq!(p("True").value, Some(Value::from("True")));
        assert_eq!(p("null"), SchemaAndValue::NULL);
        assert_eq!(p("1.0").value, Some(Value::Int8(1)));
        assert_eq!(p("1e3").value, Some(Value::Int16(1000)));
        assert_eq!(p("+7").value, Some(Value::Int8(7)));
        assert_eq!(p("3.25").value, Some(Value::Float32(3.25)));
        assert_eq!(p("1e300").value, Some(Value::Float64(1e300)));
        assert_eq!(p("12abc").value, Some(Value::from("12abc")));
        assert_eq!(p("-").value, Some(Value::from("-")));
        let big = p("123456789012345678901234567890");
        assert_eq!(big.schema.as_deref(), Some(&Decimal::schema(0)));
        assert_eq!(p("2024-02-29").schema.as_deref(), Some(&Date::schema()));
        assert_eq!(p("2024-02-29").value, Some(Value::Int32(19782)));
        assert_eq!(p("04:00:00.000Z").value, Some(Value::Int32(14_400_000)));
        assert_eq!(
            p("1970-02-16T07:06:40.000Z").value,
            Some(Value::Int64(4_000_000_000))
        );
        // Kafka's SimpleDateFormat is lenient: month 13 of 2024 is January 2025.
        assert_eq!(p("2024-13-01").schema.as_deref(), Some(&Date::schema()));
        assert_eq!(p("2024-13-01").value, Some(Value::Int32(20_089)));
        // Only the first token of a top-level number counts.
        assert_eq!(p("1,5").schema.as_deref(), Some(&Schema::int8()));
        assert_eq!(p("1,5").value, Some(Value::Int8(1)));
        // Arrays and maps, their elements of a common schema where there is one.
        let array = p("[1,2]");
        assert_eq!(
            array.schema.as_deref(),
            Some(&Schema::array(Schema::int8()))
        );
        assert_eq!(
            array.value,
            Some(Value::Array(vec![Value::Int8(1), Value::Int8(2)]))
        );
        let map = p(r#"{"k":true}"#);
        assert_eq!(
            map.schema.as_deref(),
            Some(&Schema::map(Schema::string(), Schema::boolean()))
        );
        assert_eq!(
            map.value,
            Some(Value::Map(vec![("k".into(), Value::Boolean(true))]))
        );
        // Not a whole array: the text.
        assert_eq!(p("[1,2").value, Some(Value::from("[1,2")));
    }

    #[test]
    fn non_utf8_stays_bytes() {
        let c = SimpleHeaderConverter::new();
        let back = c.to_connect_header("t", "h", Some(&[0xFF, 0x00])).unwrap();
        assert_eq!(back.value, Some(Value::Bytes(vec![0xFF, 0x00])));
        assert_eq!(
            c.to_connect_header("t", "h", None).unwrap(),
            SchemaAndValue::NULL
        );
        assert_eq!(
            c.from_connect_header("t", "h", None, &Value::Null).unwrap(),
            None
        );
    }

    #[test]
    fn structured_values_as_kafka_writes_them() {
        let c = SimpleHeaderConverter::new();
        let w = |schema: Option<&Schema>, v: Value| {
            String::from_utf8(
                c.from_connect_header("t", "h", schema, &v)
                    .unwrap()
                    .unwrap(),
            )
            .unwrap()
        };
        assert_eq!(
            w(None, Value::Array(vec![Value::Int32(1), "a\"b".into()])),
            r#"[1,"a\"b"]"#
        );
        assert_eq!(
            w(None, Value::Map(vec![("k".into(), Value::Boolean(true))])),
            r#"{"k":true}"#
        );
        let schema = SchemaBuilder::struct_()
            .field("id", Schema::int32())
            .field("n", Schema::optional_string())
            .build_arc()
            .unwrap();
        let s = ferry_api::Struct::new(schema).with("id", 1).unwrap();
        assert_eq!(w(None, Value::Struct(s)), r#"{"id":1,"n":null}"#);
        assert_eq!(w(None, Value::Bytes(vec![1, 2])), "AQI=");
        assert_eq!(
            w(Some(&Decimal::schema(2)), Decimal::from_i128(-156)),
            "-1.56"
        );
        assert_eq!(
            w(Some(&Timestamp::schema()), Value::Int64(0)),
            "1970-01-01T00:00:00.000Z"
        );
        let (text, back) = round_trip(Some(&Date::schema()), Value::Int32(10000));
        assert_eq!(text, "1997-05-19");
        assert_eq!(back.value, Some(Value::Int32(10000)));
        assert_eq!(back.schema.as_deref(), Some(&Date::schema()));
    }
}
