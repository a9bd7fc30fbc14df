//! `org.apache.kafka.connect.transforms.TimestampConverter`: converts a timestamp (the whole key
//! or value, or one `field` of it) between a formatted string, a Unix number (`unix.precision`),
//! and the Date, Time and Timestamp logical types.

use std::sync::Arc;

use ferry_api::config::ConfigValue;
use ferry_api::data::{Schema, SchemaType, Struct, Value};
use ferry_api::dateformat::DateFormat;
use ferry_api::logical::{Date, LogicalType, Time, Timestamp};
use ferry_api::{
    ConfigDef, ConfigType, ConnectError, ConnectRecord, Importance, Props, Result, Transformation,
};

use crate::util::{self, SchemaCache, Target};

const FIELD: &str = "field";
const TARGET_TYPE: &str = "target.type";
const FORMAT: &str = "format";
const UNIX_PRECISION: &str = "unix.precision";
const PURPOSE: &str = "converting timestamp formats";
const MILLIS_PER_DAY: i64 = 86_400_000;

pub fn config_def() -> ConfigDef {
    let def = ConfigDef::new()
        .optional(
            FIELD,
            ConfigType::String,
            Some(""),
            Importance::High,
            "The field containing the timestamp, or empty if the entire value is a timestamp",
        )
        .required(
            TARGET_TYPE,
            ConfigType::String,
            Importance::High,
            "The desired timestamp representation: string, unix, Date, Time, or Timestamp",
        )
        .validate_with(Arc::new(|v| match v {
            ConfigValue::String(s)
                if !["string", "unix", "Date", "Time", "Timestamp"].contains(&s.as_str()) =>
            {
                Err("String must be one of: string, unix, Date, Time, Timestamp".into())
            }
            _ => Ok(()),
        }))
        .optional(
            FORMAT,
            ConfigType::String,
            Some(""),
            Importance::Medium,
            "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output \
             when type=string or used to parse the input if the input is a string.",
        )
        .optional(
            UNIX_PRECISION,
            ConfigType::String,
            Some("milliseconds"),
            Importance::Low,
            "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, \
             or nanoseconds. Used to generate the output when type=unix or used to parse the \
             input if the input is a Long.",
        )
        .validate_with(Arc::new(|v| match v {
            ConfigValue::String(s)
                if !["seconds", "milliseconds", "microseconds", "nanoseconds"]
                    .contains(&s.as_str()) =>
            {
                Err(
                    "String must be one of: seconds, milliseconds, microseconds, nanoseconds"
                        .into(),
                )
            }
            _ => Ok(()),
        }));
    util::with_replace_null(def)
}

/// A timestamp representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Unix,
    Date,
    Time,
    Timestamp,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "string" => Kind::String,
            "unix" => Kind::Unix,
            "Date" => Kind::Date,
            "Time" => Kind::Time,
            "Timestamp" => Kind::Timestamp,
            _ => return None,
        })
    }

    fn schema(self, optional: bool) -> Schema {
        let s = match self {
            Kind::String => Schema::string(),
            Kind::Unix => Schema::int64(),
            Kind::Date => Date::schema(),
            Kind::Time => Time::schema(),
            Kind::Timestamp => Timestamp::schema(),
        };
        if optional {
            s.optional()
        } else {
            s
        }
    }

    /// The representation a schema declares.
    fn of_schema(schema: &Schema) -> Result<Kind> {
        Ok(match (LogicalType::of(schema), schema.kind) {
            (Some(LogicalType::Timestamp), _) => Kind::Timestamp,
            (Some(LogicalType::Date), _) => Kind::Date,
            (Some(LogicalType::Time), _) => Kind::Time,
            (None, SchemaType::Int64) => Kind::Unix,
            (None, SchemaType::String) => Kind::String,
            _ => {
                return Err(ConnectError::Data(format!(
                    "Schema {} does not correspond to a known timestamp type format",
                    schema.describe()
                )))
            }
        })
    }

    /// The representation of a schemaless value.
    fn of_value(value: &Value) -> Result<Kind> {
        match value {
            Value::Int64(_) => Ok(Kind::Unix),
            Value::String(_) => Ok(Kind::String),
            other => Err(ConnectError::Data(format!(
                "TimestampConverter does not support {} objects as timestamps",
                util::java_class(other)
            ))),
        }
    }
}

