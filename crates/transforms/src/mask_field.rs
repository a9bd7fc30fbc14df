//! `org.apache.kafka.connect.transforms.MaskField`: replaces fields with the empty value of their
//! type (0, false, "", an empty array or map, a zero decimal, the epoch) or with a `replacement`
//! converted to a numeric or string field's type.

use std::sync::Arc;

use ferry_api::config::validators;
use ferry_api::data::{Schema, Struct, Value};
use ferry_api::logical::{Decimal, LogicalType};
use ferry_api::{
    ConfigDef, ConfigType, ConnectError, ConnectRecord, Importance, Props, Result, Transformation,
};

use crate::util::{self, Target};
use crate::value_to_key::non_empty_list;

const FIELDS: &str = "fields";
const REPLACEMENT: &str = "replacement";
const PURPOSE: &str = "mask fields";

pub fn config_def() -> ConfigDef {
    let def = ConfigDef::new()
        .required(
            FIELDS,
            ConfigType::List,
            Importance::High,
            "Names of fields to mask.",
        )
        .validate_with(non_empty_list())
        .optional(
            REPLACEMENT,
            ConfigType::String,
            None,
            Importance::Low,
            "Custom value replacement, that will be applied to all 'fields' values (numeric or \
             non-empty string values only).",
        )
        .validate_with(validators::non_empty_string());
    util::with_replace_null(def)
}

pub struct MaskField {
    target: Target,
    fields: Vec<String>,
    replacement: Option<String>,
    replace_null: bool,
}

/// The Java class Kafka names for a value of this (logical) schema.
fn class_of(value: &Value, schema: Option<&Schema>) -> &'static str {
    match schema.and_then(LogicalType::of) {
        Some(LogicalType::Decimal) => "java.math.BigDecimal",
        Some(_) => "java.util.Date",
        None => util::java_class(value),
    }
}

fn unable(replacement: &str) -> ConnectError {
    ConnectError::Data(format!(
        "Unable to convert {replacement} (class java.lang.String) to number"
    ))
}

fn parse_num<T: std::str::FromStr>(replacement: &str) -> Result<T> {
    replacement.trim().parse().map_err(|_| unable(replacement))
}

impl MaskField {
    pub fn new(target: Target) -> Self {
        MaskField {
            target,
            fields: Vec::new(),
            replacement: None,
            replace_null: true,
        }
    }

    fn masked(&self, value: Value, schema: Option<&Schema>) -> Result<Value> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let logical = schema.and_then(LogicalType::of);
        match &self.replacement {
            None => Ok(match (&value, logical) {
                (_, Some(LogicalType::Decimal)) => Decimal::from_i128(0),
                (Value::Int32(_), Some(_)) => Value::Int32(0),
                (Value::Int64(_), Some(_)) => Value::Int64(0),
                (Value::Boolean(_), _) => Value::Boolean(false),
                (Value::Int8(_), _) => Value::Int8(0),
                (Value::Int16(_), _) => Value::Int16(0),
                (Value::Int32(_), _) => Value::Int32(0),
                (Value::Int64(_), _) => Value::Int64(0),
                (Value::Float32(_), _) => Value::Float32(0.0),
                (Value::Float64(_), _) => Value::Float64(0.0),
                (Value::String(_), _) => Value::String(String::new()),
                (Value::Array(_), _) => Value::Array(Vec::new()),
                (Value::Map(_), _) => Value::Map(Vec::new()),
                (other, _) => {
                    return Err(ConnectError::Data(format!(
                        "Cannot mask value of type: class {}",
                        class_of(other, schema)
                    )))
                }
            }),
            Some(r) => Ok(match (&value, logical) {
                (_, Some(LogicalType::Decimal)) => {
                    let scale = schema.map(Decimal::scale).transpose()?.unwrap_or(0);
                    Value::Bytes(Decimal::parse(r, scale).map_err(|_| unable(r))?)
                }
                (Value::Int8(_), None) => Value::Int8(parse_num(r)?),
                (Value::Int16(_), None) => Value::Int16(parse_num(r)?),
                (Value::Int32(_), None) => Value::Int32(parse_num(r)?),
                (Value::Int64(_), None) => Value::Int64(parse_num(r)?),
                (Value::Float32(_), None) => Value::Float32(parse_num(r)?),
                (Value::Float64(_), None) => Value::Float64(parse_num(r)?),
                (Value::String(_), None) => Value::String(r.clone()),
                (other, _) => {
                    return Err(ConnectError::Data(format!(
                        "Cannot mask value of type class {} with custom replacement.",
                        class_of(other, schema)
                    )))
                }
            }),
        }
    }
}

