//! Logical types: Decimal, Date, Time and Timestamp.
//!
//! A logical value travels as its physical value, and its schema carries the logical type's name:
//!
//! | type | schema name | physical value |
//! |---|---|---|
//! | [`Decimal`] | `org.apache.kafka.connect.data.Decimal` | `Bytes`: big-endian two's-complement unscaled value; parameter `scale` |
//! | [`Date`] | `org.apache.kafka.connect.data.Date` | `Int32`: days since 1970-01-01 |
//! | [`Time`] | `org.apache.kafka.connect.data.Time` | `Int32`: milliseconds since midnight |
//! | [`Timestamp`] | `org.apache.kafka.connect.data.Timestamp` | `Int64`: milliseconds since the epoch |
//!
//! All dates are proleptic Gregorian and UTC.

use std::fmt::Write as _;

use crate::data::{Schema, SchemaBuilder, SchemaType, Value};
use crate::error::{ConnectError, Result};

/// Which logical type a schema names, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogicalType {
    Decimal,
    Date,
    Time,
    Timestamp,
}

impl LogicalType {
    /// The logical type a schema names, when its physical type is the right one.
    pub fn of(schema: &Schema) -> Option<LogicalType> {
        let name = schema.name.as_deref()?;
        let (t, kind) = match name {
            Decimal::LOGICAL_NAME => (LogicalType::Decimal, SchemaType::Bytes),
            Date::LOGICAL_NAME => (LogicalType::Date, SchemaType::Int32),
            Time::LOGICAL_NAME => (LogicalType::Time, SchemaType::Int32),
            Timestamp::LOGICAL_NAME => (LogicalType::Timestamp, SchemaType::Int64),
            _ => return None,
        };
        (schema.kind == kind).then_some(t)
    }

    pub fn logical_name(self) -> &'static str {
        match self {
            LogicalType::Decimal => Decimal::LOGICAL_NAME,
            LogicalType::Date => Date::LOGICAL_NAME,
            LogicalType::Time => Time::LOGICAL_NAME,
            LogicalType::Timestamp => Timestamp::LOGICAL_NAME,
        }
    }
}

/// An arbitrary-precision decimal: `unscaled × 10^-scale`.
pub struct Decimal;

impl Decimal {
    pub const LOGICAL_NAME: &'static str = "org.apache.kafka.connect.data.Decimal";
    /// The schema parameter that holds the scale.
    pub const SCALE_FIELD: &'static str = "scale";

    /// A builder for a decimal schema of the given scale (BYTES, name, version 1, `scale`).
    pub fn builder(scale: i32) -> SchemaBuilder {
        SchemaBuilder::bytes()
            .name(Self::LOGICAL_NAME)
            .parameter(Self::SCALE_FIELD, scale.to_string())
            .version(1)
    }

    /// A required decimal schema of the given scale.
    pub fn schema(scale: i32) -> Schema {
        let mut s = Schema::bytes();
        s.name = Some(Self::LOGICAL_NAME.to_string());
        s.version = Some(1);
        s.parameters
            .insert(Self::SCALE_FIELD.to_string(), scale.to_string());
        s
    }

    /// The scale a decimal schema declares.
    pub fn scale(schema: &Schema) -> Result<i32> {
        let raw = schema.parameters.get(Self::SCALE_FIELD).ok_or_else(|| {
            ConnectError::Data("Invalid Decimal schema: scale parameter not found.".to_string())
        })?;
        raw.trim().parse::<i32>().map_err(|_| {
            ConnectError::Data(format!(
                "Invalid scale parameter found in Decimal schema: {raw}"
            ))
        })
    }

    /// The value for an unscaled integer (the scale lives in the schema).
    pub fn from_i128(unscaled: i128) -> Value {
        Value::Bytes(Self::unscaled_bytes(unscaled))
    }

    /// The minimal big-endian two's-complement bytes of an integer, as Java's
    /// `BigInteger.toByteArray` gives them.
    pub fn unscaled_bytes(unscaled: i128) -> Vec<u8> {
        minimal_twos_complement(&unscaled.to_be_bytes()).to_vec()
    }

