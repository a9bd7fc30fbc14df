//! Values as the database reads them in text: SQL literals for statements, and PostgreSQL's
//! COPY text format for bulk loads. The sink sends text rather than binding parameters: the
//! server then converts each value to whatever type the target column has (an existing table's
//! types need not be the ones ferry would choose), and a batch of thousands of rows costs one
//! round trip. Strings are quoted with `'` doubled, which is all quoting needs once the session
//! reads backslashes literally (PostgreSQL's `standard_conforming_strings`, MySQL's
//! `NO_BACKSLASH_ESCAPES`, both set at connect).

use std::borrow::Cow;
use std::fmt::Write as _;

use ferry_api::{Date, Decimal, Value};

use crate::types::Kind;
use crate::url::Dialect;

/// A value's text, before it is written for one target.
enum Text<'a> {
    Null,
    Int(i64),
    Float {
        value: f64,
        short: String,
    },
    Boolean(bool),
    /// Digits and signs that need no quotes (decimals).
    Plain(String),
    /// Text that is quoted in SQL (strings, dates, times).
    Quoted(Cow<'a, str>),
    Bytes(&'a [u8]),
    /// A bit string, most significant bit first.
    Bits(String),
}

fn text<'a>(dialect: Dialect, kind: Kind, value: &'a Value) -> Result<Text<'a>, String> {
    Ok(match (kind, value) {
        (_, Value::Null) => Text::Null,
        (Kind::Decimal(scale), Value::Bytes(b)) => Text::Plain(Decimal::to_plain_string(b, scale)),
        (Kind::VariableDecimal, Value::Struct(s)) => {
            let scale = s.get("scale").and_then(Value::as_i64).unwrap_or(0) as i32;
            match s.get("value").and_then(Value::as_bytes) {
                Some(b) => Text::Plain(Decimal::to_plain_string(b, scale)),
                None => Text::Null,
            }
        }
        (Kind::Date, v) => {
            let days = v.as_i64().ok_or_else(|| mismatch("a date", v))?;
            Text::Quoted(Cow::Owned(date(days)?))
        }
        (Kind::Time(unit), v) => {
            let t = v.as_i64().ok_or_else(|| mismatch("a time", v))?;
            Text::Quoted(Cow::Owned(time_of_day(t, unit)))
        }
        (Kind::Timestamp(unit), v) => {
            let t = v.as_i64().ok_or_else(|| mismatch("a timestamp", v))?;
            Text::Quoted(Cow::Owned(timestamp(t, unit)?))
        }
        (Kind::ZonedTimestamp, Value::String(s)) => match dialect {
            Dialect::Postgres => Text::Quoted(Cow::Borrowed(s)),
            // MySQL has no zoned type: the instant in UTC.
            Dialect::MySql => Text::Quoted(Cow::Owned(zoned_to_utc(s)?)),
        },
        (Kind::Bits(n), Value::Bytes(b)) => Text::Bits(
            (0..n as usize)
                .rev()
                .map(|i| {
                    if b.get(i / 8).is_some_and(|byte| byte >> (i % 8) & 1 == 1) {
                        '1'
                    } else {
                        '0'
                    }
                })
                .collect(),
        ),
        (_, Value::Int8(v)) => Text::Int(i64::from(*v)),
        (_, Value::Int16(v)) => Text::Int(i64::from(*v)),
        (_, Value::Int32(v)) => Text::Int(i64::from(*v)),
        (_, Value::Int64(v)) => Text::Int(*v),
        (_, Value::Float32(v)) => Text::Float {
            value: f64::from(*v),
            short: v.to_string(),
        },
        (_, Value::Float64(v)) => Text::Float {
            value: *v,
            short: v.to_string(),
        },
        (_, Value::Boolean(b)) => Text::Boolean(*b),
        (_, Value::String(s)) => {
            if s.contains('\0') {
                return Err(
                    "a text value holds a NUL character, which the database refuses".into(),
                );
            }
            Text::Quoted(Cow::Borrowed(s))
        }
        (_, Value::Bytes(b)) => Text::Bytes(b),
        (_, other) => {
            return Err(format!(
                "a {} value cannot be written to a column (flatten it first)",
                other.type_name()
            ))
        }
    })
}

