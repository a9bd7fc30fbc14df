//! A column's value, as the snapshot's queries (binary protocol) or the binlog give it, turned
//! into the Connect value Debezium's events carry.

use chrono::{Datelike, Timelike};
use ferry_api::{ConnectError, Result, Value};
use mysql_async::Value as My;

use crate::config::BinaryMode;
use crate::schema::Repr;
use crate::table::Column;

/// Where a value was read: the two give some types differently (ENUM is its text in a query, its
/// index in the binlog; SET its text or a bit mask; TIMESTAMP a UTC date or epoch seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Query,
    Binlog,
}

fn bad(column: &Column, value: &My) -> ConnectError {
    ConnectError::Data(format!(
        "column {} ({}): cannot represent {value:?}",
        column.name, column.column_type
    ))
}

/// The value as a signed or unsigned integer, with the binlog's signed reading of an unsigned
/// column undone.
fn integer(column: &Column, value: &My) -> Option<i128> {
    let raw = match value {
        My::Int(i) => *i as i128,
        My::UInt(u) => *u as i128,
        My::Bytes(b) => std::str::from_utf8(b).ok()?.trim().parse().ok()?,
        My::Float(f) => *f as i128,
        My::Double(d) => *d as i128,
        _ => return None,
    };
    // The binlog decoder may read a column's bytes with the other signedness (unsigned columns
    // always, a signed MEDIUMINT's lowest value too): the declared width and sign decide.
    let Some(bits) = integer_bits(&column.data_type) else {
        return Some(raw);
    };
    let span = 1i128 << bits;
    Some(match column.unsigned {
        true if raw < 0 => raw + span,
        false if raw >= span / 2 => raw - span,
        _ => raw,
    })
}

/// The width in bits of an integer column type.
fn integer_bits(data_type: &str) -> Option<u32> {
    Some(match data_type {
        "tinyint" | "bool" | "boolean" => 8,
        "smallint" => 16,
        "mediumint" => 24,
        "int" | "integer" => 32,
        "bigint" => 64,
        _ => return None,
    })
}

fn text(bytes: &[u8], column: &Column) -> String {
    let latin1 = column
        .charset
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("latin1"));
    if latin1 {
        bytes.iter().map(|&b| b as char).collect()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn epoch_days(year: i32, month: u32, day: u32) -> Option<i64> {
    chrono::NaiveDate::from_ymd_opt(year, month, day).map(|d| {
        d.signed_duration_since(chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(d))
            .num_days()
    })
}

fn epoch_micros(y: u16, m: u8, d: u8, h: u8, i: u8, s: u8, us: u32) -> Option<i64> {
    let days = epoch_days(y as i32, m as u32, d as u32)?;
    Some(((days * 24 + h as i64) * 60 + i as i64) * 60_000_000 + s as i64 * 1_000_000 + us as i64)
}

/// ISO-8601 in UTC as Debezium's ZonedTimestamp writes it: fractional seconds only when there are
/// some, without trailing zeros.
fn zoned(micros: i64) -> Option<String> {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000) as u32;
    let t = chrono::DateTime::from_timestamp(secs, frac * 1000)?;
    let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    if frac == 0 {
        Some(format!("{base}Z"))
    } else {
        let digits = format!("{frac:06}");
        Some(format!("{base}.{}Z", digits.trim_end_matches('0')))
    }
}

/// Binary data as `binary.handling.mode` represents it.
fn binary(bytes: Vec<u8>, mode: BinaryMode) -> Value {
    use base64::Engine;
    match mode {
        BinaryMode::Bytes => Value::Bytes(bytes),
        BinaryMode::Base64 => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        BinaryMode::Base64UrlSafe => {
            Value::String(base64::engine::general_purpose::URL_SAFE.encode(bytes))
        }
        BinaryMode::Hex => Value::String(bytes.iter().map(|b| format!("{b:02x}")).collect()),
    }
}

