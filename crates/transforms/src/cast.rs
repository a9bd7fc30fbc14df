//! `org.apache.kafka.connect.transforms.Cast`: casts the whole key or value (`spec=int32`) or
//! some fields of it (`spec=a:int64,b:string`) to another primitive type. Numbers, booleans,
//! strings, Decimal, Date, Time and Timestamp are read; bytes cast to a string in base64.

use std::sync::Arc;

use base64::Engine as _;
use ferry_api::config::ConfigValue;
use ferry_api::data::{Schema, SchemaBuilder, SchemaType, Struct, Value};
use ferry_api::logical::{Date, Decimal, LogicalType, Time, Timestamp};
use ferry_api::{
    ConfigDef, ConfigType, ConnectError, ConnectRecord, Importance, Props, Result, Transformation,
};

use crate::util::{self, SchemaCache, Target};

const SPEC: &str = "spec";
const PURPOSE: &str = "cast types";
const MILLIS_PER_DAY: i64 = 86_400_000;
const OUTPUT_TYPES: &[SchemaType] = &[
    SchemaType::Int8,
    SchemaType::Int16,
    SchemaType::Int32,
    SchemaType::Int64,
    SchemaType::Float32,
    SchemaType::Float64,
    SchemaType::Boolean,
    SchemaType::String,
];
const INPUT_TYPES: &[SchemaType] = &[
    SchemaType::Int8,
    SchemaType::Int16,
    SchemaType::Int32,
    SchemaType::Int64,
    SchemaType::Float32,
    SchemaType::Float64,
    SchemaType::Boolean,
    SchemaType::String,
    SchemaType::Bytes,
];

/// `[INT8, INT16, ...]`, as Java prints an enum set.
fn names(types: &[SchemaType]) -> String {
    let names: Vec<&str> = types.iter().map(|t| t.name()).collect();
    format!("[{}]", names.join(", "))
}

pub fn config_def() -> ConfigDef {
    let def = ConfigDef::new()
        .required(
            SPEC,
            ConfigType::List,
            Importance::High,
            "List of fields and the type to cast them to of the form field1:type,field2:type to \
             cast fields of Maps or Structs. A single type to cast the entire value. Valid types \
             are int8, int16, int32, int64, float32, float64, boolean, and string. Note that \
             binary fields can only be cast to string.",
        )
        .validate_with(Arc::new(|v| match v {
            ConfigValue::List(l) => parse_spec(l).map(|_| ()),
            _ => Ok(()),
        }));
    util::with_replace_null(def)
}

/// The casts of a spec: `(None, type)` for the whole value, `(Some(field), type)` otherwise.
fn parse_spec(items: &[String]) -> std::result::Result<Vec<(Option<String>, SchemaType)>, String> {
    if items.is_empty() {
        return Err("Must specify at least one field to cast.".into());
    }
    let mut out = Vec::new();
    for item in items {
        let parts: Vec<&str> = item.split(':').map(str::trim).collect();
        let (field, ty) = match parts.as_slice() {
            [ty] => (None, *ty),
            [field, ty] => (Some(field.to_string()), *ty),
            _ => return Err(format!("Invalid cast mapping: {item}")),
        };
        if field.is_none() && items.len() > 1 {
            return Err(
                "Cast transformations that specify a type to cast the entire value to may ony \
                 specify a single cast in their spec"
                    .into(),
            );
        }
        let upper = ty.to_ascii_uppercase();
        let kind = [
            SchemaType::Int8,
            SchemaType::Int16,
            SchemaType::Int32,
            SchemaType::Int64,
            SchemaType::Float32,
            SchemaType::Float64,
            SchemaType::Boolean,
            SchemaType::String,
            SchemaType::Bytes,
            SchemaType::Array,
            SchemaType::Map,
            SchemaType::Struct,
        ]
        .into_iter()
        .find(|k| k.name() == upper)
        .ok_or_else(|| format!("Invalid type found in casting spec: {ty}"))?;
        if !OUTPUT_TYPES.contains(&kind) {
            return Err(format!(
                "Cast transformation does not support casting to {}; supported types are {}",
                kind.name(),
                names(OUTPUT_TYPES)
            ));
        }
        out.push((field, kind));
    }
    Ok(out)
}

