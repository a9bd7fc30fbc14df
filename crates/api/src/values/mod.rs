//! Kafka's `org.apache.kafka.connect.data.Values.parseString` (Kafka 4.4), which types
//! InsertHeader's `value.literal` and the text SimpleHeaderConverter reads back from a header's
//! bytes: `null`; `true`/`false` (only in lower case); an array `[...]`
//! or a map `{...}` of such values (strings in them quoted); an ISO date, time or timestamp
//! (`2024-03-05`, `10:20:30.000Z`, `2024-03-05T10:20:30.000Z`, read leniently, so that
//! `2024-13-01` is 2025-01-01); a number in the smallest type that holds it exactly (INT8 ..
//! INT64, else FLOAT32, FLOAT64, Decimal); or else the text itself as a STRING.
//!
//! The text is split into tokens at `, : [ ] { } "` (unless escaped with `\`) as Kafka's
//! `Values.Parser` splits it, and read token by token as its `ValueParser` reads them; so only
//! the first token of a top-level number counts (`1,5` is 1) and a top-level array or map is read
//! up to its end, while anything Kafka cannot read as an array or map is the whole text.

use std::sync::{Arc, OnceLock};

use crate::data::{Schema, SchemaType, Value};
use crate::dateformat::DateFormat;
use crate::logical::{Date, Decimal, Time, Timestamp};
use crate::storage::SchemaAndValue;

mod align;
mod tokens;

use align::{align, to_value, Java, Merger, Typed};
pub use tokens::java_trim;
use tokens::{is_blank, Tokens};

/// The schema and value `Values.parseString` gives `text` (as it is, untrimmed):
/// [`SchemaAndValue::NULL`] for `null`.
pub fn parse_string(text: &str) -> SchemaAndValue {
    if text.is_empty() {
        return SchemaAndValue {
            schema: Some(Arc::new(Schema::string())),
            value: Some(Value::String(String::new())),
        };
    }
    let mut parser = ValueParser {
        tokens: Tokens::new(text),
    };
    match parser.parse(false) {
        Ok(Some(typed)) => {
            let value = to_value(typed.value, Some(&typed.schema));
            SchemaAndValue {
                schema: Some(Arc::new(typed.schema)),
                value: Some(value),
            }
        }
        // A top-level value never fails: what is not an array or a map is read as text.
        Ok(None) | Err(Invalid) => SchemaAndValue::NULL,
    }
}

/// What Kafka's `DataException` stands for here: the text is not what it began like (an array
/// or map), and is read as something else.
#[derive(Debug)]
struct Invalid;

/// Kafka's `Values.ValueParser`.
struct ValueParser<'a> {
    tokens: Tokens<'a>,
}

