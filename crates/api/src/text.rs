//! Values as text, the way a Kafka Connect worker (a JVM) renders them.
//!
//! Converters must produce the same bytes Kafka does, and Kafka prints numbers with Java's
//! `Double.toString` / `Float.toString` (`1.0`, `1.0E10`, `1.0E-5`), not Rust's `{}`.

use std::fmt;
use std::fmt::Write as _;

use crate::data::{Schema, Value};
use crate::logical::{Decimal, LogicalType, Timestamp};

/// `f64` as Java's `Double.toString` (JDK 19 and later) writes it.
pub fn java_double_to_string(v: f64) -> String {
    let mut s = String::new();
    push_java_double(&mut s, v);
    s
}

/// `f32` as Java's `Float.toString` (JDK 19 and later) writes it.
pub fn java_float_to_string(v: f32) -> String {
    let mut s = String::new();
    push_java_float(&mut s, v);
    s
}

/// Appends `v` as Java's `Double.toString` writes it.
pub fn push_java_double(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if v.is_sign_negative() {
        out.push('-');
    }
    let a = v.abs();
    if a == 0.0 {
        out.push_str("0.0");
        return;
    }
    let mut sci = format!("{a:e}");
    if a < f64::MIN_POSITIVE {
        // Java picks the closest of the decimals with 2 digits when 1 digit would do (subnormals).
        let two = format!("{a:.1e}");
        if two.parse::<f64>().ok() == Some(a) && digit_count(&sci) == 1 {
            sci = two;
        }
    }
    push_java_digits(out, &sci);
}

/// Appends `v` as Java's `Float.toString` writes it.
pub fn push_java_float(out: &mut String, v: f32) {
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if v.is_sign_negative() {
        out.push('-');
    }
    let a = v.abs();
    if a == 0.0 {
        out.push_str("0.0");
        return;
    }
    let mut sci = format!("{a:e}");
    if a < f32::MIN_POSITIVE {
        let two = format!("{a:.1e}");
        if two.parse::<f32>().ok() == Some(a) && digit_count(&sci) == 1 {
            sci = two;
        }
    }
    push_java_digits(out, &sci);
}

fn digit_count(sci: &str) -> usize {
    sci.split('e')
        .next()
        .map_or(0, |m| m.bytes().filter(u8::is_ascii_digit).count())
}

/// Lays out Rust's shortest `d.ddde±x` form in Java's notation: plain for 10^-3 <= |v| < 10^7,
/// `d.dddE±x` otherwise, always with at least one digit after the point.
fn push_java_digits(out: &mut String, sci: &str) {
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    if (-3..7).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        out.push('E');
        let _ = write!(out, "{exp}");
    }
}

impl Value {
    /// The text Java's `toString()` gives for this value in Kafka Connect (what `StringConverter`
    /// writes): `12`, `1.0E10`, `[1, 2]`, `{a=1, b=2}`, `Struct{id=1,name=a}`, a Decimal as
    /// `BigDecimal.toString`, a Date/Time/Timestamp as `java.util.Date.toString` in UTC.
    /// Bytes, which Java would print as an object address, are written in base64.
    pub fn to_java_string(&self, schema: Option<&Schema>) -> String {
        let mut out = String::new();
        push_java_string(&mut out, self, schema);
        out
    }
}