pub struct Cast {
    target: Target,
    whole: Option<SchemaType>,
    fields: Vec<(String, SchemaType)>,
    replace_null: bool,
    cache: SchemaCache,
}

/// A value read as a number, whatever its type (logical dates as their milliseconds).
enum Num {
    Int(i64),
    Float(f64),
}

fn unexpected(value: &Value) -> ConnectError {
    ConnectError::Data(format!(
        "Unexpected type in Cast transformation: class {}",
        util::java_class(value)
    ))
}

fn out_of_range(value: &Value) -> ConnectError {
    ConnectError::Data(format!(
        "Value ({value}) was out of range for requested data type"
    ))
}

/// A value read as a number for a numeric or boolean cast. Date, Time and Timestamp values
/// count as their physical values (days, milliseconds), as Kafka encodes them before casting.
fn as_number(value: &Value, schema: Option<&Schema>) -> Result<Num> {
    if let (Some(s), Value::Bytes(b)) = (schema, value) {
        if LogicalType::of(s) == Some(LogicalType::Decimal) {
            let scale = Decimal::scale(s)?;
            let text = Decimal::to_plain_string(b, scale);
            return text
                .parse::<f64>()
                .map(|f| {
                    if scale <= 0 {
                        Num::Int(f as i64)
                    } else {
                        Num::Float(f)
                    }
                })
                .map_err(|_| out_of_range(value));
        }
    }
    match value {
        Value::Float32(f) => Ok(Num::Float(f64::from(*f))),
        Value::Float64(f) => Ok(Num::Float(*f)),
        Value::Boolean(b) => Ok(Num::Int(i64::from(*b))),
        other => other
            .as_i64()
            .map(Num::Int)
            .ok_or_else(|| unexpected(other)),
    }
}

/// A string parsed as Java's `Byte.parseByte`, `Integer.parseInt`, `Double.parseDouble`, ...
fn parse_string(s: &str, to: SchemaType, value: &Value) -> Result<Value> {
    let bad = || out_of_range(value);
    Ok(match to {
        SchemaType::Int8 => Value::Int8(s.parse().map_err(|_| bad())?),
        SchemaType::Int16 => Value::Int16(s.parse().map_err(|_| bad())?),
        SchemaType::Int32 => Value::Int32(s.parse().map_err(|_| bad())?),
        SchemaType::Int64 => Value::Int64(s.parse().map_err(|_| bad())?),
        SchemaType::Float32 => Value::Float32(s.trim().parse().map_err(|_| bad())?),
        SchemaType::Float64 => Value::Float64(s.trim().parse().map_err(|_| bad())?),
        _ => Value::Boolean(s.eq_ignore_ascii_case("true")),
    })
}

/// The value as Kafka's Cast writes it in a string.
fn as_string(value: &Value, schema: Option<&Schema>) -> String {
    match (value, schema.and_then(LogicalType::of)) {
        (Value::Bytes(b), Some(LogicalType::Decimal)) => {
            let scale = schema.and_then(|s| Decimal::scale(s).ok()).unwrap_or(0);
            Decimal::to_sci_string(b, scale)
        }
        (v, Some(LogicalType::Date | LogicalType::Time | LogicalType::Timestamp)) => {
            let millis = match schema.and_then(LogicalType::of) {
                Some(LogicalType::Date) => v.as_i64().unwrap_or(0) * MILLIS_PER_DAY,
                _ => v.as_i64().unwrap_or(0),
            };
            if (0..MILLIS_PER_DAY).contains(&millis) {
                Time::format_iso(millis as i32)
            } else if millis % MILLIS_PER_DAY == 0 {
                Date::format_iso(millis.div_euclid(MILLIS_PER_DAY) as i32)
            } else {
                Timestamp::format_iso(millis)
            }
        }
        (Value::Bytes(b), _) => base64::engine::general_purpose::STANDARD.encode(b),
        (v, _) => v.to_java_string(schema),
    }
}