impl ValueParser<'_> {
    /// The next value; `None` for `null` or no more text. An `embedded` value (in an array or a
    /// map) that is nothing Kafka can read is `Invalid`.
    fn parse(&mut self, embedded: bool) -> Result<Option<Typed>, Invalid> {
        if !self.tokens.has_next() {
            return Ok(None);
        }
        if embedded && self.tokens.can_consume("\"") {
            return Ok(Some(self.quoted()));
        }
        if self.literal(embedded, "null") {
            return Ok(None);
        }
        for b in [true, false] {
            if self.literal(embedded, if b { "true" } else { "false" }) {
                return Ok(Some(Typed::new(Schema::boolean(), Java::Boolean(b))));
            }
        }
        let start = self.tokens.mark();
        let structured = if self.tokens.can_consume("[") {
            Some(self.array())
        } else if self.tokens.can_consume("{") {
            Some(self.map())
        } else {
            None
        };
        match structured {
            Some(Ok(typed)) => return Ok(Some(typed)),
            Some(Err(Invalid)) => self.tokens.rewind(start),
            None => {}
        }
        let token = self.tokens.next();
        if is_blank(token) {
            return Ok(Some(Typed::new(
                Schema::string(),
                Java::String(token.into()),
            )));
        }
        self.token(embedded, java_trim(token))
    }

    /// Whether the next token is the literal `word`, alone at the top level (`true}` is text).
    fn literal(&mut self, embedded: bool, word: &str) -> bool {
        let start = self.tokens.mark();
        if self.tokens.can_consume(word) && (embedded || !self.tokens.has_next()) {
            return true;
        }
        self.tokens.rewind(start);
        false
    }

    fn token(&mut self, embedded: bool, token: &str) -> Result<Option<Typed>, Invalid> {
        let first = token.chars().next().unwrap_or(' ');
        if first.is_ascii_digit() {
            if let Some(temporal) = self.temporal_tokens(token) {
                return Ok(Some(temporal));
            }
        }
        if first.is_ascii_digit() || first == '+' || first == '-' {
            if let Some(number) = number(token) {
                return Ok(Some(number));
            }
        }
        if embedded {
            return Err(Invalid);
        }
        Ok(Some(Typed::new(
            Schema::string(),
            Java::String(self.tokens.text.to_string()),
        )))
    }

    /// A string in quotes, its escapes kept; a date, time or timestamp if it reads as one.
    fn quoted(&mut self) -> Typed {
        let mut content = String::new();
        while self.tokens.has_next() {
            if self.tokens.can_consume("\"") {
                break;
            }
            content.push_str(self.tokens.next());
        }
        temporal(&content).unwrap_or_else(|| Typed::new(Schema::string(), Java::String(content)))
    }

    fn array(&mut self) -> Result<Typed, Invalid> {
        let mut items = Vec::new();
        let mut merger = Merger::default();
        while self.tokens.has_next() {
            if self.tokens.can_consume("]") {
                return Ok(match merger.common() {
                    Some(common) => {
                        let items = items
                            .into_iter()
                            .map(|item| align(&common, item))
                            .collect::<Result<_, _>>()?;
                        Typed::new(Schema::array(common), Java::List(items))
                    }
                    None => Typed::new(Schema::new(SchemaType::Array), Java::List(items)),
                });
            }
            if self.tokens.can_consume(",") {
                return Err(Invalid);
            }
            let item = self.parse(true)?;
            merger.merge(item.as_ref());
            items.push(item.map(|t| t.value));
            let at = self.tokens.mark();
            if self.tokens.can_consume("]") {
                self.tokens.rewind(at);
            } else if !self.tokens.can_consume(",") {
                return Err(Invalid);
            }
        }
        Err(Invalid)
    }

    fn map(&mut self) -> Result<Typed, Invalid> {
        let mut entries: Vec<(Java, Option<Java>)> = Vec::new();
        let (mut keys, mut values) = (Merger::default(), Merger::default());
        while self.tokens.has_next() {
            if self.tokens.can_consume("}") {
                let mut schema = Schema::new(SchemaType::Map);
                let mut aligned = Vec::with_capacity(entries.len());
                match (keys.common(), values.common()) {
                    (Some(k), Some(v)) => {
                        for (key, value) in entries {
                            let key = align(&k, Some(key))?.ok_or(Invalid)?;
                            put(&mut aligned, key, align(&v, value)?);
                        }
                        schema = Schema::map(k, v);
                    }
                    (Some(k), None) => {
                        for (key, value) in entries {
                            put(&mut aligned, align(&k, Some(key))?.ok_or(Invalid)?, value);
                        }
                        schema.key_schema = Some(Arc::new(k));
                    }
                    _ => aligned = entries,
                }
                return Ok(Typed::new(schema, Java::Map(aligned)));
            }
            if self.tokens.can_consume(",") {
                return Err(Invalid);
            }
            let key = self.parse(true)?.ok_or(Invalid)?;
            if !self.tokens.can_consume(":") {
                return Err(Invalid);
            }
            let value = self.parse(true)?;
            keys.merge(Some(&key));
            values.merge(value.as_ref());
            put(&mut entries, key.value, value.map(|t| t.value));
            self.tokens.can_consume(",");
        }
        Err(Invalid)
    }

    /// A time or timestamp split by its colons into five tokens, or a date in this one token.
    fn temporal_tokens(&mut self, token: &str) -> Option<Typed> {
        let at = self.tokens.mark();
        if let Some(rest) = self.tokens.next_n(4) {
            if let Some(t) = temporal(&format!("{token}{rest}")) {
                return Some(t);
            }
        }
        self.tokens.rewind(at);
        temporal(token)
    }
}

