//! Values written as SQL literals. The sink sends each batch as one statement text rather than
//! binding parameters: the server then converts a literal to whatever type the target column
//! has (an existing table's types need not be the ones ferry would choose), and a batch of
//! thousands of rows costs one round trip. Strings are quoted with `'` doubled, which is all
//! quoting needs once the session reads backslashes literally (PostgreSQL's
//! `standard_conforming_strings`, MySQL's `NO_BACKSLASH_ESCAPES`, both set at connect).

use std::fmt::Write as _;

use ferry_api::{Decimal, Value};

use crate::types::Kind;
use crate::url::Dialect;

/// Appends the literal for `value` of kind `kind` to `out`.
pub fn push(out: &mut String, dialect: Dialect, kind: Kind, value: &Value) -> Result<(), String> {
    match (kind, value) {
        (_, Value::Null) => out.push_str("NULL"),
        (Kind::Decimal(scale), Value::Bytes(b)) => {
            out.push_str(&Decimal::to_plain_string(b, scale))
        }
        (Kind::VariableDecimal, Value::Struct(s)) => {
            let scale = s.get("scale").and_then(Value::as_i64).unwrap_or(0) as i32;
            match s.get("value").and_then(Value::as_bytes) {
                Some(b) => out.push_str(&Decimal::to_plain_string(b, scale)),
                None => out.push_str("NULL"),
            }
        }
        (Kind::Date, v) => {
            let days = v.as_i64().ok_or_else(|| mismatch("a date", v))?;
            quoted(out, &date(days)?);
        }
        (Kind::Time(unit), v) => {
            let t = v.as_i64().ok_or_else(|| mismatch("a time", v))?;
            quoted(out, &time_of_day(t, unit));
        }
        (Kind::Timestamp(unit), v) => {
            let t = v.as_i64().ok_or_else(|| mismatch("a timestamp", v))?;
            quoted(out, &timestamp(t, unit)?);
        }
        (Kind::ZonedTimestamp, Value::String(s)) => match dialect {
            Dialect::Postgres => quoted(out, s),
            // MySQL has no zoned type: the instant in UTC.
            Dialect::MySql => quoted(out, &zoned_to_utc(s)?),
        },
        (Kind::Bits(n), Value::Bytes(b)) => {
            out.push_str(match dialect {
                Dialect::Postgres => "B'",
                Dialect::MySql => "b'",
            });
            for i in (0..n as usize).rev() {
                let bit = b.get(i / 8).is_some_and(|byte| byte >> (i % 8) & 1 == 1);
                out.push(if bit { '1' } else { '0' });
            }
            out.push('\'');
        }
        (_, Value::Int8(v)) => write_display(out, v),
        (_, Value::Int16(v)) => write_display(out, v),
        (_, Value::Int32(v)) => write_display(out, v),
        (_, Value::Int64(v)) => write_display(out, v),
        (_, Value::Float32(v)) => {
            float(out, dialect, f64::from(*v), &v.to_string(), v.is_finite())?
        }
        (_, Value::Float64(v)) => float(out, dialect, *v, &v.to_string(), v.is_finite())?,
        (_, Value::Boolean(b)) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        (_, Value::String(s)) => {
            if s.contains('\0') {
                return Err(
                    "a text value holds a NUL character, which the database refuses".into(),
                );
            }
            quoted(out, s)
        }
        (_, Value::Bytes(b)) => bytes(out, dialect, b),
        (_, other) => {
            return Err(format!(
                "a {} value cannot be written to a column (flatten it first)",
                other.type_name()
            ))
        }
    }
    Ok(())
}

fn mismatch(what: &str, v: &Value) -> String {
    format!("{what} must be a number, not a {}", v.type_name())
}

fn write_display(out: &mut String, v: impl std::fmt::Display) {
    let _ = write!(out, "{v}");
}

fn float(
    out: &mut String,
    dialect: Dialect,
    v: f64,
    text: &str,
    finite: bool,
) -> Result<(), String> {
    if finite {
        out.push_str(text);
        return Ok(());
    }
    match dialect {
        Dialect::Postgres => {
            let word = if v.is_nan() {
                "NaN"
            } else if v > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            };
            let _ = write!(out, "'{word}'");
            Ok(())
        }
        Dialect::MySql => Err(format!("MySQL cannot store the floating-point value {v}")),
    }
}

fn quoted(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
}

fn bytes(out: &mut String, dialect: Dialect, b: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(b.len() * 2 + 4);
    out.push_str(match dialect {
        Dialect::Postgres => "'\\x",
        Dialect::MySql => "X'",
    });
    for byte in b {
        out.push(HEX[(byte >> 4) as usize] as char);
        out.push(HEX[(byte & 15) as usize] as char);
    }
    out.push('\'');
}

