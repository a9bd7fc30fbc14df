//! Header transforms: `DropHeaders`, `InsertHeader` and `HeaderFrom`.

use std::sync::Arc;

use ferry_api::config::ConfigValue;
use ferry_api::data::{Schema, Struct, Value};
use ferry_api::values;
use ferry_api::{
    ConfigDef, ConfigType, ConnectError, ConnectRecord, Header, Importance, Props, Result,
    Transformation,
};

use crate::util::{self, SchemaCache, Target};
use crate::value_to_key::non_empty_list;

const HEADERS: &str = "headers";
const HEADER: &str = "header";
const VALUE_LITERAL: &str = "value.literal";
const FIELDS: &str = "fields";
const OPERATION: &str = "operation";

pub fn drop_headers_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            HEADERS,
            ConfigType::List,
            Importance::High,
            "The name of the headers to be removed.",
        )
        .validate_with(non_empty_list())
}

/// `org.apache.kafka.connect.transforms.DropHeaders`: removes every header of the given names.
#[derive(Default)]
pub struct DropHeaders {
    names: Vec<String>,
}

impl DropHeaders {
    pub fn new() -> Self {
        DropHeaders::default()
    }
}

impl Transformation for DropHeaders {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&drop_headers_def(), props)?;
        self.names = c.list(HEADERS);
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>> {
        record
            .headers_mut()
            .retain(|h| !self.names.contains(&h.key));
        Ok(Some(record))
    }
}

pub fn insert_header_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            HEADER,
            ConfigType::String,
            Importance::High,
            "The name of the header.",
        )
        .required(
            VALUE_LITERAL,
            ConfigType::String,
            Importance::High,
            "The literal value that is to be set as the header value on all records.",
        )
}

/// The schema and value InsertHeader gives its literal: Kafka's ConfigDef trims the text (as
/// Java's `String.trim`), then `Values.parseString` types it ([`ferry_api::values`]): `null` is a
/// null value, `true`/`false` booleans, numbers the smallest type that holds them, `[...]` and
/// `{...}` arrays and maps, ISO dates and times their logical types, anything else a string.
pub fn parse_literal(text: &str) -> (Option<Arc<Schema>>, Value) {
    let parsed = values::parse_string(values::java_trim(text));
    (parsed.schema, parsed.value.unwrap_or(Value::Null))
}

/// `org.apache.kafka.connect.transforms.InsertHeader`: adds a header with a literal value.
pub struct InsertHeader {
    name: String,
    schema: Option<Arc<Schema>>,
    value: Value,
}

impl InsertHeader {
    pub fn new() -> Self {
        InsertHeader {
            name: String::new(),
            schema: None,
            value: Value::Null,
        }
    }
}

impl Default for InsertHeader {
    fn default() -> Self {
        InsertHeader::new()
    }
}

impl Transformation for InsertHeader {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&insert_header_def(), props)?;
        self.name = c.string(HEADER).unwrap_or_default().to_string();
        let literal = c
            .originals()
            .get(VALUE_LITERAL)
            .cloned()
            .unwrap_or_default();
        (self.schema, self.value) = parse_literal(&literal);
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>> {
        record.headers_mut().push(Header {
            key: self.name.clone(),
            schema: self.schema.clone(),
            value: self.value.clone(),
        });
        Ok(Some(record))
    }
}

pub fn header_from_def() -> ConfigDef {
    let def = ConfigDef::new()
        .required(
            FIELDS,
            ConfigType::List,
            Importance::High,
            "Field names in the record whose values are to be copied or moved to headers.",
        )
        .validate_with(non_empty_list())
        .required(
            HEADERS,
            ConfigType::List,
            Importance::High,
            "Header names, in the same order as the field names listed in the fields \
             configuration property.",
        )
        .validate_with(non_empty_list())
        .required(
            OPERATION,
            ConfigType::String,
            Importance::High,
            "Either <code>move</code> if the fields are to be moved to the headers (removed from \
             the key/value), or <code>copy</code> if the fields are to be copied to the headers \
             (retained in the key/value).",
        )
        .validate_with(Arc::new(|v| match v {
            ConfigValue::String(s) if s != "move" && s != "copy" => {
                Err("String must be one of: move, copy".into())
            }
            _ => Ok(()),
        }));
    util::with_replace_null(def)
}