/// Puts an entry as Java's `LinkedHashMap.put` does: an equal key keeps its place and takes the
/// new value.
fn put(entries: &mut Vec<(Java, Option<Java>)>, key: Java, value: Option<Java>) {
    match entries.iter_mut().find(|(k, _)| k.java_equals(&key)) {
        Some(entry) => entry.1 = value,
        None => entries.push((key, value)),
    }
}

/// A date (`yyyy-MM-dd`), time (`HH:mm:ss.SSS'Z'`) or timestamp by its length, parsed leniently
/// by `SimpleDateFormat` (in UTC), which may leave text unread.
fn temporal(token: &str) -> Option<Typed> {
    static FORMATS: OnceLock<Option<[DateFormat; 3]>> = OnceLock::new();
    let [date, time, timestamp] = FORMATS
        .get_or_init(|| {
            Some([
                DateFormat::new("yyyy-MM-dd").ok()?,
                DateFormat::new("HH:mm:ss.SSS'Z'").ok()?,
                DateFormat::new("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").ok()?,
            ])
        })
        .as_ref()?;
    let token = token.replace("\\:", ":");
    let (format, schema) = match token.encode_utf16().count() {
        10 => (date, Date::schema()),
        13 => (time, Time::schema()),
        24 => (timestamp, Timestamp::schema()),
        _ => return None,
    };
    match format.parse_from(&token, 0) {
        Some((millis, end)) if end > 0 => Some(Typed::new(schema, Java::Date(millis))),
        _ => None,
    }
}