impl Transformation for MaskField {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&config_def(), props)?;
        self.fields = c.list(FIELDS);
        self.replacement = c.string(REPLACEMENT).map(str::to_string);
        self.replace_null = c.boolean(util::REPLACE_NULL_WITH_DEFAULT).unwrap_or(true);
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
                let mut map = util::into_map(value, PURPOSE)?;
                for f in &self.fields {
                    let old = util::map_get(&map, f).cloned().unwrap_or(Value::Null);
                    let masked = self.masked(old, None)?;
                    util::map_put(&mut map, f, masked);
                }
                self.target.set(&mut record, None, Value::Map(map));
            }
            Some(schema) => {
                util::require_struct(self.target.value(&record), PURPOSE)?;
                let (_, value) = self.target.take(&mut record);
                let original = util::into_struct(value, PURPOSE)?;
                let mut values = Vec::with_capacity(schema.fields.len());
                for f in &original.schema().fields {
                    let v = util::field_value(&original, &f.name, self.replace_null);
                    values.push(if self.fields.contains(&f.name) {
                        self.masked(v, Some(&f.schema))?
                    } else {
                        v
                    });
                }
                let s = Struct::from_values(original.schema().clone(), values)?;
                let schema: Arc<Schema> = schema;
                self.target.set(&mut record, Some(schema), Value::Struct(s));
            }
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use ferry_api::data::SchemaBuilder;
    use ferry_api::logical::Timestamp;

    fn configured(pairs: &[(&str, &str)]) -> MaskField {
        let mut t = MaskField::new(Target::Value);
        t.configure(&props(pairs)).unwrap();
        t
    }

    fn schema() -> Arc<Schema> {
        SchemaBuilder::struct_()
            .field("magic", Schema::int32())
            .field("bool", Schema::boolean())
            .field("byte", Schema::int8())
            .field("long", Schema::int64())
            .field("double", Schema::float64())
            .field("string", Schema::string())
            .field("date", Timestamp::schema())
            .field("decimal", Decimal::schema(0))
            .field("array", Schema::array(Schema::int32()))
            .field(
                "withDefault",
                SchemaBuilder::string()
                    .optional()
                    .default_value("default")
                    .build()
                    .unwrap(),
            )
            .build_arc()
            .unwrap()
    }

    fn value(schema: &Arc<Schema>) -> Struct {
        Struct::new(schema.clone())
            .with("magic", 42)
            .unwrap()
            .with("bool", true)
            .unwrap()
            .with("byte", 42i8)
            .unwrap()
            .with("long", 42i64)
            .unwrap()
            .with("double", 42.0)
            .unwrap()
            .with("string", "hmm")
            .unwrap()
            .with("date", 1_000_000i64)
            .unwrap()
            .with("decimal", Decimal::from_i128(42))
            .unwrap()
            .with("array", vec![Value::Int32(1), Value::Int32(2)])
            .unwrap()
    }

    #[test]
    fn with_schema_masks_to_empty_values() {
        let s = schema();
        let mut t = configured(&[(
            "fields",
            "magic,bool,byte,long,double,string,date,decimal,array,withDefault",
        )]);
        let out = apply(&mut t, source(Some(s.clone()), Value::Struct(value(&s))));
        let v = out.value().as_struct().unwrap();
        assert_eq!(v.get("magic"), Some(&Value::Int32(0)));
        assert_eq!(v.get("bool"), Some(&Value::Boolean(false)));
        assert_eq!(v.get("byte"), Some(&Value::Int8(0)));
        assert_eq!(v.get("long"), Some(&Value::Int64(0)));
        assert_eq!(v.get("double"), Some(&Value::Float64(0.0)));
        assert_eq!(v.get("string"), Some(&Value::from("")));
        assert_eq!(v.get("date"), Some(&Value::Int64(0)));
        assert_eq!(v.get("decimal"), Some(&Decimal::from_i128(0)));
        assert_eq!(v.get("array"), Some(&Value::Array(vec![])));
        assert_eq!(v.get("withDefault"), Some(&Value::from("")));
    }

    #[test]
    fn schemaless_masks_and_replaces() {
        let v = map(&[
            ("magic", Value::Int32(42)),
            ("string", Value::from("hmm")),
            ("bool", Value::Boolean(true)),
            ("map", map(&[("k", Value::Int32(1))])),
        ]);
        let mut t = configured(&[("fields", "magic,string,map")]);
        let out = apply(&mut t, source(None, v.clone()));
        assert_eq!(
            out.value(),
            &map(&[
                ("magic", Value::Int32(0)),
                ("string", Value::from("")),
                ("bool", Value::Boolean(true)),
                ("map", Value::Map(vec![])),
            ])
        );
        let mut t = configured(&[("fields", "magic,string"), ("replacement", "123")]);
        let out = apply(&mut t, source(None, v.clone()));
        let m = out.value().as_map().unwrap();
        assert_eq!(util::map_get(m, "magic"), Some(&Value::Int32(123)));
        assert_eq!(util::map_get(m, "string"), Some(&Value::from("123")));
        let mut t = configured(&[("fields", "bool"), ("replacement", "x")]);
        let e = t.apply(source(None, v.clone())).unwrap_err().to_string();
        assert_eq!(
            e,
            "data error: Cannot mask value of type class java.lang.Boolean with custom replacement."
        );
        let mut t = configured(&[("fields", "magic"), ("replacement", "x")]);
        let e = t.apply(source(None, v)).unwrap_err().to_string();
        assert!(e.contains("Unable to convert x"), "{e}");
    }

    #[test]
    fn config_errors_name_the_key() {
        let e = MaskField::new(Target::Value)
            .configure(&props(&[("fields", "a"), ("replacement", "")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("configuration replacement"), "{e}");
    }
}