/// Appends the SQL literal for `value` of kind `kind` to `out`.
pub fn push(out: &mut String, dialect: Dialect, kind: Kind, value: &Value) -> Result<(), String> {
    match text(dialect, kind, value)? {
        Text::Null => out.push_str("NULL"),
        Text::Int(v) => {
            let _ = write!(out, "{v}");
        }
        Text::Float { value, short } => {
            if value.is_finite() {
                out.push_str(&short);
            } else if dialect == Dialect::Postgres {
                let _ = write!(out, "'{}'", non_finite(value));
            } else {
                return Err(format!(
                    "MySQL cannot store the floating-point value {value}"
                ));
            }
        }
        Text::Boolean(b) => out.push_str(if b { "TRUE" } else { "FALSE" }),
        Text::Plain(p) => out.push_str(&p),
        Text::Quoted(q) => quoted(out, &q),
        Text::Bytes(b) => {
            out.push_str(match dialect {
                Dialect::Postgres => "'\\x",
                Dialect::MySql => "X'",
            });
            hex(out, b);
            out.push('\'');
        }
        Text::Bits(bits) => {
            out.push_str(match dialect {
                Dialect::Postgres => "B'",
                Dialect::MySql => "b'",
            });
            out.push_str(&bits);
            out.push('\'');
        }
    }
    Ok(())
}

/// Appends `value` in PostgreSQL's COPY text format (tab-separated fields, `\N` for NULL,
/// backslash escapes).
pub fn push_copy(out: &mut String, kind: Kind, value: &Value) -> Result<(), String> {
    match text(Dialect::Postgres, kind, value)? {
        Text::Null => out.push_str("\\N"),
        Text::Int(v) => {
            let _ = write!(out, "{v}");
        }
        Text::Float { value, short } => {
            if value.is_finite() {
                out.push_str(&short);
            } else {
                out.push_str(non_finite(value));
            }
        }
        Text::Boolean(b) => out.push(if b { 't' } else { 'f' }),
        Text::Plain(p) => out.push_str(&p),
        Text::Quoted(q) => {
            out.reserve(q.len());
            for c in q.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
        // bytea's hex input, its backslash escaped for COPY.
        Text::Bytes(b) => {
            out.push_str("\\\\x");
            hex(out, b);
        }
        Text::Bits(bits) => out.push_str(&bits),
    }
    Ok(())
}

fn non_finite(v: f64) -> &'static str {
    if v.is_nan() {
        "NaN"
    } else if v > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

fn mismatch(what: &str, v: &Value) -> String {
    format!("{what} must be a number, not a {}", v.type_name())
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

fn hex(out: &mut String, b: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(b.len() * 2);
    for byte in b {
        out.push(HEX[(byte >> 4) as usize] as char);
        out.push(HEX[(byte & 15) as usize] as char);
    }
}

/// `YYYY-MM-DD` of a day count.
fn date(days: i64) -> Result<String, String> {
    let days = i32::try_from(days)
        .map_err(|_| format!("the date {days} (days since 1970-01-01) is out of range"))?;
    let (y, m, d) = Date::to_ymd(days);
    if !(1..=9999).contains(&y) {
        return Err(format!(
            "the date {days} (days since 1970-01-01) is out of range"
        ));
    }
    Ok(format!("{y:04}-{m:02}-{d:02}"))
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
    let micros =
        i128::from(t.rem_euclid(units_per_second)) * 1_000_000 / i128::from(units_per_second);
    let day = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (y, m, d) = i32::try_from(day)
        .map(Date::to_ymd)
        .map_err(|_| format!("the timestamp {t} is out of range"))?;
    if !(1..=9999).contains(&y) {
        return Err(format!("the timestamp {t} is out of range"));
    }
    Ok(format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{micros:06}",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    ))
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
    fn copy_text_escapes_and_nulls() {
        let mut out = String::new();
        push_copy(&mut out, Kind::Text, &Value::String("a\tb\\c\nd".into())).expect("text");
        out.push('|');
        push_copy(&mut out, Kind::Bytes, &Value::Bytes(vec![1, 171])).expect("bytes");
        out.push('|');
        push_copy(&mut out, Kind::Boolean, &Value::Boolean(true)).expect("bool");
        out.push('|');
        push_copy(&mut out, Kind::Text, &Value::Null).expect("null");
        assert_eq!(out, "a\\tb\\\\c\\nd|\\\\x01ab|t|\\N");
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