/// A number as `new BigDecimal(token)` reads it, typed as Kafka types it: a whole number in the
/// smallest of INT8 .. INT64 that holds it; else FLOAT32 or FLOAT64 when finite and not a whole
/// number written without exponent; else a Decimal of the number's own scale.
fn number(token: &str) -> Option<Typed> {
    if token.chars().any(char::is_whitespace) {
        return None;
    }
    let (unscaled, scale) = Decimal::parse_with_scale(token).ok()?;
    let whole = Decimal::parse(token, 0)
        .ok()
        .and_then(|w| Decimal::to_i128(&w))
        .and_then(|n| i64::try_from(n).ok());
    if let Some(n) = whole {
        return Some(if let Ok(v) = i8::try_from(n) {
            Typed::new(Schema::int8(), Java::Byte(v))
        } else if let Ok(v) = i16::try_from(n) {
            Typed::new(Schema::int16(), Java::Short(v))
        } else if let Ok(v) = i32::try_from(n) {
            Typed::new(Schema::int32(), Java::Int(v))
        } else {
            Typed::new(Schema::int64(), Java::Long(n))
        });
    }
    if scale != 0 {
        let text = Decimal::to_sci_string(&unscaled, scale);
        if let Some(f) = text.parse::<f32>().ok().filter(|f| f.is_finite()) {
            return Some(Typed::new(Schema::float32(), Java::Float(f)));
        }
        if let Some(d) = text.parse::<f64>().ok().filter(|d| d.is_finite()) {
            return Some(Typed::new(Schema::float64(), Java::Double(d)));
        }
    }
    Some(Typed::new(
        Decimal::schema(scale),
        Java::BigDecimal(unscaled, scale),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(text: &str) -> (Schema, Value) {
        let SchemaAndValue { schema, value } = parse_string(text);
        (
            schema.map_or(Schema::new(SchemaType::Struct), |s| (*s).clone()),
            value.unwrap_or(Value::Null),
        )
    }

    /// What Kafka 4.4's `Values.parseString` gives (schema type and value).
    #[test]
    fn single_values_as_kafka_types_them() {
        let cases: Vec<(&str, Schema, Value)> = vec![
            ("007", Schema::int8(), Value::Int8(7)),
            ("-0", Schema::int8(), Value::Int8(0)),
            ("-129", Schema::int16(), Value::Int16(-129)),
            ("40000", Schema::int32(), Value::Int32(40_000)),
            ("3000000000", Schema::int64(), Value::Int64(3_000_000_000)),
            ("1.5e3", Schema::int16(), Value::Int16(1500)),
            ("1e10", Schema::int64(), Value::Int64(10_000_000_000)),
            ("+7", Schema::int8(), Value::Int8(7)),
            ("3.25", Schema::float32(), Value::Float32(3.25)),
            ("-2.5E-3", Schema::float32(), Value::Float32(-0.0025)),
            ("1e30", Schema::float32(), Value::Float32(1e30)),
            ("1e300", Schema::float64(), Value::Float64(1e300)),
            ("true", Schema::boolean(), Value::Boolean(true)),
            ("TRUE", Schema::string(), Value::from("TRUE")),
            ("False", Schema::string(), Value::from("False")),
            ("true}", Schema::string(), Value::from("true}")),
            ("12abc", Schema::string(), Value::from("12abc")),
            ("1,5", Schema::int8(), Value::Int8(1)),
            ("{a:1}", Schema::string(), Value::from("{a:1}")),
            ("[1,null]", Schema::string(), Value::from("[1,null]")),
            ("", Schema::string(), Value::from("")),
            ("2024-02-29", Date::schema(), Value::Int32(19_782)),
            ("2024-13-01", Date::schema(), Value::Int32(20_089)),
            ("10:20:30.000Z", Time::schema(), Value::Int32(37_230_000)),
            (
                "2024-03-05T10:20:30.000Z",
                Timestamp::schema(),
                Value::Int64(1_709_634_030_000),
            ),
        ];
        for (text, schema, value) in cases {
            assert_eq!(typed(text), (schema, value), "{text}");
        }
        assert_eq!(parse_string("null"), SchemaAndValue::NULL);
        let (schema, value) = typed("9999999999999999999");
        assert_eq!(schema, Decimal::schema(0));
        assert_eq!(
            Decimal::to_sci_string(value.as_bytes().unwrap(), 0),
            "9999999999999999999"
        );
        let (schema, value) = typed("1e400");
        assert_eq!(schema, Decimal::schema(-400));
        assert_eq!(value, Decimal::from_i128(1));
    }

    #[test]
    fn arrays_and_maps_as_kafka_types_them() {
        assert_eq!(
            typed("[1,2]"),
            (
                Schema::array(Schema::int8()),
                Value::Array(vec![Value::Int8(1), Value::Int8(2)])
            )
        );
        // Numbers widen to the widest among them.
        assert_eq!(
            typed("[1, 2.5]"),
            (
                Schema::array(Schema::float32()),
                Value::Array(vec![Value::Float32(1.0), Value::Float32(2.5)])
            )
        );
        // No common type: an array schema without element schema.
        assert_eq!(
            typed(r#"[1,"a"]"#),
            (
                Schema::new(SchemaType::Array),
                Value::Array(vec![Value::Int8(1), Value::from("a")])
            )
        );
        assert_eq!(
            typed("[]"),
            (Schema::new(SchemaType::Array), Value::Array(vec![]))
        );
        assert_eq!(
            typed(r#"{"a":1,"b":300,"a":2}"#),
            (
                Schema::map(Schema::string(), Schema::int16()),
                Value::Map(vec![
                    ("a".into(), Value::Int16(2)),
                    ("b".into(), Value::Int16(300))
                ])
            )
        );
        // Values all null: a map schema with keys only.
        let (schema, value) = typed(r#"{"k":null}"#);
        assert_eq!(schema.key_schema.as_deref(), Some(&Schema::string()));
        assert_eq!(schema.value_schema, None);
        assert_eq!(value, Value::Map(vec![("k".into(), Value::Null)]));
        // Quoted dates are dates; escapes stay as they are.
        assert_eq!(
            typed(r#"["2024-02-29",5]"#),
            (
                Schema::array(Date::schema()),
                Value::Array(vec![Value::Int32(19_782), Value::Int32(5)])
            )
        );
        assert_eq!(
            typed(r#"["a\"b"]"#).1,
            Value::Array(vec![Value::from(r#"a\"b"#)])
        );
        // Unfinished: the whole text.
        assert_eq!(typed("[1,2").1, Value::from("[1,2"));
        // Read up to its end, the rest ignored.
        assert_eq!(typed("[1]xyz").1, Value::Array(vec![Value::Int8(1)]));
    }

    #[test]
    fn java_trim_strips_controls_and_spaces() {
        assert_eq!(java_trim("\u{1} \t padded \n"), "padded");
        assert_eq!(java_trim("\u{a0}x\u{a0}"), "\u{a0}x\u{a0}");
    }
}
