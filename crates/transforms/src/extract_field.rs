//! `org.apache.kafka.connect.transforms.ExtractField`: replaces the key or value with one of its
//! fields. With `field.syntax.version=V2` a dotted path reaches into nested structs and maps
//! (backticks quote a name holding dots).

use std::sync::Arc;

use ferry_api::data::{Field, Schema, SchemaType, Value};
use ferry_api::{
    ConfigDef, ConfigType, ConnectError, ConnectRecord, Importance, Props, Result, Transformation,
};

use crate::util::{self, Target};

const FIELD: &str = "field";
const SYNTAX: &str = "field.syntax.version";
const PURPOSE: &str = "field extraction";

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            FIELD,
            ConfigType::String,
            Importance::Medium,
            "Field name to extract.",
        )
        .optional(
            SYNTAX,
            ConfigType::String,
            Some("V1"),
            Importance::High,
            "Defines the version of the syntax to access fields. If set to `V1`, then the field \
             paths are limited to access the elements at the root level of the struct or map. If \
             set to `V2`, the syntax will support accessing nested elements. To access nested \
             elements, dotted notation is used.",
        )
        .validate_with(ferry_api::config::validators::one_of(&["V1", "V2"]))
}

/// A field path: one name with V1, the dotted parts with V2.
pub fn parse_path(path: &str, v2: bool) -> Vec<String> {
    if !v2 {
        return vec![path.to_string()];
    }
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' if !quoted && cur.is_empty() => quoted = true,
            '`' if quoted && matches!(chars.peek(), None | Some('.')) => quoted = false,
            '.' if !quoted => parts.push(std::mem::take(&mut cur)),
            other => cur.push(other),
        }
    }
    parts.push(cur);
    parts
}

/// The field a path names in a struct schema.
pub fn field_at<'a>(schema: &'a Schema, path: &[String]) -> Option<&'a Field> {
    let (last, parents) = path.split_last()?;
    let mut s = schema;
    for p in parents {
        let f = s.field(p)?;
        if f.schema.kind != SchemaType::Struct {
            return None;
        }
        s = &f.schema;
    }
    s.field(last)
}

/// The value a path names in a struct or map (`Null` when absent).
pub fn value_at(value: &Value, path: &[String], replace_null: bool) -> Value {
    let mut cur = value.clone();
    for p in path {
        cur = match &cur {
            Value::Struct(s) => util::field_value(s, p, replace_null),
            Value::Map(m) => util::map_get(m, p).cloned().unwrap_or(Value::Null),
            _ => return Value::Null,
        };
    }
    cur
}

pub struct ExtractField {
    target: Target,
    path: Vec<String>,
    original: String,
}

impl ExtractField {
    pub fn new(target: Target) -> Self {
        ExtractField {
            target,
            path: Vec::new(),
            original: String::new(),
        }
    }
}

impl Transformation for ExtractField {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&config_def(), props)?;
        self.original = c.string(FIELD).unwrap_or_default().to_string();
        let v2 = c
            .string(SYNTAX)
            .is_some_and(|s| s.eq_ignore_ascii_case("V2"));
        self.path = parse_path(&self.original, v2);
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>> {
        match self.target.schema(&record).cloned() {
            None => {
                let value = self.target.value(&record);
                if value.is_null() {
                    return Ok(Some(record));
                }
                util::require_map(value, PURPOSE)?;
                let extracted = value_at(value, &self.path, true);
                self.target.set(&mut record, None, extracted);
            }
            Some(schema) => {
                let value = self.target.value(&record);
                if !value.is_null() {
                    util::require_struct(value, PURPOSE)?;
                }
                let field = field_at(&schema, &self.path).ok_or_else(|| {
                    ConnectError::Data(format!("Unknown field: {}", self.original))
                })?;
                let extracted = if value.is_null() {
                    Value::Null
                } else {
                    value_at(value, &self.path, true)
                };
                let field_schema: Arc<Schema> = field.schema.clone();
                self.target.set(&mut record, Some(field_schema), extracted);
            }
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use ferry_api::data::{SchemaBuilder, Struct};

    fn configured(target: Target, pairs: &[(&str, &str)]) -> ExtractField {
        let mut t = ExtractField::new(target);
        t.configure(&props(pairs)).unwrap();
        t
    }

    #[test]
    fn schemaless() {
        let mut t = configured(Target::Key, &[("field", "magic")]);
        let mut r = source(None, Value::Null);
        r.set_key(None, map(&[("magic", Value::Int32(42))]));
        let out = apply(&mut t, r);
        assert_eq!(out.key(), &Value::Int32(42));
        assert!(out.key_schema().is_none());
        // absent field: null
        let mut r = source(None, Value::Null);
        r.set_key(None, map(&[("other", Value::Int32(42))]));
        assert!(apply(&mut t, r).key().is_null());
    }

    #[test]
    fn with_schema_and_null() {
        let mut t = configured(Target::Value, &[("field", "magic")]);
        let schema = SchemaBuilder::struct_()
            .field("magic", Schema::int32())
            .build_arc()
            .unwrap();
        let v = Struct::new(schema.clone()).with("magic", 42).unwrap();
        let out = apply(&mut t, source(Some(schema.clone()), Value::Struct(v)));
        assert_eq!(out.value(), &Value::Int32(42));
        assert_eq!(out.value_schema().map(|s| s.kind), Some(SchemaType::Int32));
        let out = apply(&mut t, source(Some(schema.clone()), Value::Null));
        assert!(out.value().is_null());
        assert_eq!(out.value_schema().map(|s| s.kind), Some(SchemaType::Int32));
        let mut t = configured(Target::Value, &[("field", "nope")]);
        let e = t
            .apply(source(Some(schema), Value::Null))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "data error: Unknown field: nope");
    }

    #[test]
    fn nested_with_v2() {
        let mut t = configured(
            Target::Value,
            &[("field", "a.`b.c`"), ("field.syntax.version", "V2")],
        );
        let inner = SchemaBuilder::struct_()
            .field("b.c", Schema::string())
            .build_arc()
            .unwrap();
        let schema = SchemaBuilder::struct_()
            .field("a", inner.clone())
            .build_arc()
            .unwrap();
        let v = Struct::new(schema.clone())
            .with("a", Struct::new(inner).with("b.c", "deep").unwrap())
            .unwrap();
        let out = apply(&mut t, source(Some(schema), Value::Struct(v)));
        assert_eq!(out.value(), &Value::from("deep"));
        let out = apply(
            &mut t,
            source(None, map(&[("a", map(&[("b.c", Value::Int32(1))]))])),
        );
        assert_eq!(out.value(), &Value::Int32(1));
    }
}