/// Appends the Java `toString()` rendering of `value` (see [`Value::to_java_string`]).
pub fn push_java_string(out: &mut String, value: &Value, schema: Option<&Schema>) {
    let logical = schema.and_then(LogicalType::of);
    match value {
        Value::Null => out.push_str("null"),
        Value::Int8(v) => {
            let _ = write!(out, "{v}");
        }
        Value::Int16(v) => {
            let _ = write!(out, "{v}");
        }
        Value::Int32(v) => match logical {
            Some(LogicalType::Date) => {
                out.push_str(&Timestamp::format_java(i64::from(*v) * 86_400_000))
            }
            Some(LogicalType::Time) => out.push_str(&Timestamp::format_java(i64::from(*v))),
            _ => {
                let _ = write!(out, "{v}");
            }
        },
        Value::Int64(v) => match logical {
            Some(LogicalType::Timestamp) => out.push_str(&Timestamp::format_java(*v)),
            _ => {
                let _ = write!(out, "{v}");
            }
        },
        Value::Float32(v) => push_java_float(out, *v),
        Value::Float64(v) => push_java_double(out, *v),
        Value::Boolean(v) => out.push_str(if *v { "true" } else { "false" }),
        Value::String(s) => out.push_str(s),
        Value::Bytes(b) => match (logical, schema) {
            (Some(LogicalType::Decimal), Some(s)) => match Decimal::scale(s) {
                Ok(scale) => out.push_str(&Decimal::to_sci_string(b, scale)),
                Err(_) => push_base64(out, b),
            },
            _ => push_base64(out, b),
        },
        Value::Array(items) => {
            let elem = schema.and_then(|s| s.value_schema.as_deref());
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_java_string(out, item, elem);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let ks = schema.and_then(|s| s.key_schema.as_deref());
            let vs = schema.and_then(|s| s.value_schema.as_deref());
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_java_string(out, k, ks);
                out.push('=');
                push_java_string(out, v, vs);
            }
            out.push('}');
        }
        Value::Struct(s) => {
            out.push_str("Struct{");
            let mut first = true;
            for (field, v) in s.iter() {
                if v.is_null() {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&field.name);
                out.push('=');
                push_java_string(out, v, Some(&field.schema));
            }
            out.push('}');
        }
    }
}

fn push_base64(out: &mut String, bytes: &[u8]) {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode_string(bytes, out);
}

/// Java's `toString()` rendering without schema information.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_java_string(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{SchemaBuilder, Struct};
    use crate::logical::{Date, Time};
    use std::sync::Arc;

    #[test]
    fn doubles_like_java() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (12.34, "12.34"),
            (-12.34, "-12.34"),
            (100.0, "100.0"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1234567.0, "1234567.0"),
            (1.0e7, "1.0E7"),
            (12345678.9, "1.23456789E7"),
            (1.0e-5, "1.0E-5"),
            (1.5e300, "1.5E300"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (5e-324, "4.9E-324"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (4398046511104.0, "4.398046511104E12"),
        ];
        for (v, s) in cases {
            assert_eq!(java_double_to_string(*v), *s, "{v:e}");
        }
    }

    #[test]
    fn floats_like_java() {
        let cases: &[(f32, &str)] = &[
            (12.34, "12.34"),
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1.0e10, "1.0E10"),
            (3.4028235e38, "3.4028235E38"),
            (1.4e-45, "1.4E-45"),
            (-2.5e-4, "-2.5E-4"),
        ];
        for (v, s) in cases {
            assert_eq!(java_float_to_string(*v), *s, "{v:e}");
        }
    }

    #[test]
    fn values_like_java_to_string() {
        assert_eq!(Value::Int32(12).to_string(), "12");
        assert_eq!(Value::Float64(1e10).to_string(), "1.0E10");
        assert_eq!(Value::Boolean(true).to_string(), "true");
        assert_eq!(Value::Null.to_string(), "null");
        assert_eq!(
            Value::Array(vec![Value::Int32(1), "a".into()]).to_string(),
            "[1, a]"
        );
        assert_eq!(
            Value::Map(vec![
                ("a".into(), Value::Int32(1)),
                ("b".into(), Value::Null)
            ])
            .to_string(),
            "{a=1, b=null}"
        );
        let schema = Arc::new(
            SchemaBuilder::struct_()
                .field("id", crate::data::Schema::int32())
                .field("name", crate::data::Schema::optional_string())
                .field("x", crate::data::Schema::optional_string())
                .build()
                .unwrap(),
        );
        let s = Struct::new(schema)
            .with("id", 1)
            .unwrap()
            .with("name", "a")
            .unwrap();
        assert_eq!(Value::Struct(s).to_string(), "Struct{id=1,name=a}");
    }

    #[test]
    fn logical_values_like_java_to_string() {
        let d = Decimal::from_i128(12345);
        assert_eq!(d.to_java_string(Some(&Decimal::schema(2))), "123.45");
        assert_eq!(
            Value::Int32(0).to_java_string(Some(&Date::schema())),
            "Thu Jan 01 00:00:00 UTC 1970"
        );
        assert_eq!(
            Value::Int32(14_400_000).to_java_string(Some(&Time::schema())),
            "Thu Jan 01 04:00:00 UTC 1970"
        );
        assert_eq!(
            Value::Int64(0).to_java_string(Some(&Timestamp::schema())),
            "Thu Jan 01 00:00:00 UTC 1970"
        );
    }
}
