//! The common schema of the elements of an array (or of the keys and values of a map) that
//! Kafka's `Values.parseString` reads, and the elements converted to it, as its `SchemaMerger`
//! and `Values.convertTo` do: numbers widen to the widest number type among them (INT8 < INT16 <
//! INT32 < INT64 < FLOAT32 < FLOAT64, the logical types by their physical type), values of one
//! type keep it, and anything else has no common schema (the array's schema then has no element
//! schema). A null element where there is a common schema, or a conversion Kafka refuses, makes
//! the whole array or map unreadable as one (it is then text).

use super::Invalid;
use crate::calendar::MILLIS_PER_DAY;
use crate::data::{Schema, SchemaType, Value};
use crate::dateformat::DateFormat;
use crate::logical::{Decimal, LogicalType};

/// A value as Java holds what `Values.parseString` gives, before it becomes a ferry [`Value`]:
/// dates, times and timestamps are all `java.util.Date` there, whatever their schema.
#[derive(Debug, Clone)]
pub enum Java {
    Boolean(bool),
    Byte(i8),
    Short(i16),
    Int(i32),
    Long(i64),
    Float(f32),
    Double(f64),
    String(String),
    /// Unscaled bytes and scale.
    BigDecimal(Vec<u8>, i32),
    /// A `java.util.Date`: milliseconds since the epoch.
    Date(i64),
    List(Vec<Option<Java>>),
    Map(Vec<(Java, Option<Java>)>),
}

impl Java {
    /// Java's `equals` (as map keys compare): the same class and value; floats by their bits,
    /// decimals with their scale.
    pub fn java_equals(&self, other: &Java) -> bool {
        match (self, other) {
            (Java::Boolean(a), Java::Boolean(b)) => a == b,
            (Java::Byte(a), Java::Byte(b)) => a == b,
            (Java::Short(a), Java::Short(b)) => a == b,
            (Java::Int(a), Java::Int(b)) => a == b,
            (Java::Long(a), Java::Long(b)) | (Java::Date(a), Java::Date(b)) => a == b,
            (Java::Float(a), Java::Float(b)) => a.to_bits() == b.to_bits(),
            (Java::Double(a), Java::Double(b)) => a.to_bits() == b.to_bits(),
            (Java::String(a), Java::String(b)) => a == b,
            (Java::BigDecimal(a, s), Java::BigDecimal(b, t)) => {
                s == t && Decimal::normalize(a) == Decimal::normalize(b)
            }
            (Java::List(a), Java::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
            }
            (Java::Map(a), Java::Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.iter().any(|(l, w)| k.java_equals(l) && same(v, w)))
            }
            _ => false,
        }
    }
}

fn same(a: &Option<Java>, b: &Option<Java>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.java_equals(b),
        _ => false,
    }
}

/// A value with its schema.
#[derive(Debug, Clone)]
pub struct Typed {
    pub schema: Schema,
    pub value: Java,
}

impl Typed {
    pub fn new(schema: Schema, value: Java) -> Self {
        Typed { schema, value }
    }
}

/// Kafka's `Values.SchemaMerger`: the schema common to the values seen so far.
#[derive(Debug)]
pub struct Merger {
    common: Option<Schema>,
    compatible: bool,
}

impl Default for Merger {
    fn default() -> Self {
        Merger {
            common: None,
            compatible: true,
        }
    }
}

impl Merger {
    /// Takes in a value (nulls do not count).
    pub fn merge(&mut self, latest: Option<&Typed>) {
        let Some(latest) = latest else { return };
        if !self.compatible {
            return;
        }
        self.common = match &self.common {
            None => Some(latest.schema.clone()),
            Some(common) => {
                let merged = merge(common, &latest.schema);
                self.compatible = merged.is_some();
                merged
            }
        };
    }

    pub fn common(&self) -> Option<Schema> {
        self.common.clone()
    }
}

/// `Values.mergeSchemas` for the (required) schemas of parsed values.
fn merge(previous: &Schema, new: &Schema) -> Option<Schema> {
    let rank = |kind: SchemaType| match kind {
        SchemaType::Int8 => Some(0),
        SchemaType::Int16 => Some(1),
        SchemaType::Int32 => Some(2),
        SchemaType::Int64 => Some(3),
        SchemaType::Float32 => Some(4),
        SchemaType::Float64 => Some(5),
        _ => None,
    };
    if previous.kind == new.kind {
        // Same type and both required: Kafka keeps the newer schema.
        return Some(new.clone());
    }
    let (p, n) = (rank(previous.kind)?, rank(new.kind)?);
    Some(if n > p { new.clone() } else { previous.clone() })
}