pub struct TimestampConverter {
    target: Target,
    field: String,
    to: Kind,
    format: Option<(String, DateFormat)>,
    precision: String,
    replace_null: bool,
    cache: SchemaCache,
}

impl TimestampConverter {
    pub fn new(target: Target) -> Self {
        TimestampConverter {
            target,
            field: String::new(),
            to: Kind::Timestamp,
            format: None,
            precision: "milliseconds".into(),
            replace_null: true,
            cache: SchemaCache::default(),
        }
    }

    /// Milliseconds since the epoch for a value of the given representation.
    fn to_millis(&self, kind: Kind, value: &Value) -> Result<i64> {
        let bad = || {
            ConnectError::Data(format!(
                "Expected a {kind:?} timestamp but found {}",
                util::java_class(value)
            ))
        };
        Ok(match kind {
            Kind::String => {
                let s = value.as_str().ok_or_else(bad)?;
                let (pattern, f) = self.format.as_ref().ok_or_else(|| {
                    ConnectError::Data(
                        "TimestampConverter requires format option to be specified when using \
                         string timestamps"
                            .into(),
                    )
                })?;
                f.parse(s).map_err(|_| {
                    ConnectError::Data(format!(
                        "Could not parse timestamp: value ({s}) does not match pattern ({pattern})"
                    ))
                })?
            }
            Kind::Unix => {
                let n = value.as_i64().ok_or_else(bad)?;
                match self.precision.as_str() {
                    "seconds" => n.saturating_mul(1000),
                    "microseconds" => n / 1000,
                    "nanoseconds" => n / 1_000_000,
                    _ => n,
                }
            }
            Kind::Date => {
                i64::from(i32::try_from(value.as_i64().ok_or_else(bad)?).map_err(|_| bad())?)
                    .saturating_mul(MILLIS_PER_DAY)
            }
            Kind::Time | Kind::Timestamp => value.as_i64().ok_or_else(bad)?,
        })
    }

    fn render_millis(&self, millis: i64) -> Value {
        match self.to {
            Kind::String => Value::String(
                self.format
                    .as_ref()
                    .map(|(_, f)| f.format(millis))
                    .unwrap_or_default(),
            ),
            Kind::Unix => Value::Int64(match self.precision.as_str() {
                "seconds" => millis / 1000,
                "microseconds" => millis.saturating_mul(1000),
                "nanoseconds" => millis.saturating_mul(1_000_000),
                _ => millis,
            }),
            Kind::Date => Value::Int32(millis.div_euclid(MILLIS_PER_DAY) as i32),
            Kind::Time => Value::Int32(millis.rem_euclid(MILLIS_PER_DAY) as i32),
            Kind::Timestamp => Value::Int64(millis),
        }
    }

    fn convert(&self, kind: Kind, value: &Value) -> Result<Value> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        Ok(self.render_millis(self.to_millis(kind, value)?))
    }
}