/// Casts one value; `Null` stays `Null`.
fn cast_value(value: &Value, schema: Option<&Schema>, to: SchemaType) -> Result<Value> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let kind = schema.map(|s| s.kind).or_else(|| value.schema_type());
    if let Some(k) = kind.filter(|k| !INPUT_TYPES.contains(k)) {
        return Err(ConnectError::Data(format!(
            "Cast transformation does not support casting from {}; supported types are {}",
            k.name(),
            names(INPUT_TYPES)
        )));
    }
    if to != SchemaType::String {
        if let Value::String(s) = value {
            return parse_string(s, to, value);
        }
        if matches!(value, Value::Bytes(_))
            && schema.and_then(LogicalType::of) != Some(LogicalType::Decimal)
        {
            return Err(unexpected(value));
        }
    }
    Ok(match to {
        SchemaType::String => Value::String(as_string(value, schema)),
        SchemaType::Boolean => match value {
            Value::Boolean(b) => Value::Boolean(*b),
            _ => Value::Boolean(match as_number(value, schema)? {
                Num::Int(i) => i != 0,
                Num::Float(f) => f as i64 != 0,
            }),
        },
        _ => {
            let n = as_number(value, schema)?;
            let int = || match n {
                Num::Int(i) => i,
                Num::Float(f) => f as i64,
            };
            let int32 = || match n {
                Num::Int(i) => i as i32,
                Num::Float(f) => f as i32,
            };
            let float = || match n {
                Num::Int(i) => i as f64,
                Num::Float(f) => f,
            };
            match to {
                SchemaType::Int8 => Value::Int8(int32() as i8),
                SchemaType::Int16 => Value::Int16(int32() as i16),
                SchemaType::Int32 => Value::Int32(int32()),
                SchemaType::Int64 => Value::Int64(int()),
                SchemaType::Float32 => Value::Float32(float() as f32),
                SchemaType::Float64 => Value::Float64(float()),
                other => {
                    return Err(ConnectError::Data(format!(
                        "{} is not supported in the Cast transformation.",
                        other.name()
                    )))
                }
            }
        }
    })
}

/// The schema a cast field or value takes: the target type, optional and defaulted as before;
/// a whole value keeps its schema's name, version, doc and parameters, as Kafka's does.
fn cast_schema(orig: &Schema, to: SchemaType, whole: bool) -> Result<Schema> {
    let mut b = SchemaBuilder::new(to);
    if whole {
        let mut basics = b.peek().clone();
        basics.name.clone_from(&orig.name);
        basics.version = orig.version;
        basics.doc.clone_from(&orig.doc);
        basics.parameters.clone_from(&orig.parameters);
        b = SchemaBuilder::from_schema(basics);
    }
    if orig.optional {
        b = b.optional();
    }
    if let Some(d) = &orig.default {
        b = b.default_value(cast_value(d, Some(orig), to)?);
    }
    b.build()
}

impl Cast {
    pub fn new(target: Target) -> Self {
        Cast {
            target,
            whole: None,
            fields: Vec::new(),
            replace_null: true,
            cache: SchemaCache::default(),
        }
    }

    fn cast_for(&self, field: &str) -> Option<SchemaType> {
        self.fields
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, t)| *t)
    }
}