/// The Connect value of `value` in `column`, represented as `repr`.
pub fn to_connect(column: &Column, repr: Repr, value: My, origin: Origin) -> Result<Value> {
    if value == My::NULL {
        return Ok(Value::Null);
    }
    let fail = |v: &My| bad(column, v);
    Ok(match repr {
        Repr::Boolean => match &value {
            My::Bytes(b) => Value::Boolean(b.iter().any(|&x| x != 0)),
            v => Value::Boolean(integer(column, v).ok_or_else(|| fail(v))? != 0),
        },
        Repr::Int16 => Value::Int16(integer(column, &value).ok_or_else(|| fail(&value))? as i16),
        Repr::Int32 | Repr::Year => {
            Value::Int32(integer(column, &value).ok_or_else(|| fail(&value))? as i32)
        }
        Repr::Int64 => Value::Int64(integer(column, &value).ok_or_else(|| fail(&value))? as i64),
        Repr::Float32 => match value {
            My::Float(f) => Value::Float32(f),
            My::Double(d) => Value::Float32(d as f32),
            ref v => Value::Float32(
                decimal_text(v)
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| fail(v))?,
            ),
        },
        Repr::Float64 | Repr::DecimalAsDouble => match value {
            My::Float(f) => Value::Float64(f as f64),
            My::Double(d) => Value::Float64(d),
            ref v => Value::Float64(
                decimal_text(v)
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| fail(v))?,
            ),
        },
        Repr::Decimal(scale) => {
            let t = decimal_text(&value).ok_or_else(|| fail(&value))?;
            Value::Bytes(ferry_api::Decimal::parse(&t, scale)?)
        }
        Repr::UnsignedDecimal => {
            let n = integer(column, &value).ok_or_else(|| fail(&value))?;
            Value::Bytes(ferry_api::Decimal::parse(&n.to_string(), 0)?)
        }
        Repr::DecimalAsString => Value::String(decimal_text(&value).ok_or_else(|| fail(&value))?),
        Repr::Date | Repr::ConnectDate => match value {
            My::Date(0, 0, 0, ..) => Value::Null,
            My::Date(y, m, d, ..) => Value::Int32(
                epoch_days(y as i32, m as u32, d as u32).ok_or_else(|| fail(&value))? as i32,
            ),
            ref v => return Err(fail(v)),
        },
        Repr::MicroTime | Repr::ConnectTime => match value {
            My::Time(negative, days, h, m, s, us) => {
                let micros = (((days as i64 * 24 + h as i64) * 60 + m as i64) * 60 + s as i64)
                    * 1_000_000
                    + us as i64;
                let micros = if negative { -micros } else { micros };
                if repr == Repr::ConnectTime {
                    // Kafka Connect's Time is a time of day: Debezium gives null for the rest.
                    let millis = micros.div_euclid(1000);
                    if (0..86_400_000).contains(&millis) {
                        Value::Int32(millis as i32)
                    } else {
                        Value::Null
                    }
                } else {
                    Value::Int64(micros)
                }
            }
            ref v => return Err(fail(v)),
        },
        Repr::TimestampMillis | Repr::TimestampMicros | Repr::ConnectTimestamp => match value {
            My::Date(0, 0, 0, ..) => Value::Null,
            My::Date(y, mo, d, h, mi, s, us) => {
                let micros = epoch_micros(y, mo, d, h, mi, s, us).ok_or_else(|| fail(&value))?;
                if repr != Repr::TimestampMicros {
                    Value::Int64(micros.div_euclid(1000))
                } else {
                    Value::Int64(micros)
                }
            }
            ref v => return Err(fail(v)),
        },
        Repr::ZonedTimestamp => {
            let micros = match (&value, origin) {
                (My::Date(0, 0, 0, ..), _) => return Ok(Value::Null),
                // The snapshot's session runs in UTC.
                (My::Date(y, mo, d, h, mi, s, us), _) => {
                    epoch_micros(*y, *mo, *d, *h, *mi, *s, *us)
                }
                // The binlog gives seconds since the epoch, with a fraction when the column has one.
                (My::Bytes(b), Origin::Binlog) => std::str::from_utf8(b).ok().and_then(|t| {
                    let (secs, frac) = t.split_once('.').unwrap_or((t, "0"));
                    let frac = format!("{frac:0<6}");
                    Some(secs.parse::<i64>().ok()? * 1_000_000 + frac[..6].parse::<i64>().ok()?)
                }),
                (My::Int(secs), _) => Some(secs * 1_000_000),
                _ => None,
            }
            .ok_or_else(|| fail(&value))?;
            if micros == 0 && origin == Origin::Binlog {
                // 0000-00-00 00:00:00
                return Ok(Value::Null);
            }
            Value::String(zoned(micros).ok_or_else(|| fail(&value))?)
        }
        Repr::Text | Repr::Json => match value {
            My::Bytes(b) => Value::String(text(&b, column)),
            ref v => return Err(fail(v)),
        },
        Repr::Bytes(mode) => match value {
            // The binlog drops a BINARY(n)'s trailing zero bytes; the column holds all n.
            My::Bytes(mut b) => {
                if column.data_type == "binary" {
                    let n = column.length.unwrap_or(0) as usize;
                    if b.len() < n {
                        b.resize(n, 0);
                    }
                }
                binary(b, mode)
            }
            ref v => return Err(fail(v)),
        },
        Repr::Bits(_) => match value {
            // Big-endian in MySQL; Debezium's Bits are little-endian.
            My::Bytes(mut b) => {
                b.reverse();
                Value::Bytes(b)
            }
            My::Int(_) | My::UInt(_) => {
                let n = integer(column, &value).ok_or_else(|| fail(&value))? as u64;
                let bytes = column.length.unwrap_or(64).div_ceil(8) as usize;
                Value::Bytes(n.to_le_bytes()[..bytes.min(8)].to_vec())
            }
            ref v => return Err(fail(v)),
        },
        Repr::Enum => match (value, origin) {
            (My::Bytes(b), _) => Value::String(text(&b, column)),
            (v @ (My::Int(_) | My::UInt(_)), _) => {
                let index = integer(column, &v).ok_or_else(|| fail(&v))?;
                Value::String(
                    usize::try_from(index - 1)
                        .ok()
                        .and_then(|i| column.values.get(i))
                        .cloned()
                        .unwrap_or_default(),
                )
            }
            (v, _) => return Err(fail(&v)),
        },
        Repr::Set => match (value, origin) {
            (My::Bytes(b), Origin::Binlog) => {
                let mut mask = [0u8; 8];
                for (i, byte) in b.iter().take(8).enumerate() {
                    mask[i] = *byte;
                }
                let mask = u64::from_le_bytes(mask);
                let chosen: Vec<&str> = column
                    .values
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1u64 << i) != 0)
                    .map(|(_, v)| v.as_str())
                    .collect();
                Value::String(chosen.join(","))
            }
            (My::Bytes(b), Origin::Query) => Value::String(text(&b, column)),
            (v, _) => return Err(fail(&v)),
        },
    })
}