impl Transformation for TimestampConverter {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&config_def(), props)?;
        self.field = c.string(FIELD).unwrap_or_default().to_string();
        self.to = c
            .string(TARGET_TYPE)
            .and_then(Kind::parse)
            .unwrap_or(Kind::Timestamp);
        let pattern = c.string(FORMAT).unwrap_or_default();
        self.format = if pattern.is_empty() {
            None
        } else {
            let f = DateFormat::new(pattern).map_err(|why| {
                util::invalid(
                    FORMAT,
                    pattern,
                    &format!(
                        "TimestampConverter requires a SimpleDateFormat-compatible pattern for \
                         string timestamps: {why}"
                    ),
                )
            })?;
            Some((pattern.to_string(), f))
        };
        if self.to == Kind::String && self.format.is_none() {
            return Err(ConnectError::Config(
                "TimestampConverter requires format option to be specified when using string \
                 timestamps"
                    .into(),
            ));
        }
        self.precision = c
            .string(UNIX_PRECISION)
            .unwrap_or("milliseconds")
            .to_string();
        self.replace_null = c.boolean(util::REPLACE_NULL_WITH_DEFAULT).unwrap_or(true);
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>> {
        let schema = self.target.schema(&record).cloned();
        let (_, value) = self.target.take(&mut record);
        match (schema, self.field.is_empty()) {
            (None, true) => {
                let out = if value.is_null() {
                    Value::Null
                } else {
                    self.convert(Kind::of_value(&value)?, &value)?
                };
                self.target.set(&mut record, None, out);
            }
            (None, false) => {
                if value.is_null() {
                    self.target.set(&mut record, None, value);
                    return Ok(Some(record));
                }
                let mut map = util::into_map(value, PURPOSE)?;
                if let Some(v) = util::map_get(&map, &self.field).cloned() {
                    let out = if v.is_null() {
                        Value::Null
                    } else {
                        self.convert(Kind::of_value(&v)?, &v)?
                    };
                    util::map_put(&mut map, &self.field, out);
                }
                self.target.set(&mut record, None, Value::Map(map));
            }
            (Some(schema), true) => {
                let kind = Kind::of_schema(&schema)?;
                let out = self.convert(kind, &value)?;
                let out_schema = Arc::new(self.to.schema(schema.optional));
                self.target.set(&mut record, Some(out_schema), out);
            }
            (Some(schema), false) => {
                let (field, to) = (&self.field, self.to);
                let updated = self.cache.get_or(&schema, |s| {
                    let mut b = util::struct_basics(s);
                    if s.optional {
                        b = b.optional();
                    }
                    for f in &s.fields {
                        b = if f.name == *field {
                            b.field(f.name.clone(), to.schema(f.schema.optional))
                        } else {
                            b.field(f.name.clone(), f.schema.clone())
                        };
                    }
                    util::build(b)
                })?;
                if value.is_null() {
                    self.target.set(&mut record, Some(updated), Value::Null);
                    return Ok(Some(record));
                }
                let original = util::into_struct(value, PURPOSE)?;
                let mut values = Vec::with_capacity(updated.fields.len());
                for f in &original.schema().fields {
                    let v = util::field_value(&original, &f.name, self.replace_null);
                    values.push(if f.name == self.field {
                        self.convert(Kind::of_schema(&f.schema)?, &v)?
                    } else {
                        v
                    });
                }
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
    use ferry_api::data::SchemaBuilder;

    const DATE_PLUS_TIME: i64 = 1_483_425_001_864; // 2017-01-03T06:30:01.864Z
    const DATE: i32 = 17_169; // 2017-01-03
    const TIME: i32 = 23_401_864; // 06:30:01.864
    const FORMAT: &str = "yyyy MM dd HH mm ss SSS z";
    const STRING: &str = "2017 01 03 06 30 01 864 UTC";

    fn configured(pairs: &[(&str, &str)]) -> TimestampConverter {
        let mut t = TimestampConverter::new(Target::Value);
        t.configure(&props(pairs)).unwrap();
        t
    }

    fn convert(pairs: &[(&str, &str)], schema: Option<Schema>, v: Value) -> ConnectRecord {
        apply(&mut configured(pairs), source(schema.map(Arc::new), v))
    }

    #[test]
    fn schemaless_conversions() {
        let out = convert(
            &[("target.type", "string"), ("format", FORMAT)],
            None,
            Value::Int64(DATE_PLUS_TIME),
        );
        assert_eq!(out.value(), &Value::from(STRING));
        let out = convert(
            &[("target.type", "unix"), ("format", FORMAT)],
            None,
            Value::from(STRING),
        );
        assert_eq!(out.value(), &Value::Int64(DATE_PLUS_TIME));
        let out = convert(
            &[("target.type", "Date")],
            None,
            Value::Int64(DATE_PLUS_TIME),
        );
        assert_eq!(out.value(), &Value::Int32(DATE));
        let out = convert(
            &[("target.type", "Time")],
            None,
            Value::Int64(DATE_PLUS_TIME),
        );
        assert_eq!(out.value(), &Value::Int32(TIME));
        // the precision applies to a Unix input too
        let out = convert(
            &[("target.type", "Timestamp"), ("unix.precision", "seconds")],
            None,
            Value::Int64(DATE_PLUS_TIME / 1000),
        );
        assert_eq!(out.value(), &Value::Int64(DATE_PLUS_TIME / 1000 * 1000));
    }

    #[test]
    fn with_schema_conversions() {
        let out = convert(
            &[("target.type", "Timestamp")],
            Some(Schema::int64()),
            Value::Int64(DATE_PLUS_TIME),
        );
        assert!(out
            .value_schema()
            .unwrap()
            .has_name(Timestamp::LOGICAL_NAME));
        assert_eq!(out.value(), &Value::Int64(DATE_PLUS_TIME));
        let out = convert(
            &[("target.type", "string"), ("format", FORMAT)],
            Some(Timestamp::schema()),
            Value::Int64(DATE_PLUS_TIME),
        );
        assert_eq!(out.value_schema().unwrap().kind, SchemaType::String);
        assert_eq!(out.value(), &Value::from(STRING));
        let out = convert(
            &[("target.type", "Timestamp")],
            Some(Date::schema()),
            Value::Int32(DATE),
        );
        assert_eq!(out.value(), &Value::Int64(i64::from(DATE) * MILLIS_PER_DAY));
        let out = convert(
            &[("target.type", "unix"), ("unix.precision", "microseconds")],
            Some(Timestamp::schema()),
            Value::Int64(DATE_PLUS_TIME),
        );
        assert_eq!(out.value(), &Value::Int64(DATE_PLUS_TIME * 1000));
    }

    #[test]
    fn a_field_of_a_struct_and_a_map() {
        let schema = SchemaBuilder::struct_()
            .field("ts", Schema::int64())
            .field("other", Schema::string())
            .build_arc()
            .unwrap();
        let v = Struct::new(schema.clone())
            .with("ts", DATE_PLUS_TIME)
            .unwrap()
            .with("other", "test")
            .unwrap();
        let mut t = configured(&[("target.type", "Date"), ("field", "ts")]);
        let out = apply(&mut t, source(Some(schema), Value::Struct(v)));
        let s = out.value().as_struct().unwrap();
        assert!(s
            .schema()
            .field("ts")
            .unwrap()
            .schema
            .has_name(Date::LOGICAL_NAME));
        assert_eq!(s.get("ts"), Some(&Value::Int32(DATE)));
        assert_eq!(s.get("other"), Some(&Value::from("test")));
        let out = apply(
            &mut t,
            source(None, map(&[("ts", Value::Int64(DATE_PLUS_TIME))])),
        );
        assert_eq!(out.value(), &map(&[("ts", Value::Int32(DATE))]));
    }

    #[test]
    fn config_errors() {
        let e = TimestampConverter::new(Target::Value)
            .configure(&props(&[("target.type", "string")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("requires format option"), "{e}");
        let e = TimestampConverter::new(Target::Value)
            .configure(&props(&[("target.type", "week")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("Invalid value week for configuration target.type"),
            "{e}"
        );
        let e = TimestampConverter::new(Target::Value)
            .configure(&props(&[
                ("target.type", "unix"),
                ("format", "bad-pattern-q"),
            ]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("configuration format"), "{e}");
        let mut t = configured(&[("target.type", "unix"), ("format", "yyyy")]);
        let e = t
            .apply(source(None, Value::from("x")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not match pattern (yyyy)"), "{e}");
    }
}