    /// The unscaled integer, when it fits in an `i128`.
    pub fn to_i128(bytes: &[u8]) -> Option<i128> {
        let b = minimal_twos_complement(bytes);
        if b.len() > 16 {
            return None;
        }
        let fill = if b.first().is_some_and(|x| x & 0x80 != 0) {
            0xFF
        } else {
            0
        };
        let mut buf = [fill; 16];
        buf[16 - b.len()..].copy_from_slice(b);
        Some(i128::from_be_bytes(buf))
    }

    /// The same unscaled value in its shortest form (redundant sign bytes removed); what Kafka writes.
    pub fn normalize(bytes: &[u8]) -> &[u8] {
        minimal_twos_complement(bytes)
    }

    /// Parses a decimal number (`-12.5`, `1E+3`, `0.0012`) into unscaled bytes at exactly `scale`.
    /// Fails when the number has non-zero digits beyond the scale, rather than rounding.
    pub fn parse(text: &str, scale: i32) -> Result<Vec<u8>> {
        let d = BigDec::parse(text)?;
        let d = d.rescale(scale).ok_or_else(|| {
            ConnectError::Data(format!(
                "Decimal value {text} does not fit scale {scale} without rounding"
            ))
        })?;
        Ok(d.to_bytes())
    }

    /// Parses a decimal number into unscaled bytes and the scale the text itself has, as Java's
    /// `new BigDecimal(String)` does (`"1.50"` → 150, scale 2; `"1E+3"` → 1, scale -3).
    pub fn parse_with_scale(text: &str) -> Result<(Vec<u8>, i32)> {
        let d = BigDec::parse(text)?;
        Ok((d.to_bytes(), d.scale))
    }

    /// The value as plain digits, never in exponent form (`123.45`, `0.0012`, `1200`), as Java's
    /// `BigDecimal.toPlainString`.
    pub fn to_plain_string(bytes: &[u8], scale: i32) -> String {
        BigDec::from_bytes(bytes, scale).to_plain_string()
    }

    /// The value as Java's `BigDecimal.toString` writes it (exponent form for very small numbers
    /// and negative scales: `1E-10`, `1.23E+5`); JsonConverter's NUMERIC format writes this.
    pub fn to_sci_string(bytes: &[u8], scale: i32) -> String {
        BigDec::from_bytes(bytes, scale).to_sci_string()
    }
}

/// A calendar date without time of day.
pub struct Date;

impl Date {
    pub const LOGICAL_NAME: &'static str = "org.apache.kafka.connect.data.Date";

    /// A builder for a date schema (INT32, name, version 1).
    pub fn builder() -> SchemaBuilder {
        SchemaBuilder::int32().name(Self::LOGICAL_NAME).version(1)
    }

    /// A required date schema.
    pub fn schema() -> Schema {
        named(Schema::int32(), Self::LOGICAL_NAME)
    }

    /// Days since 1970-01-01 for a calendar date; `None` for an impossible date.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<i32> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        i32::try_from(days_from_civil(i64::from(year), month, day)).ok()
    }

    /// The calendar date (year, month, day) of a day count.
    pub fn to_ymd(days: i32) -> (i64, u32, u32) {
        civil_from_days(i64::from(days))
    }

    /// `yyyy-MM-dd`.
    pub fn format_iso(days: i32) -> String {
        let (y, m, d) = Self::to_ymd(days);
        format!("{}-{m:02}-{d:02}", fmt_year(y))
    }

    /// Parses `yyyy-MM-dd` into days since the epoch.
    pub fn parse_iso(text: &str) -> Option<i32> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let y = digits(&b[0..4])?;
        let m = digits(&b[5..7])?;
        let d = digits(&b[8..10])?;
        Self::from_ymd(i32::try_from(y).ok()?, m, d)
    }
}

/// A time of day, in milliseconds since midnight.
pub struct Time;

impl Time {
    pub const LOGICAL_NAME: &'static str = "org.apache.kafka.connect.data.Time";
    pub const MILLIS_PER_DAY: i32 = 86_400_000;

    /// A builder for a time schema (INT32, name, version 1).
    pub fn builder() -> SchemaBuilder {
        SchemaBuilder::int32().name(Self::LOGICAL_NAME).version(1)
    }