/// The default a column's schema carries, as Debezium gives it: the declared default in the
/// column's representation. A default computed by the server (`current_timestamp()`) is the
/// epoch, as Debezium writes it; defaults ferry cannot read leave the schema without one.
pub fn default_value(column: &Column, repr: Repr) -> Option<Value> {
    let declared = column.default.as_deref()?.trim();
    let literal = match declared
        .strip_prefix('\'')
        .and_then(|d| d.strip_suffix('\''))
    {
        Some(quoted) => quoted.replace("''", "'"),
        None => declared.to_string(),
    };
    let computed = literal
        .to_ascii_lowercase()
        .starts_with("current_timestamp");
    let value = match repr {
        Repr::ZonedTimestamp if computed => {
            return Some(Value::String("1970-01-01T00:00:00Z".into()))
        }
        Repr::TimestampMillis | Repr::TimestampMicros | Repr::ConnectTimestamp if computed => {
            return Some(Value::Int64(0))
        }
        _ if computed => return None,
        Repr::Date
        | Repr::ConnectDate
        | Repr::TimestampMillis
        | Repr::TimestampMicros
        | Repr::ConnectTimestamp
        | Repr::ZonedTimestamp => {
            let parsed = chrono::NaiveDateTime::parse_from_str(&literal, "%Y-%m-%d %H:%M:%S%.f")
                .or_else(|_| {
                    chrono::NaiveDate::parse_from_str(&literal, "%Y-%m-%d")
                        .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
                })
                .ok()?;
            let (y, mo, d) = (
                parsed.year() as u16,
                parsed.month() as u8,
                parsed.day() as u8,
            );
            let (h, mi, s) = (
                parsed.hour() as u8,
                parsed.minute() as u8,
                parsed.second() as u8,
            );
            My::Date(
                y,
                mo,
                d,
                h,
                mi,
                s,
                parsed.and_utc().timestamp_subsec_micros(),
            )
        }
        Repr::Bits(_) | Repr::Boolean => {
            let bits = literal
                .strip_prefix("b'")
                .and_then(|b| b.strip_suffix('\''))?;
            let n = u64::from_str_radix(bits, 2).ok()?;
            My::UInt(n)
        }
        _ => My::Bytes(literal.into_bytes()),
    };
    to_connect(column, repr, value, Origin::Query).ok()
}