/// `YYYY-MM-DD` of a day count.
fn date(days: i64) -> Result<String, String> {
    let date = chrono::NaiveDate::from_num_days_from_ce_opt((days + 719_163) as i32)
        .ok_or_else(|| format!("the date {days} (days since 1970-01-01) is out of range"))?;
    Ok(date.format("%Y-%m-%d").to_string())
}

/// `HH:MM:SS.ffffff` of a time of day; hours may pass 24 and the time may be negative (MySQL's
/// TIME holds both).
fn time_of_day(t: i64, units_per_second: i64) -> String {
    let negative = t < 0;
    let t = i128::from(t).abs();
    let unit = i128::from(units_per_second);
    let seconds = t / unit;
    let micros = (t % unit) * 1_000_000 / unit;
    format!(
        "{}{:02}:{:02}:{:02}.{:06}",
        if negative { "-" } else { "" },
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        micros
    )
}

/// `YYYY-MM-DD HH:MM:SS.ffffff` of a zone-less instant since the epoch.
fn timestamp(t: i64, units_per_second: i64) -> Result<String, String> {
    let secs = t.div_euclid(units_per_second);
    let nanos = (i128::from(t.rem_euclid(units_per_second)) * 1_000_000_000
        / i128::from(units_per_second)) as u32;
    let at = chrono::DateTime::from_timestamp(secs, nanos)
        .ok_or_else(|| format!("the timestamp {t} is out of range"))?;
    Ok(at.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string())
}

fn zoned_to_utc(text: &str) -> Result<String, String> {
    let at = chrono::DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("the zoned timestamp {text:?} is not ISO-8601: {e}"))?;
    Ok(at
        .with_timezone(&chrono::Utc)
        .naive_utc()
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string())
}

/// A value as a literal, for keys of the reduction buffer and tests.
pub fn render(dialect: Dialect, kind: Kind, value: &Value) -> Result<String, String> {
    let mut out = String::new();
    push(&mut out, dialect, kind, value)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_quoted_by_doubling_quotes_only() {
        let v = Value::String("it's a \\ test".into());
        assert_eq!(
            render(Dialect::Postgres, Kind::Text, &v),
            Ok("'it''s a \\ test'".into())
        );
        assert!(render(Dialect::MySql, Kind::Text, &Value::String("a\0b".into())).is_err());
    }

    #[test]
    fn times_and_dates() {
        assert_eq!(
            render(Dialect::Postgres, Kind::Date, &Value::Int32(-354_285)),
            Ok("'1000-01-01'".into())
        );
        assert_eq!(
            render(
                Dialect::Postgres,
                Kind::Timestamp(1_000_000),
                &Value::Int64(1_709_210_096_123_456)
            ),
            Ok("'2024-02-29 12:34:56.123456'".into())
        );
        assert_eq!(
            render(Dialect::MySql, Kind::Timestamp(1_000), &Value::Int64(-1)),
            Ok("'1969-12-31 23:59:59.999000'".into())
        );
        assert_eq!(
            render(
                Dialect::MySql,
                Kind::Time(1_000_000),
                &Value::Int64(-3_020_399_000_000)
            ),
            Ok("'-838:59:59.000000'".into())
        );
        assert_eq!(
            render(
                Dialect::MySql,
                Kind::ZonedTimestamp,
                &Value::String("2024-02-29T13:34:56.5+01:00".into())
            ),
            Ok("'2024-02-29 12:34:56.500000'".into())
        );
    }

    #[test]
    fn numbers_bytes_and_bits() {
        let d = Value::Bytes(Decimal::unscaled_bytes(1_234_567));
        assert_eq!(
            render(Dialect::MySql, Kind::Decimal(2), &d),
            Ok("12345.67".into())
        );
        assert_eq!(
            render(Dialect::Postgres, Kind::Float64, &Value::Float64(f64::NAN)),
            Ok("'NaN'".into())
        );
        assert_eq!(
            render(Dialect::Postgres, Kind::Bytes, &Value::Bytes(vec![0, 255])),
            Ok("'\\x00ff'".into())
        );
        assert_eq!(
            render(Dialect::MySql, Kind::Bytes, &Value::Bytes(vec![0, 255])),
            Ok("X'00ff'".into())
        );
        // b'1010101010' arrives little-endian as 0xAA 0x02.
        assert_eq!(
            render(
                Dialect::Postgres,
                Kind::Bits(10),
                &Value::Bytes(vec![0xAA, 0x02])
            ),
            Ok("B'1010101010'".into())
        );
    }
}