    /// A required time schema.
    pub fn schema() -> Schema {
        named(Schema::int32(), Self::LOGICAL_NAME)
    }

    /// Milliseconds since midnight; `None` when a part is out of range.
    pub fn from_hms_milli(hour: u32, minute: u32, second: u32, milli: u32) -> Option<i32> {
        if hour > 23 || minute > 59 || second > 59 || milli > 999 {
            return None;
        }
        i32::try_from(((hour * 60 + minute) * 60 + second) * 1000 + milli).ok()
    }

    /// `HH:mm:ss.SSSZ` (Kafka's ISO 8601 time format, in UTC).
    pub fn format_iso(millis: i32) -> String {
        let mut out = String::with_capacity(13);
        push_hms(
            &mut out,
            i64::from(millis).rem_euclid(i64::from(Self::MILLIS_PER_DAY)),
        );
        out.push('Z');
        out
    }

    /// Parses `HH:mm:ss.SSSZ` into milliseconds since midnight.
    pub fn parse_iso(text: &str) -> Option<i32> {
        let b = text.as_bytes();
        if b.len() != 13 || b[12] != b'Z' {
            return None;
        }
        parse_hms(&b[..12])
    }
}

/// An instant, in milliseconds since 1970-01-01T00:00:00Z.
pub struct Timestamp;

impl Timestamp {
    pub const LOGICAL_NAME: &'static str = "org.apache.kafka.connect.data.Timestamp";

    /// A builder for a timestamp schema (INT64, name, version 1).
    pub fn builder() -> SchemaBuilder {
        SchemaBuilder::int64().name(Self::LOGICAL_NAME).version(1)
    }

    /// A required timestamp schema.
    pub fn schema() -> Schema {
        named(Schema::int64(), Self::LOGICAL_NAME)
    }

    /// `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` (Kafka's ISO 8601 timestamp format, in UTC).
    pub fn format_iso(millis: i64) -> String {
        let days = millis.div_euclid(MILLIS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        let mut out = format!("{}-{m:02}-{d:02}T", fmt_year(y));
        push_hms(&mut out, millis.rem_euclid(MILLIS_PER_DAY));
        out.push('Z');
        out
    }

    /// Parses `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` into milliseconds since the epoch.
    pub fn parse_iso(text: &str) -> Option<i64> {
        let b = text.as_bytes();
        if b.len() != 24 || b[10] != b'T' || b[23] != b'Z' {
            return None;
        }
        let days = Date::parse_iso(text.get(..10)?)?;
        let ms = parse_hms(&b[11..23])?;
        Some(i64::from(days) * MILLIS_PER_DAY + i64::from(ms))
    }

    /// The instant as Java's `java.util.Date.toString` shows it in a UTC JVM:
    /// `Thu Jan 01 00:00:00 UTC 1970`.
    pub fn format_java(millis: i64) -> String {
        const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let days = millis.div_euclid(MILLIS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        let secs = millis.rem_euclid(MILLIS_PER_DAY) / 1000;
        let dow = DAYS[days.rem_euclid(7) as usize];
        let mon = MONTHS[(m - 1) as usize];
        format!(
            "{dow} {mon} {d:02} {:02}:{:02}:{:02} UTC {}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            fmt_year(y)
        )
    }
}

const MILLIS_PER_DAY: i64 = 86_400_000;

fn named(mut schema: Schema, name: &str) -> Schema {
    schema.name = Some(name.to_string());
    schema.version = Some(1);
    schema
}

fn fmt_year(y: i64) -> String {
    if y < 0 {
        format!("-{:04}", -y)
    } else {
        format!("{y:04}")
    }
}

fn push_hms(out: &mut String, ms_of_day: i64) {
    let ms = ms_of_day % 1000;
    let s = ms_of_day / 1000;
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}.{ms:03}",
        s / 3600,
        s / 60 % 60,
        s % 60
    );
}