impl Transformation for Cast {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&config_def(), props)?;
        let spec = parse_spec(&c.list(SPEC))
            .map_err(|why| util::invalid(SPEC, &c.list(SPEC).join(","), &why))?;
        self.whole = None;
        self.fields.clear();
        for (field, ty) in spec {
            match field {
                None => self.whole = Some(ty),
                Some(f) => self.fields.push((f, ty)),
            }
        }
        self.replace_null = c.boolean(util::REPLACE_NULL_WITH_DEFAULT).unwrap_or(true);
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>> {
        if self.target.value(&record).is_null() {
            return Ok(Some(record));
        }
        let schema = self.target.schema(&record).cloned();
        let (_, value) = self.target.take(&mut record);
        if let Some(to) = self.whole {
            match schema {
                None => {
                    let out = cast_value(&value, None, to)?;
                    self.target.set(&mut record, None, out);
                }
                Some(s) => {
                    let updated = self
                        .cache
                        .get_or(&s, |s| cast_schema(s, to, true).map(Arc::new))?;
                    let out = cast_value(&value, Some(&s), to)?;
                    self.target.set(&mut record, Some(updated), out);
                }
            }
            return Ok(Some(record));
        }
        match schema {
            None => {
                let mut map = util::into_map(value, PURPOSE)?;
                for (k, v) in map.iter_mut() {
                    if let Some(to) = k.as_str().and_then(|f| self.cast_for(f)) {
                        *v = cast_value(v, None, to)?;
                    }
                }
                self.target.set(&mut record, None, Value::Map(map));
            }
            Some(s) => {
                let original = util::into_struct(value, PURPOSE)?;
                let casts = &self.fields;
                let updated = self.cache.get_or(&s, |s| {
                    let mut b = util::struct_basics(s);
                    if s.optional {
                        b = b.optional();
                    }
                    for f in &s.fields {
                        b = match casts.iter().find(|(n, _)| *n == f.name) {
                            Some((_, to)) => {
                                b.field(f.name.clone(), cast_schema(&f.schema, *to, false)?)
                            }
                            None => b.field(f.name.clone(), f.schema.clone()),
                        };
                    }
                    util::build(b)
                })?;
                let mut values = Vec::with_capacity(updated.fields.len());
                for f in &original.schema().fields {
                    let v = util::field_value(&original, &f.name, self.replace_null);
                    values.push(match self.cast_for(&f.name) {
                        Some(to) => cast_value(&v, Some(&f.schema), to)?,
                        None => v,
                    });
                }
                let out = Struct::from_values(updated.clone(), values)?;
                self.target
                    .set(&mut record, Some(updated), Value::Struct(out));
            }
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;

    fn configured(spec: &str) -> Cast {
        let mut t = Cast::new(Target::Value);
        t.configure(&props(&[("spec", spec)])).unwrap();
        t
    }

    fn whole(spec: &str, schema: Option<Schema>, v: Value) -> ConnectRecord {
        apply(&mut configured(spec), source(schema.map(Arc::new), v))
    }

    #[test]
    fn config_errors() {
        for (spec, why) in [
            ("", "Must specify at least one field to cast."),
            (
                "foo:faketype",
                "Invalid type found in casting spec: faketype",
            ),
            ("foo:int8:extra", "Invalid cast mapping: foo:int8:extra"),
            ("int8,foo:int16", "may ony specify a single cast"),
            (
                "foo:array",
                "does not support casting to ARRAY; supported types are [INT8,",
            ),
        ] {
            let e = Cast::new(Target::Value)
                .configure(&props(&[("spec", spec)]))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("configuration spec") && e.contains(why),
                "{spec}: {e}"
            );
        }
    }

    #[test]
    fn whole_value_with_schema() {
        let out = whole("int8", Some(Schema::int32()), Value::Int32(42));
        assert_eq!(out.value_schema().unwrap().kind, SchemaType::Int8);
        assert_eq!(out.value(), &Value::Int8(42));
        assert_eq!(
            whole("int16", Some(Schema::float32()), Value::Float32(42.9)).value(),
            &Value::Int16(42)
        );
        assert_eq!(
            whole("boolean", Some(Schema::int32()), Value::Int32(42)).value(),
            &Value::Boolean(true)
        );
        assert_eq!(
            whole("boolean", Some(Schema::int32()), Value::Int32(0)).value(),
            &Value::Boolean(false)
        );
        assert_eq!(
            whole("float64", Some(Schema::boolean()), Value::Boolean(true)).value(),
            &Value::Float64(1.0)
        );
        assert_eq!(
            whole("string", Some(Schema::int32()), Value::Int32(42)).value(),
            &Value::from("42")
        );
        assert_eq!(
            whole("int64", Some(Schema::string()), Value::from("42")).value(),
            &Value::Int64(42)
        );
        assert_eq!(
            whole(
                "string",
                Some(Schema::bytes()),
                Value::Bytes(b"foo".to_vec())
            )
            .value(),
            &Value::from("Zm9v")
        );
        assert_eq!(
            whole("int64", Some(Timestamp::schema()), Value::Int64(1000)).value(),
            &Value::Int64(1000)
        );
        assert_eq!(
            whole(
                "string",
                Some(Timestamp::schema()),
                Value::Int64(1_483_425_001_864)
            )
            .value(),
            &Value::from("2017-01-03T06:30:01.864Z")
        );
        assert_eq!(
            whole(
                "float64",
                Some(Decimal::schema(2)),
                Decimal::from_i128(1234)
            )
            .value(),
            &Value::Float64(12.34)
        );
        let e = configured("int8")
            .apply(source(
                Some(Arc::new(Schema::bytes())),
                Value::Bytes(vec![1]),
            ))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("Unexpected type in Cast transformation: class [B"),
            "{e}"
        );
        let e = configured("int8")
            .apply(source(Some(Arc::new(Schema::string())), Value::from("300")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("Value (300) was out of range"), "{e}");
        assert_eq!(
            whole("int32", Some(Date::schema()), Value::Int32(17_169)).value(),
            &Value::Int32(17_169)
        );
    }

    #[test]
    fn whole_value_schemaless() {
        assert_eq!(
            whole("int32", None, Value::Int64(42)).value(),
            &Value::Int32(42)
        );
        assert_eq!(
            whole("string", None, Value::Float64(1.5)).value(),
            &Value::from("1.5")
        );
    }

    #[test]
    fn fields_with_schema() {
        let schema = SchemaBuilder::struct_()
            .field("int8", Schema::int8())
            .field(
                "int32",
                SchemaBuilder::int32().default_value(2).build().unwrap(),
            )
            .field("float64", Schema::float64())
            .field("optional", Schema::optional_float32())
            .field("string", Schema::string())
            .build_arc()
            .unwrap();
        let v = Struct::new(schema.clone())
            .with("int8", 8i8)
            .unwrap()
            .with("float64", -64.0)
            .unwrap()
            .with("string", "bogus")
            .unwrap();
        let mut t = configured("int8:int16,int32:string,float64:boolean,optional:int32");
        let out = apply(&mut t, source(Some(schema), Value::Struct(v)));
        let s = out.value().as_struct().unwrap();
        assert_eq!(s.get("int8"), Some(&Value::Int16(8)));
        assert_eq!(s.get("int32"), Some(&Value::from("2")));
        assert_eq!(s.get("float64"), Some(&Value::Boolean(true)));
        assert_eq!(s.get("optional"), Some(&Value::Null));
        assert_eq!(s.get("string"), Some(&Value::from("bogus")));
        let os = out.value_schema().unwrap();
        assert_eq!(
            os.field("int32").unwrap().schema.default,
            Some(Value::from("2"))
        );
        assert!(os.field("optional").unwrap().schema.optional);
    }

    #[test]
    fn fields_schemaless() {
        let mut t = configured("a:int16,b:string");
        let out = apply(
            &mut t,
            source(
                None,
                map(&[
                    ("a", Value::Int64(8)),
                    ("b", Value::Boolean(true)),
                    ("c", Value::Int32(1)),
                ]),
            ),
        );
        assert_eq!(
            out.value(),
            &map(&[
                ("a", Value::Int16(8)),
                ("b", Value::from("true")),
                ("c", Value::Int32(1)),
            ])
        );
    }
}