/// `org.apache.kafka.connect.transforms.HeaderFrom`: copies or moves fields of the key or value
/// into headers.
pub struct HeaderFrom {
    target: Target,
    fields: Vec<String>,
    headers: Vec<String>,
    moving: bool,
    replace_null: bool,
    cache: SchemaCache,
}

impl HeaderFrom {
    pub fn new(target: Target) -> Self {
        HeaderFrom {
            target,
            fields: Vec::new(),
            headers: Vec::new(),
            moving: false,
            replace_null: true,
            cache: SchemaCache::default(),
        }
    }

    fn purpose(&self) -> String {
        format!("header {}", if self.moving { "move" } else { "copy" })
    }
}

impl Transformation for HeaderFrom {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&header_from_def(), props)?;
        self.fields = c.list(FIELDS);
        self.headers = c.list(HEADERS);
        if self.fields.len() != self.headers.len() {
            return Err(ConnectError::Config(
                "'fields' config must have the same number of elements as 'headers' config.".into(),
            ));
        }
        self.moving = c.string(OPERATION) == Some("move");
        self.replace_null = c.boolean(util::REPLACE_NULL_WITH_DEFAULT).unwrap_or(true);
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>> {
        if self.target.value(&record).is_null() {
            return Ok(Some(record));
        }
        let purpose = self.purpose();
        let mut added = Vec::with_capacity(self.fields.len());
        match self.target.schema(&record).cloned() {
            None => {
                util::require_map(self.target.value(&record), &purpose)?;
                let (_, value) = self.target.take(&mut record);
                let mut map = util::into_map(value, &purpose)?;
                for (field, header) in self.fields.iter().zip(&self.headers) {
                    let v = util::map_get(&map, field).cloned().unwrap_or(Value::Null);
                    if self.moving {
                        map.retain(|(k, _)| k.as_str() != Some(field.as_str()));
                    }
                    added.push(Header {
                        key: header.clone(),
                        schema: None,
                        value: v,
                    });
                }
                self.target.set(&mut record, None, Value::Map(map));
            }
            Some(schema) => {
                util::require_struct(self.target.value(&record), &purpose)?;
                for (field, header) in self.fields.iter().zip(&self.headers) {
                    let f = schema.field(field).ok_or_else(|| {
                        ConnectError::Data(format!("Field does not exist: {field}"))
                    })?;
                    let value = util::require_struct(self.target.value(&record), &purpose)?;
                    added.push(Header {
                        key: header.clone(),
                        schema: Some(f.schema.clone()),
                        value: util::field_value(value, field, self.replace_null),
                    });
                }
                if self.moving {
                    let fields = &self.fields;
                    let updated = self.cache.get_or(&schema, |s| {
                        let mut b = util::struct_basics(s);
                        for f in s.fields.iter().filter(|f| !fields.contains(&f.name)) {
                            b = b.field(f.name.clone(), f.schema.clone());
                        }
                        util::build(b)
                    })?;
                    let (_, value) = self.target.take(&mut record);
                    let original = util::into_struct(value, &purpose)?;
                    let values = updated
                        .fields
                        .iter()
                        .map(|f| util::field_value(&original, &f.name, self.replace_null))
                        .collect();
                    let s = Struct::from_values(updated.clone(), values)?;
                    self.target
                        .set(&mut record, Some(updated), Value::Struct(s));
                }
            }
        }
        record.headers_mut().extend(added);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use ferry_api::data::SchemaBuilder;

    fn header(key: &str, value: Value) -> Header {
        Header {
            key: key.into(),
            schema: None,
            value,
        }
    }

    #[test]
    fn drop_headers() {
        let mut t = DropHeaders::new();
        t.configure(&props(&[("headers", "a,b")])).unwrap();
        let mut r = source(None, Value::Null);
        r.headers_mut().extend([
            header("a", Value::Int32(1)),
            header("c", Value::Int32(2)),
            header("b", Value::Int32(3)),
            header("a", Value::Int32(4)),
        ]);
        let out = apply(&mut t, r);
        let keys: Vec<_> = out.headers().iter().map(|h| h.key.as_str()).collect();
        assert_eq!(keys, ["c"]);
        assert!(DropHeaders::new()
            .configure(&props(&[("headers", "")]))
            .is_err());
    }

    #[test]
    fn insert_header() {
        let mut t = InsertHeader::new();
        t.configure(&props(&[
            ("header", "inserted"),
            ("value.literal", "inserted-value"),
        ]))
        .unwrap();
        let out = apply(&mut t, source(None, Value::Null));
        assert_eq!(out.headers()[0].key, "inserted");
        assert_eq!(out.headers()[0].value, Value::from("inserted-value"));
        assert_eq!(parse_literal("42").1, Value::Int8(42));
        assert_eq!(parse_literal("4200").1, Value::Int16(4200));
        assert_eq!(parse_literal("true").1, Value::Boolean(true));
        // As Kafka 4.4 types them (trimmed, then Values.parseString).
        assert_eq!(parse_literal("1.5e3").1, Value::Int16(1500));
        assert_eq!(parse_literal("1e10").1, Value::Int64(10_000_000_000));
        assert_eq!(parse_literal("TRUE").1, Value::from("TRUE"));
        assert_eq!(parse_literal("  padded  ").1, Value::from("padded"));
        assert_eq!(parse_literal("1,5").1, Value::Int8(1));
        assert_eq!(parse_literal(" null "), (None, Value::Null));
        for (literal, schema, value) in [
            (
                "  padded  ",
                Some(Arc::new(Schema::string())),
                Value::from("padded"),
            ),
            ("null", None, Value::Null),
        ] {
            let mut t = InsertHeader::new();
            t.configure(&props(&[("header", "h"), ("value.literal", literal)]))
                .unwrap();
            let out = apply(&mut t, source(None, Value::Null));
            assert_eq!(out.headers()[0].schema, schema, "{literal}");
            assert_eq!(out.headers()[0].value, value, "{literal}");
        }
        let e = InsertHeader::new()
            .configure(&props(&[("header", "h")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"value.literal\""), "{e}");
    }

    #[test]
    fn header_from_schemaless() {
        let mut t = HeaderFrom::new(Target::Value);
        t.configure(&props(&[
            ("fields", "field1,field2"),
            ("headers", "inserted1,inserted2"),
            ("operation", "move"),
        ]))
        .unwrap();
        let v = map(&[
            ("field1", Value::from("field1-value")),
            ("field2", Value::from("field2-value")),
            ("other", Value::Int32(1)),
        ]);
        let out = apply(&mut t, source(None, v));
        assert_eq!(out.value(), &map(&[("other", Value::Int32(1))]));
        assert_eq!(out.headers().len(), 2);
        assert_eq!(out.headers()[1].key, "inserted2");
        assert_eq!(out.headers()[1].value, Value::from("field2-value"));
    }

    #[test]
    fn header_from_with_schema() {
        let schema = SchemaBuilder::struct_()
            .name("s")
            .field("field1", Schema::string())
            .field("other", Schema::int32())
            .build_arc()
            .unwrap();
        let v = Struct::new(schema.clone())
            .with("field1", "v1")
            .unwrap()
            .with("other", 1)
            .unwrap();
        for (op, fields) in [("copy", 2), ("move", 1)] {
            let mut t = HeaderFrom::new(Target::Value);
            t.configure(&props(&[
                ("fields", "field1"),
                ("headers", "h1"),
                ("operation", op),
            ]))
            .unwrap();
            let out = apply(
                &mut t,
                source(Some(schema.clone()), Value::Struct(v.clone())),
            );
            assert_eq!(out.value_schema().unwrap().fields.len(), fields);
            assert_eq!(out.headers()[0].value, Value::from("v1"));
            assert_eq!(out.headers()[0].schema.as_deref(), Some(&Schema::string()));
        }
    }

    #[test]
    fn header_from_config_errors() {
        let e = HeaderFrom::new(Target::Value)
            .configure(&props(&[
                ("fields", "a,b"),
                ("headers", "h"),
                ("operation", "move"),
            ]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("'fields' config must have the same number"),
            "{e}"
        );
        let e = HeaderFrom::new(Target::Value)
            .configure(&props(&[
                ("fields", "a"),
                ("headers", "h"),
                ("operation", "swap"),
            ]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("Invalid value swap for configuration operation"),
            "{e}"
        );
    }
}
