//! `org.apache.kafka.connect.transforms.Flatten`: lifts the fields of nested structs (with a
//! schema) or maps (without) to the top level, joining names with `delimiter`. A field is
//! optional in the result when it or any struct around it was; arrays and maps are kept as they
//! are.

use std::sync::Arc;

use ferry_api::data::{Schema, SchemaBuilder, SchemaType, Struct, Value};
use ferry_api::{
    ConfigDef, ConfigType, ConnectError, ConnectRecord, Importance, Props, Result, Transformation,
};

use crate::util::{self, SchemaCache, Target};

const DELIMITER: &str = "delimiter";
const PURPOSE: &str = "flattening";

pub fn config_def() -> ConfigDef {
    ConfigDef::new().optional(
        DELIMITER,
        ConfigType::String,
        Some("."),
        Importance::Medium,
        "Delimiter to insert between field names from the input record when generating field \
         names for the output record",
    )
}

pub struct Flatten {
    target: Target,
    delimiter: String,
    cache: SchemaCache,
}

impl Flatten {
    pub fn new(target: Target) -> Self {
        Flatten {
            target,
            delimiter: ".".into(),
            cache: SchemaCache::default(),
        }
    }
}

fn name(prefix: &str, delimiter: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_string()
    } else {
        format!("{prefix}{delimiter}{field}")
    }
}