/// The text of a DECIMAL (or a number read as one).
fn decimal_text(value: &My) -> Option<String> {
    match value {
        My::Bytes(b) => std::str::from_utf8(b).ok().map(|t| t.trim().to_string()),
        My::Int(i) => Some(i.to_string()),
        My::UInt(u) => Some(u.to_string()),
        My::Float(f) => Some(f.to_string()),
        My::Double(d) => Some(d.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(data_type: &str, unsigned: bool) -> Column {
        Column {
            name: "c".into(),
            data_type: data_type.into(),
            column_type: data_type.into(),
            nullable: true,
            unsigned,
            precision: Some(10),
            scale: Some(2),
            fsp: 0,
            length: None,
            charset: Some("utf8mb4".into()),
            values: vec!["a".into(), "b".into(), "c".into()],
            captured: true,
            default: None,
            position: 1,
            auto_increment: false,
            comment: None,
        }
    }

    #[test]
    fn unsigned_integers_read_as_signed_from_the_binlog_are_put_right() {
        let c = column("int", true);
        let v = to_connect(&c, Repr::Int64, My::Int(-1), Origin::Binlog).unwrap();
        assert_eq!(v, Value::Int64(4_294_967_295));
        let c = column("tinyint", true);
        let v = to_connect(&c, Repr::Int16, My::Int(-56), Origin::Binlog).unwrap();
        assert_eq!(v, Value::Int16(200));
    }

    #[test]
    fn dates_times_and_timestamps_as_debezium_gives_them() {
        let c = column("date", false);
        let v = to_connect(
            &c,
            Repr::Date,
            My::Date(2024, 1, 2, 0, 0, 0, 0),
            Origin::Query,
        );
        assert_eq!(v.unwrap(), Value::Int32(19724));
        let c = column("time", false);
        let v = to_connect(
            &c,
            Repr::MicroTime,
            My::Time(true, 1, 2, 3, 4, 5),
            Origin::Binlog,
        );
        assert_eq!(
            v.unwrap(),
            Value::Int64(-(((26 * 60 + 3) * 60 + 4) * 1_000_000 + 5))
        );
        let c = column("datetime", false);
        let v = to_connect(
            &c,
            Repr::TimestampMillis,
            My::Date(2024, 1, 2, 3, 4, 5, 678_000),
            Origin::Query,
        );
        assert_eq!(v.unwrap(), Value::Int64(1_704_164_645_678));
        let c = column("timestamp", false);
        let v = to_connect(
            &c,
            Repr::ZonedTimestamp,
            My::Bytes(b"1704164645.120000".to_vec()),
            Origin::Binlog,
        );
        assert_eq!(v.unwrap(), Value::String("2024-01-02T03:04:05.12Z".into()));
    }

    #[test]
    fn enums_and_sets_from_either_origin() {
        let e = column("enum", false);
        assert_eq!(
            to_connect(&e, Repr::Enum, My::Int(2), Origin::Binlog).unwrap(),
            Value::String("b".into())
        );
        let s = column("set", false);
        assert_eq!(
            to_connect(&s, Repr::Set, My::Bytes(vec![0b101]), Origin::Binlog).unwrap(),
            Value::String("a,c".into())
        );
        assert_eq!(
            to_connect(&s, Repr::Set, My::Bytes(b"a,c".to_vec()), Origin::Query).unwrap(),
            Value::String("a,c".into())
        );
    }

    #[test]
    fn binary_columns_keep_their_trailing_zeros_and_mediumint_its_sign() {
        let mut b = column("binary", false);
        b.length = Some(4);
        let v = to_connect(
            &b,
            Repr::Bytes(BinaryMode::Bytes),
            My::Bytes(vec![0xde]),
            Origin::Binlog,
        )
        .unwrap();
        assert_eq!(v, Value::Bytes(vec![0xde, 0, 0, 0]));
        let m = column("mediumint", false);
        let v = to_connect(&m, Repr::Int32, My::Int(8_388_608), Origin::Binlog).unwrap();
        assert_eq!(v, Value::Int32(-8_388_608));
    }

    #[test]
    fn decimals_are_connect_decimals_of_the_columns_scale() {
        let c = column("decimal", false);
        let v = to_connect(
            &c,
            Repr::Decimal(2),
            My::Bytes(b"-12.50".to_vec()),
            Origin::Binlog,
        );
        assert_eq!(
            v.unwrap(),
            Value::Bytes(ferry_api::Decimal::parse("-12.50", 2).unwrap())
        );
    }

    #[test]
    fn binary_handling_modes_encode_as_debezium_does() {
        let b = column("varbinary", false);
        let read = |mode| {
            to_connect(
                &b,
                Repr::Bytes(mode),
                My::Bytes(vec![0xfb, 0xff, 0x01]),
                Origin::Query,
            )
            .unwrap()
        };
        assert_eq!(read(BinaryMode::Base64), Value::String("+/8B".into()));
        assert_eq!(
            read(BinaryMode::Base64UrlSafe),
            Value::String("-_8B".into())
        );
        assert_eq!(read(BinaryMode::Hex), Value::String("fbff01".into()));
    }

    #[test]
    fn connect_time_precision_and_precise_unsigned_bigints() {
        let t = column("time", false);
        let v = to_connect(
            &t,
            Repr::ConnectTime,
            My::Time(false, 0, 1, 0, 0, 500_000),
            Origin::Binlog,
        );
        assert_eq!(v.unwrap(), Value::Int32(3_600_500));
        // Not a time of day: null, as Debezium gives it.
        let v = to_connect(
            &t,
            Repr::ConnectTime,
            My::Time(true, 0, 1, 0, 0, 0),
            Origin::Query,
        );
        assert_eq!(v.unwrap(), Value::Null);
        let d = column("datetime", false);
        let v = to_connect(
            &d,
            Repr::ConnectTimestamp,
            My::Date(1970, 1, 2, 0, 0, 0, 1500),
            Origin::Query,
        );
        assert_eq!(v.unwrap(), Value::Int64(86_400_001));
        let u = column("bigint", true);
        // The binlog reads 18446744073709551615 as -1.
        let v = to_connect(&u, Repr::UnsignedDecimal, My::Int(-1), Origin::Binlog);
        assert_eq!(
            v.unwrap(),
            Value::Bytes(ferry_api::Decimal::parse("18446744073709551615", 0).unwrap())
        );
    }
}