/// `HH:mm:ss.SSS`
fn parse_hms(b: &[u8]) -> Option<i32> {
    if b.len() != 12 || b[2] != b':' || b[5] != b':' || b[8] != b'.' {
        return None;
    }
    Time::from_hms_milli(
        digits(&b[0..2])?,
        digits(&b[3..5])?,
        digits(&b[6..8])?,
        digits(&b[9..12])?,
    )
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (after Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Strips redundant leading sign bytes; an empty input reads as zero.
fn minimal_twos_complement(bytes: &[u8]) -> &[u8] {
    if bytes.is_empty() {
        return &[0];
    }
    let mut b = bytes;
    while b.len() > 1 && ((b[0] == 0 && b[1] & 0x80 == 0) || (b[0] == 0xFF && b[1] & 0x80 != 0)) {
        b = &b[1..];
    }
    b
}

/// A decimal as sign, magnitude digits (ASCII, no leading zeros, "0" for zero) and scale.
#[derive(Debug, Clone, PartialEq)]
struct BigDec {
    negative: bool,
    digits: String,
    scale: i32,
}

/// The most digits a parsed or rescaled decimal may have; guards against `1E999999999`.
const MAX_DIGITS: usize = 100_000;

impl BigDec {
    fn parse(text: &str) -> Result<BigDec> {
        let bad = || ConnectError::Data(format!("Not a decimal number: {text}"));
        let t = text.trim();
        let (negative, rest) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(i) => {
                let e = rest[i + 1..].parse::<i64>().map_err(|_| bad())?;
                (&rest[..i], e)
            }
            None => (rest, 0),
        };
        let (int_part, frac_part) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        if int_part.is_empty() && frac_part.is_empty()
            || !int_part.bytes().all(|c| c.is_ascii_digit())
            || !frac_part.bytes().all(|c| c.is_ascii_digit())
            || int_part.len() + frac_part.len() > MAX_DIGITS
        {
            return Err(bad());
        }
        let scale = i64::try_from(frac_part.len()).map_err(|_| bad())? - exponent;
        let scale = i32::try_from(scale).map_err(|_| bad())?;
        let mut digits = String::with_capacity(int_part.len() + frac_part.len());
        digits.push_str(int_part);
        digits.push_str(frac_part);
        let digits = strip_leading_zeros(digits);
        let negative = negative && digits != "0";
        Ok(BigDec {
            negative,
            digits,
            scale,
        })
    }

    /// The same value at another scale, or `None` when digits would be lost.
    fn rescale(mut self, scale: i32) -> Option<BigDec> {
        if scale >= self.scale {
            let add = usize::try_from(i64::from(scale) - i64::from(self.scale)).ok()?;
            if self.digits != "0" {
                if self.digits.len() + add > MAX_DIGITS {
                    return None;
                }
                self.digits.extend(std::iter::repeat_n('0', add));
            }
        } else {
            let drop = usize::try_from(i64::from(self.scale) - i64::from(scale)).ok()?;
            if self.digits != "0" {
                let keep = self.digits.len().checked_sub(drop)?;
                if !self.digits[keep..].bytes().all(|c| c == b'0') {
                    return None;
                }
                self.digits.truncate(keep);
                if self.digits.is_empty() {
                    self.digits.push('0');
                }
            }
        }
        self.scale = scale;
        Some(self)
    }

    fn from_bytes(bytes: &[u8], scale: i32) -> BigDec {
        let (negative, mag) = magnitude_of(bytes);
        BigDec {
            negative,
            digits: limbs_to_decimal(mag),
            scale,
        }
    }

    fn to_bytes(&self) -> Vec<u8> {
        twos_complement_of(self.negative, &decimal_to_limbs(&self.digits))
    }

    fn to_plain_string(&self) -> String {
        let mut out = String::new();
        if self.negative {
            out.push('-');
        }
        let n = self.digits.len();
        if self.scale <= 0 {
            out.push_str(&self.digits);
            if self.digits != "0" {
                out.extend(std::iter::repeat_n('0', self.scale.unsigned_abs() as usize));
            }
        } else {
            let scale = self.scale as usize;
            if n > scale {
                out.push_str(&self.digits[..n - scale]);
                out.push('.');
                out.push_str(&self.digits[n - scale..]);
            } else {
                out.push_str("0.");
                out.extend(std::iter::repeat_n('0', scale - n));
                out.push_str(&self.digits);
            }
        }
        out
    }

    fn to_sci_string(&self) -> String {
        let n = self.digits.len() as i64;
        let adjusted = -i64::from(self.scale) + (n - 1);
        if self.scale >= 0 && adjusted >= -6 {
            return self.to_plain_string();
        }
        let mut out = String::new();
        if self.negative {
            out.push('-');
        }
        out.push_str(&self.digits[..1]);
        if n > 1 {
            out.push('.');
            out.push_str(&self.digits[1..]);
        }
        out.push('E');
        if adjusted >= 0 {
            out.push('+');
        }
        let _ = write!(out, "{adjusted}");
        out
    }
}

fn strip_leading_zeros(mut digits: String) -> String {
    let zeros = digits.bytes().take_while(|&c| c == b'0').count();
    if zeros == digits.len() {
        return "0".to_string();
    }
    digits.drain(..zeros);
    digits
}

/// Sign and magnitude (little-endian base-2^32 limbs) of big-endian two's-complement bytes.
fn magnitude_of(bytes: &[u8]) -> (bool, Vec<u32>) {
    let bytes = minimal_twos_complement(bytes);
    let negative = bytes[0] & 0x80 != 0;
    let mut mag: Vec<u8> = bytes.to_vec();
    if negative {
        // magnitude = !x + 1
        for b in mag.iter_mut() {
            *b = !*b;
        }
        for b in mag.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
    }
    let mut limbs = Vec::with_capacity(mag.len() / 4 + 1);
    for chunk in mag.rchunks(4) {
        let mut buf = [0u8; 4];
        buf[4 - chunk.len()..].copy_from_slice(chunk);
        limbs.push(u32::from_be_bytes(buf));
    }
    trim_limbs(&mut limbs);
    (negative, limbs)
}

/// Minimal big-endian two's-complement bytes of a signed magnitude.
fn twos_complement_of(negative: bool, limbs: &[u32]) -> Vec<u8> {
    let mut mag: Vec<u8> = limbs.iter().rev().flat_map(|l| l.to_be_bytes()).collect();
    let zeros = mag.iter().take_while(|&&b| b == 0).count();
    mag.drain(..zeros);
    if mag.is_empty() {
        return vec![0];
    }
    if !negative {
        if mag[0] & 0x80 != 0 {
            mag.insert(0, 0);
        }
        return mag;
    }
    for b in mag.iter_mut() {
        *b = !*b;
    }
    for b in mag.iter_mut().rev() {
        let (v, carry) = b.overflowing_add(1);
        *b = v;
        if !carry {
            break;
        }
    }
    if mag[0] & 0x80 == 0 {
        mag.insert(0, 0xFF);
    }
    minimal_twos_complement(&mag).to_vec()
}

fn trim_limbs(limbs: &mut Vec<u32>) {
    while limbs.last() == Some(&0) {
        limbs.pop();
    }
}

fn decimal_to_limbs(digits: &str) -> Vec<u32> {
    let mut limbs: Vec<u32> = Vec::new();
    let bytes = digits.as_bytes();
    let first = bytes.len() % 9;
    let mut chunks: Vec<&[u8]> = Vec::new();
    if first > 0 {
        chunks.push(&bytes[..first]);
    }
    chunks.extend(bytes[first..].chunks(9));
    for chunk in chunks {
        let mul = 10u64.pow(chunk.len() as u32);
        let add = chunk
            .iter()
            .fold(0u64, |acc, c| acc * 10 + u64::from(c.wrapping_sub(b'0')));
        let mut carry = add;
        for limb in limbs.iter_mut() {
            let v = u64::from(*limb) * mul + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
    }
    trim_limbs(&mut limbs);
    limbs
}

fn limbs_to_decimal(mut limbs: Vec<u32>) -> String {
    trim_limbs(&mut limbs);
    if limbs.is_empty() {
        return "0".to_string();
    }
    let mut groups: Vec<u32> = Vec::new();
    while !limbs.is_empty() {
        let mut rem = 0u64;
        for limb in limbs.iter_mut().rev() {
            let v = (rem << 32) | u64::from(*limb);
            *limb = (v / 1_000_000_000) as u32;
            rem = v % 1_000_000_000;
        }
        groups.push(rem as u32);
        trim_limbs(&mut limbs);
    }
    let mut out = String::new();
    for (i, g) in groups.iter().rev().enumerate() {
        if i == 0 {
            let _ = write!(out, "{g}");
        } else {
            let _ = write!(out, "{g:09}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_schema_shape() {
        let s = Decimal::schema(2);
        assert_eq!(s.kind, SchemaType::Bytes);
        assert_eq!(s.name.as_deref(), Some(Decimal::LOGICAL_NAME));
        assert_eq!(s.version, Some(1));
        assert_eq!(Decimal::scale(&s).unwrap(), 2);
        assert_eq!(Decimal::builder(2).build().unwrap(), s);
        assert_eq!(LogicalType::of(&s), Some(LogicalType::Decimal));
        assert!(Decimal::scale(&Schema::bytes()).is_err());
    }

    #[test]
    fn decimal_bytes_match_java_big_integer() {
        // values and their BigInteger.toByteArray()
        let cases: &[(i128, &[u8])] = &[
            (0, &[0]),
            (1, &[1]),
            (-1, &[0xFF]),
            (127, &[0x7F]),
            (128, &[0x00, 0x80]),
            (-128, &[0x80]),
            (-129, &[0xFF, 0x7F]),
            (156, &[0x00, 0x9C]),
            (12345, &[0x30, 0x39]),
            (-12345, &[0xCF, 0xC7]),
        ];
        for (v, bytes) in cases {
            assert_eq!(Decimal::unscaled_bytes(*v), bytes.to_vec(), "{v}");
            assert_eq!(Decimal::to_i128(bytes), Some(*v));
            let s = Decimal::to_plain_string(bytes, 0);
            assert_eq!(s, v.to_string());
            assert_eq!(Decimal::parse(&s, 0).unwrap(), bytes.to_vec());
        }
        for v in [i128::MAX, i128::MIN, i128::MIN + 1, 1 << 100, -(1 << 70)] {
            let b = Decimal::unscaled_bytes(v);
            assert_eq!(Decimal::to_i128(&b), Some(v));
            assert_eq!(Decimal::to_plain_string(&b, 0), v.to_string());
            assert_eq!(Decimal::parse(&v.to_string(), 0).unwrap(), b);
        }
        // non-minimal input is read the same
        assert_eq!(Decimal::to_i128(&[0, 0, 0x30, 0x39]), Some(12345));
        assert_eq!(Decimal::normalize(&[0xFF, 0xFF, 0x80]), &[0x80]);
    }

    #[test]
    fn decimal_beyond_i128() {
        let text = "123456789012345678901234567890123456789012345678901234567890";
        let b = Decimal::parse(text, 0).unwrap();
        assert!(Decimal::to_i128(&b).is_none());
        assert_eq!(Decimal::to_plain_string(&b, 0), text);
        let neg = format!("-{text}");
        let b = Decimal::parse(&neg, 0).unwrap();
        assert_eq!(Decimal::to_plain_string(&b, 0), neg);
        assert_eq!(
            Decimal::to_plain_string(&b, 10),
            "-12345678901234567890123456789012345678901234567890.1234567890"
        );
    }

    #[test]
    fn decimal_strings() {
        let b = Decimal::unscaled_bytes(12345);
        assert_eq!(Decimal::to_plain_string(&b, 2), "123.45");
        assert_eq!(Decimal::to_plain_string(&b, 7), "0.0012345");
        assert_eq!(Decimal::to_plain_string(&b, -2), "1234500");
        assert_eq!(Decimal::to_sci_string(&b, 2), "123.45");
        assert_eq!(Decimal::to_sci_string(&b, 10), "0.0000012345");
        assert_eq!(Decimal::to_sci_string(&b, 11), "1.2345E-7");
        assert_eq!(Decimal::to_sci_string(&b, -2), "1.2345E+6");
        let one = Decimal::unscaled_bytes(1);
        assert_eq!(Decimal::to_sci_string(&one, 10), "1E-10");
        let neg = Decimal::unscaled_bytes(-156);
        assert_eq!(Decimal::to_sci_string(&neg, 2), "-1.56");
        let zero = Decimal::unscaled_bytes(0);
        assert_eq!(Decimal::to_sci_string(&zero, 2), "0.00");
        assert_eq!(Decimal::to_sci_string(&zero, -2), "0E+2");
        assert_eq!(Decimal::to_plain_string(&zero, -2), "0");
    }

    #[test]
    fn decimal_parse_rescales_exactly() {
        assert_eq!(Decimal::parse("1.56", 2).unwrap(), vec![0x00, 0x9C]);
        assert_eq!(
            Decimal::to_i128(&Decimal::parse("1.5600", 4).unwrap()),
            Some(15600)
        );
        assert_eq!(
            Decimal::to_i128(&Decimal::parse("1.5", 4).unwrap()),
            Some(15000)
        );
        assert_eq!(
            Decimal::to_i128(&Decimal::parse("1.500", 1).unwrap()),
            Some(15)
        );
        assert_eq!(
            Decimal::to_i128(&Decimal::parse("1E+3", 0).unwrap()),
            Some(1000)
        );
        assert_eq!(
            Decimal::to_i128(&Decimal::parse("-0.00", 2).unwrap()),
            Some(0)
        );
        assert!(Decimal::parse("1.567", 2).is_err());
        assert!(Decimal::parse("abc", 2).is_err());
        assert!(Decimal::parse("1e999999999", 0).is_err());
        assert_eq!(
            Decimal::parse_with_scale("1.23456789123456789").unwrap().1,
            17
        );
        let (b, s) = Decimal::parse_with_scale("1E+3").unwrap();
        assert_eq!((Decimal::to_i128(&b), s), (Some(1), -3));
    }

    #[test]
    fn dates() {
        assert_eq!(Date::from_ymd(1970, 1, 1), Some(0));
        assert_eq!(Date::from_ymd(2000, 3, 1), Some(11017));
        assert_eq!(Date::from_ymd(1969, 12, 31), Some(-1));
        assert_eq!(Date::from_ymd(2023, 2, 29), None);
        assert_eq!(Date::from_ymd(2024, 2, 29), Some(19782));
        assert_eq!(Date::to_ymd(19782), (2024, 2, 29));
        assert_eq!(Date::to_ymd(-719_162), (1, 1, 1));
        assert_eq!(Date::format_iso(10000), "1997-05-19");
        assert_eq!(Date::parse_iso("1997-05-19"), Some(10000));
        assert_eq!(Date::parse_iso("1997-5-19"), None);
        assert_eq!(Date::schema().name.as_deref(), Some(Date::LOGICAL_NAME));
        assert_eq!(LogicalType::of(&Date::schema()), Some(LogicalType::Date));
        assert_eq!(Date::builder().build().unwrap(), Date::schema());
    }

    #[test]
    fn times_and_timestamps() {
        assert_eq!(Time::from_hms_milli(4, 0, 0, 0), Some(14_400_000));
        assert_eq!(Time::from_hms_milli(24, 0, 0, 0), None);
        assert_eq!(Time::format_iso(14_400_123), "04:00:00.123Z");
        assert_eq!(Time::parse_iso("04:00:00.123Z"), Some(14_400_123));
        assert_eq!(
            Timestamp::format_iso(4_000_000_000),
            "1970-02-16T07:06:40.000Z"
        );
        assert_eq!(
            Timestamp::parse_iso("1970-02-16T07:06:40.000Z"),
            Some(4_000_000_000)
        );
        assert_eq!(Timestamp::format_iso(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(Timestamp::format_java(0), "Thu Jan 01 00:00:00 UTC 1970");
        assert_eq!(
            Timestamp::format_java(1_700_000_000_000),
            "Tue Nov 14 22:13:20 UTC 2023"
        );
        assert_eq!(LogicalType::of(&Time::schema()), Some(LogicalType::Time));
        assert_eq!(
            LogicalType::of(&Timestamp::schema()),
            Some(LogicalType::Timestamp)
        );
        // the name alone is not enough: the physical type must match
        let mut wrong = Schema::int64();
        wrong.name = Some(Date::LOGICAL_NAME.into());
        assert_eq!(LogicalType::of(&wrong), None);
    }
}