fn flatten_map(
    map: Vec<(Value, Value)>,
    prefix: &str,
    delimiter: &str,
    out: &mut Vec<(Value, Value)>,
) -> Result<()> {
    for (k, v) in map {
        let key = match &k {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let field = name(prefix, delimiter, &key);
        match v {
            Value::Map(inner) => flatten_map(inner, &field, delimiter, out)?,
            Value::Struct(_) => {
                return Err(ConnectError::Data(format!(
                    "Flatten transformation does not support class org.apache.kafka.connect.data.Struct \
                     for record without schemas (for field {field})."
                )))
            }
            other => util::map_put(out, &field, other),
        }
    }
    Ok(())
}

/// Adds the flattened fields of a struct schema to `b`.
fn flatten_schema(
    schema: &Schema,
    prefix: &str,
    delimiter: &str,
    optional: bool,
    parent_default: Option<&Struct>,
    mut b: SchemaBuilder,
) -> Result<SchemaBuilder> {
    for f in &schema.fields {
        let field = name(prefix, delimiter, &f.name);
        let field_optional = optional || f.schema.optional;
        let default = f.schema.default.clone().or_else(|| {
            parent_default
                .and_then(|d| d.get(&f.name))
                .filter(|v| !v.is_null())
                .cloned()
        });
        if f.schema.kind == SchemaType::Struct {
            let d = match &default {
                Some(Value::Struct(s)) => Some(s),
                _ => None,
            };
            b = flatten_schema(&f.schema, &field, delimiter, field_optional, d, b)?;
        } else {
            let mut s = (*f.schema).clone();
            s.optional = field_optional;
            s.default = default;
            b = b.field(field, s);
        }
    }
    Ok(b)
}

fn flatten_struct(s: Option<&Struct>, schema: &Schema, out: &mut Vec<Value>) {
    for f in &schema.fields {
        let v = s.and_then(|s| s.get_without_default(&f.name));
        if f.schema.kind == SchemaType::Struct {
            flatten_struct(v.and_then(Value::as_struct), &f.schema, out);
        } else {
            out.push(v.cloned().unwrap_or(Value::Null));
        }
    }
}

impl Transformation for Flatten {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&config_def(), props)?;
        self.delimiter = c.string(DELIMITER).unwrap_or(".").to_string();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>> {
        if self.target.value(&record).is_null() {
            return Ok(Some(record));
        }
        match self.target.schema(&record).cloned() {
            None => {
                util::require_map(self.target.value(&record), PURPOSE)?;
                let (_, value) = self.target.take(&mut record);
                let mut out = Vec::new();
                flatten_map(
                    util::into_map(value, PURPOSE)?,
                    "",
                    &self.delimiter,
                    &mut out,
                )?;
                self.target.set(&mut record, None, Value::Map(out));
            }
            Some(schema) => {
                util::require_struct(self.target.value(&record), PURPOSE)?;
                let delimiter = &self.delimiter;
                let updated: Arc<Schema> = self.cache.get_or(&schema, |s| {
                    let default = match &s.default {
                        Some(Value::Struct(d)) => Some(d),
                        _ => None,
                    };
                    let b = flatten_schema(
                        s,
                        "",
                        delimiter,
                        s.optional,
                        default,
                        util::struct_basics(s),
                    )?;
                    util::build(b)
                })?;
                let (_, value) = self.target.take(&mut record);
                let original = util::into_struct(value, PURPOSE)?;
                let mut values = Vec::with_capacity(updated.fields.len());
                flatten_struct(Some(&original), original.schema(), &mut values);
                let s = Struct::from_values(updated.clone(), values)?;
                self.target
                    .set(&mut record, Some(updated), Value::Struct(s));
            }
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;

    fn configured(delimiter: &str) -> Flatten {
        let mut t = Flatten::new(Target::Value);
        t.configure(&props(&[("delimiter", delimiter)])).unwrap();
        t
    }

    #[test]
    fn nested_maps() {
        let mut t = configured("#");
        let v = map(&[(
            "A",
            map(&[(
                "B",
                map(&[
                    ("int8", Value::Int8(8)),
                    ("string", Value::from("boo")),
                    ("array", Value::Array(vec![Value::Int32(1)])),
                    ("null", Value::Null),
                ]),
            )]),
        )]);
        let out = apply(&mut t, source(None, v));
        assert_eq!(
            out.value(),
            &map(&[
                ("A#B#int8", Value::Int8(8)),
                ("A#B#string", Value::from("boo")),
                ("A#B#array", Value::Array(vec![Value::Int32(1)])),
                ("A#B#null", Value::Null),
            ])
        );
    }

    #[test]
    fn nested_structs_and_optionality() {
        let inner = SchemaBuilder::struct_()
            .field("int32", Schema::int32())
            .field("string", Schema::string())
            .optional()
            .build_arc()
            .unwrap();
        let mid = SchemaBuilder::struct_()
            .field("B", inner.clone())
            .field("plain", Schema::boolean())
            .build_arc()
            .unwrap();
        let top = SchemaBuilder::struct_()
            .name("top")
            .field("A", mid.clone())
            .build_arc()
            .unwrap();
        let b = Struct::new(inner)
            .with("int32", 32)
            .unwrap()
            .with("string", "s")
            .unwrap();
        let a = Struct::new(mid.clone())
            .with("B", b)
            .unwrap()
            .with("plain", true)
            .unwrap();
        let v = Struct::new(top.clone()).with("A", a).unwrap();
        let mut t = configured(".");
        let out = apply(&mut t, source(Some(top.clone()), Value::Struct(v)));
        let s = out.value_schema().unwrap();
        assert_eq!(s.name.as_deref(), Some("top"));
        let names: Vec<_> = s.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["A.B.int32", "A.B.string", "A.plain"]);
        assert!(s.field("A.B.int32").unwrap().schema.optional);
        assert!(!s.field("A.plain").unwrap().schema.optional);
        let v = out.value().as_struct().unwrap();
        assert_eq!(v.get("A.B.int32"), Some(&Value::Int32(32)));
        assert_eq!(v.get("A.plain"), Some(&Value::Boolean(true)));
        // a null optional struct leaves its fields null
        let a = Struct::new(mid).with("plain", false).unwrap();
        let v = Struct::new(top.clone()).with("A", a).unwrap();
        let out = apply(&mut t, source(Some(top), Value::Struct(v)));
        assert!(out
            .value()
            .as_struct()
            .unwrap()
            .get("A.B.string")
            .unwrap()
            .is_null());
    }

    #[test]
    fn tombstones_and_wrong_types() {
        let mut t = configured(".");
        assert!(apply(&mut t, source(None, Value::Null)).value().is_null());
        assert!(t.apply(source(None, Value::Int32(1))).is_err());
    }
}