/// `Values.convertTo(schema, null, value)` for a required schema: a null is `Invalid`.
pub fn align(schema: &Schema, value: Option<Java>) -> Result<Option<Java>, Invalid> {
    let value = value.ok_or(Invalid)?;
    let logical = LogicalType::of(schema);
    Ok(Some(match (schema.kind, logical) {
        (SchemaType::Int8, _) => Java::Byte(as_long(&value)? as i8),
        (SchemaType::Int16, _) => Java::Short(as_long(&value)? as i16),
        (_, Some(LogicalType::Date)) => match value {
            Java::Date(_) => value,
            other => Java::Date(i64::from(as_long(&other)? as i32) * MILLIS_PER_DAY),
        },
        (_, Some(LogicalType::Time)) => match value {
            Java::Date(_) => value,
            other => {
                let millis = i64::from(as_long(&other)? as i32);
                if !(0..=MILLIS_PER_DAY).contains(&millis) {
                    return Err(Invalid);
                }
                Java::Date(millis)
            }
        },
        (_, Some(LogicalType::Timestamp)) => match value {
            Java::Date(_) => value,
            other => Java::Date(as_long(&other)?),
        },
        (SchemaType::Int32, _) => Java::Int(as_long(&value)? as i32),
        (SchemaType::Int64, _) => Java::Long(as_long(&value)?),
        (SchemaType::Float32, _) => Java::Float(as_double(&value)? as f32),
        (SchemaType::Float64, _) => Java::Double(as_double(&value)?),
        (SchemaType::Boolean, _) => match value {
            Java::Boolean(_) => value,
            other => Java::Boolean(as_long(&other)? != 0),
        },
        (_, Some(LogicalType::Decimal)) => match value {
            // ferry keeps a decimal at its schema's scale; Kafka keeps each at its own.
            Java::BigDecimal(unscaled, scale) => {
                let target = Decimal::scale(schema).map_err(|_| Invalid)?;
                if scale == target {
                    Java::BigDecimal(unscaled, scale)
                } else {
                    let text = Decimal::to_sci_string(&unscaled, scale);
                    Java::BigDecimal(Decimal::parse(&text, target).map_err(|_| Invalid)?, target)
                }
            }
            _ => return Err(Invalid),
        },
        (SchemaType::String, _) => match value {
            Java::String(_) => value,
            _ => return Err(Invalid),
        },
        (SchemaType::Array, _) => match value {
            Java::List(_) => value,
            _ => return Err(Invalid),
        },
        (SchemaType::Map, _) => match value {
            Java::Map(_) => value,
            _ => return Err(Invalid),
        },
        _ => return Err(Invalid),
    }))
}

/// Java's `Number.longValue`; other values are no numbers.
fn as_long(value: &Java) -> Result<i64, Invalid> {
    Ok(match value {
        Java::Byte(v) => i64::from(*v),
        Java::Short(v) => i64::from(*v),
        Java::Int(v) => i64::from(*v),
        Java::Long(v) => *v,
        Java::Float(v) => *v as i64,
        Java::Double(v) => *v as i64,
        _ => return Err(Invalid),
    })
}

/// Java's `Number.doubleValue`.
fn as_double(value: &Java) -> Result<f64, Invalid> {
    Ok(match value {
        Java::Float(v) => f64::from(*v),
        Java::Double(v) => *v,
        other => as_long(other)? as f64,
    })
}

/// The ferry value for a parsed value of the given schema (that of the element, for the items
/// of an array or map).
pub fn to_value(value: Java, schema: Option<&Schema>) -> Value {
    match value {
        Java::Boolean(b) => Value::Boolean(b),
        Java::Byte(v) => Value::Int8(v),
        Java::Short(v) => Value::Int16(v),
        Java::Int(v) => Value::Int32(v),
        Java::Long(v) => Value::Int64(v),
        Java::Float(v) => Value::Float32(v),
        Java::Double(v) => Value::Float64(v),
        Java::String(s) => Value::String(s),
        Java::BigDecimal(unscaled, _) => Value::Bytes(unscaled),
        Java::Date(millis) => match schema.and_then(LogicalType::of) {
            Some(LogicalType::Date) => {
                let days = millis.div_euclid(MILLIS_PER_DAY);
                Value::Int32(i32::try_from(days).unwrap_or(if days < 0 {
                    i32::MIN
                } else {
                    i32::MAX
                }))
            }
            Some(LogicalType::Time) => Value::Int32(
                i32::try_from(millis).unwrap_or(millis.rem_euclid(MILLIS_PER_DAY) as i32),
            ),
            Some(LogicalType::Timestamp) => Value::Int64(millis),
            // Among elements of other types, with no schema to say what it is: the text Kafka
            // writes it as (`Values.dateFormatFor`).
            _ => Value::String(date_text(millis)),
        },
        Java::List(items) => {
            let element = schema.and_then(|s| s.value_schema.as_deref());
            Value::Array(
                items
                    .into_iter()
                    .map(|item| item.map_or(Value::Null, |v| to_value(v, element)))
                    .collect(),
            )
        }
        Java::Map(entries) => {
            let key_schema = schema.and_then(|s| s.key_schema.as_deref());
            let value_schema = schema.and_then(|s| s.value_schema.as_deref());
            Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| {
                        (
                            to_value(k, key_schema),
                            v.map_or(Value::Null, |v| to_value(v, value_schema)),
                        )
                    })
                    .collect(),
            )
        }
    }
}

/// A `java.util.Date` as Kafka's `Values.dateFormatFor` writes it: a time before one day past
/// the epoch, a date at midnight, else a timestamp.
fn date_text(millis: i64) -> String {
    let pattern = if millis < MILLIS_PER_DAY {
        "HH:mm:ss.SSS'Z'"
    } else if millis % MILLIS_PER_DAY == 0 {
        "yyyy-MM-dd"
    } else {
        "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
    };
    DateFormat::new(pattern).map_or_else(|_| millis.to_string(), |f| f.format(millis))
}
