//! `org.apache.kafka.connect.json.JsonConverter`: values as JSON, with or without the
//! `{"schema":...,"payload":...}` envelope, byte for byte as Kafka writes them.

mod parse;
mod write;

#[cfg(test)]
mod tests;

use crate::ConfigureAs;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use ferry_api::{
    ConnectError, Converter, Decimal, LogicalType, Props, Result, Schema, SchemaAndValue,
    SchemaBuilder, SchemaType, Struct, Time, Value,
};

use crate::config;
use parse::Json;

/// How Decimal values are written (`decimal.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalFormat {
    /// The unscaled value's two's-complement bytes in base64 (Kafka's default).
    Base64,
    /// A JSON number (`BigDecimal.toString`).
    Numeric,
}

#[derive(Debug, Clone, Copy)]
struct Settings {
    schemas_enable: bool,
    decimal_format: DecimalFormat,
    replace_null_with_default: bool,
}

const ENVELOPE_MESSAGE: &str = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" \
    fields and may not contain additional fields. If you are trying to deserialize plain JSON data, \
    set schemas.enable=false in your converter configuration.";

/// Schema JSON by schema address, with a copy of the schema to confirm the hit.
type SchemaJsonCache = HashMap<usize, (Schema, Arc<[u8]>)>;
/// Schemas by the exact text of their JSON.
// Keyed by the schema's JSON text (kilobytes per record with schemas.enable): a fast hash, as
// SipHash over that text cost about 5 % of a sink's CPU; the cache is bounded, so crafted
// collisions could only slow it, never grow it.
/// A schema's JSON text and the schema read from it.
type SchemaText = (Box<[u8]>, Option<Arc<Schema>>);
type SchemaCache = HashMap<Box<[u8]>, Option<Arc<Schema>>, rustc_hash::FxBuildHasher>;

/// Converts between JSON bytes and Connect data. With `schemas.enable=true` (the default) every
/// record is an envelope `{"schema":{...},"payload":...}`; with `false`, just the payload, read
/// back without a schema (numbers as INT64 or FLOAT64, objects as maps with string keys).
#[derive(Debug)]
pub struct JsonConverter {
    settings: Settings,
    cache_size: usize,
    schema_json_cache: Mutex<SchemaJsonCache>,
    schema_cache: Mutex<SchemaCache>,
    /// The schema text read last and its schema, for [`read_known_envelope`](Self::read_known_envelope).
    last_schema: Mutex<Option<SchemaText>>,
}

impl Default for JsonConverter {
    fn default() -> Self {
        JsonConverter {
            settings: Settings {
                schemas_enable: true,
                decimal_format: DecimalFormat::Base64,
                replace_null_with_default: true,
            },
            cache_size: 1000,
            schema_json_cache: Mutex::new(HashMap::new()),
            schema_cache: Mutex::new(HashMap::default()),
            last_schema: Mutex::new(None),
        }
    }
}

impl JsonConverter {
    pub const CLASS: &'static str = "org.apache.kafka.connect.json.JsonConverter";

    /// A converter with Kafka's defaults (`schemas.enable=true`, `decimal.format=BASE64`).
    pub fn new() -> Self {
        Self::default()
    }

    /// The same converter with `schemas.enable` set.
    pub fn with_schemas_enabled(mut self, enabled: bool) -> Self {
        self.settings.schemas_enable = enabled;
        self
    }

    /// The same converter with `decimal.format` set.
    pub fn with_decimal_format(mut self, format: DecimalFormat) -> Self {
        self.settings.decimal_format = format;
        self
    }

    pub fn schemas_enabled(&self) -> bool {
        self.settings.schemas_enable
    }

    pub fn decimal_format(&self) -> DecimalFormat {
        self.settings.decimal_format
    }

    /// A schema as the JSON the envelope carries (Kafka's `asJsonSchema`).
    pub fn schema_to_json(&self, schema: &Schema) -> Result<String> {
        let mut out = Vec::new();
        write_schema(&mut out, schema, &self.settings)?;
        String::from_utf8(out).map_err(|e| ConnectError::Data(e.to_string()))
    }

    /// A schema from envelope JSON (Kafka's `asConnectSchema`); `None` for JSON `null`.
    pub fn schema_from_json(&self, json: &str) -> Result<Option<Schema>> {
        let j = parse::parse(json.as_bytes())
            .map_err(|e| ConnectError::Data(format!("Invalid schema JSON: {e}")))?
            .ok_or_else(|| ConnectError::Data("Invalid schema JSON: empty".to_string()))?;
        read_schema(&j, &self.settings)
    }

    fn configure_props(&mut self, props: &Props, usage: &str) -> Result<()> {
        let parsed = config::parse(&config::json_config_def(), props, usage)?;
        self.settings.schemas_enable = parsed
            .boolean(config::SCHEMAS_ENABLE_CONFIG)
            .unwrap_or(true);
        self.settings.replace_null_with_default = parsed
            .boolean(config::REPLACE_NULL_WITH_DEFAULT_CONFIG)
            .unwrap_or(true);
        self.settings.decimal_format = match parsed.string(config::DECIMAL_FORMAT_CONFIG) {
            Some(f) if f.eq_ignore_ascii_case("NUMERIC") => DecimalFormat::Numeric,
            _ => DecimalFormat::Base64,
        };
        self.cache_size = parsed
            .int(config::SCHEMAS_CACHE_SIZE_CONFIG)
            .map_or(1000, |n| usize::try_from(n).unwrap_or(0));
        if let Ok(mut c) = self.schema_json_cache.lock() {
            c.clear();
        }
        if let Ok(mut c) = self.schema_cache.lock() {
            c.clear();
        }
        if let Ok(mut c) = self.last_schema.lock() {
            *c = None;
        }
        Ok(())
    }

    /// The schema's JSON, from the cache when this very schema was written before.
    fn schema_json(&self, schema: &Schema) -> Result<Arc<[u8]>> {
        let key = schema as *const Schema as usize;
        if let Ok(cache) = self.schema_json_cache.lock() {
            if let Some((cached, json)) = cache.get(&key) {
                if cached == schema {
                    return Ok(json.clone());
                }
            }
        }
        let mut out = Vec::new();
        write_schema(&mut out, schema, &self.settings)?;
        let json: Arc<[u8]> = out.into();
        if self.cache_size > 0 {
            if let Ok(mut cache) = self.schema_json_cache.lock() {
                if cache.len() >= self.cache_size {
                    cache.clear();
                }
                cache.insert(key, (schema.clone(), json.clone()));
            }
        }
        Ok(json)
    }

    /// An envelope laid out as JsonConverter writes it, `{"schema":S,"payload":P}`, whose `S` is
    /// the text of the schema read last: the schema is known without scanning its text (a JSON
    /// object ends where its own text says, so equal bytes are the same object), and only the
    /// payload is parsed. `None` for anything else, which the general path reads.
    fn read_known_envelope(&self, bytes: &[u8]) -> Option<Result<SchemaAndValue>> {
        const HEAD: &[u8] = b"{\"schema\":";
        const MIDDLE: &[u8] = b",\"payload\":";
        let after_head = bytes.strip_prefix(HEAD)?;
        let (schema, schema_len) = {
            let last = self.last_schema.lock().ok()?;
            let (text, schema) = last.as_ref()?;
            after_head.strip_prefix(&**text)?.strip_prefix(MIDDLE)?;
            (schema.clone(), text.len())
        };
        let start = HEAD.len() + schema_len + MIDDLE.len();
        let end = bytes.iter().rposition(|b| !b.is_ascii_whitespace())?;
        if bytes.get(end) != Some(&b'}') || end < start {
            return None;
        }
        let payload = parse::parse_exact(bytes, (start, end)).ok()?;
        Some(
            read_value(schema.as_ref(), &payload, &self.settings).map(|value| SchemaAndValue {
                schema,
                value: Some(value).filter(|v| !v.is_null()),
            }),
        )
    }

    /// The schema of an envelope, from the cache when the same schema text was read before.
    fn connect_schema(&self, input: &[u8], span: (usize, usize)) -> Result<Option<Arc<Schema>>> {
        let text = input.get(span.0..span.1).unwrap_or_default();
        if let Ok(cache) = self.schema_cache.lock() {
            if let Some(s) = cache.get(text) {
                return Ok(s.clone());
            }
        }
        let json = parse::parse_span(input, span).map_err(syntax_error)?;
        let schema = read_schema(&json, &self.settings)?.map(Arc::new);
        if self.cache_size > 0 {
            if let Ok(mut cache) = self.schema_cache.lock() {
                if cache.len() >= self.cache_size {
                    cache.clear();
                }
                cache.insert(text.into(), schema.clone());
            }
        }
        Ok(schema)
    }

    fn write_json(
        &self,
        schema: Option<&Schema>,
        value: Option<&Value>,
    ) -> Result<Option<Vec<u8>>> {
        let value = value.filter(|v| !v.is_null());
        if schema.is_none() && value.is_none() {
            return Ok(None);
        }
        let null = Value::Null;
        let value = value.unwrap_or(&null);
        let mut out = Vec::with_capacity(128);
        if self.settings.schemas_enable {
            out.extend_from_slice(b"{\"schema\":");
            match schema {
                Some(s) => out.extend_from_slice(&self.schema_json(s)?),
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b",\"payload\":");
            write_value(&mut out, schema, value, &self.settings)?;
            out.push(b'}');
        } else {
            write_value(&mut out, schema, value, &self.settings)?;
        }
        Ok(Some(out))
    }

    fn read_json(&self, bytes: Option<&[u8]>) -> Result<SchemaAndValue> {
        let Some(bytes) = bytes else {
            // a tombstone
            return Ok(SchemaAndValue::NULL);
        };
        if !self.settings.schemas_enable {
            let Some(root) = parse::parse(bytes).map_err(syntax_error)? else {
                return Ok(SchemaAndValue::NULL);
            };
            let value = read_value(None, &root, &self.settings)?;
            return Ok(SchemaAndValue {
                schema: None,
                value: Some(value).filter(|v| !v.is_null()),
            });
        }
        if let Some(read) = self.read_known_envelope(bytes) {
            return read;
        }
        // Only the envelope's members are checked at first; the schema is built only when it is
        // not in the cache.
        let Some(parse::Top::Object(members)) = parse::parse_top(bytes).map_err(syntax_error)?
        else {
            return data_err(ENVELOPE_MESSAGE);
        };
        let last = |key: &str| members.iter().rev().find(|(k, _)| k == key).map(|m| m.1);
        let (Some(schema_span), Some(payload_span)) = (last("schema"), last("payload")) else {
            return data_err(ENVELOPE_MESSAGE);
        };
        let distinct = members
            .iter()
            .enumerate()
            .filter(|(i, (k, _))| !members[i + 1..].iter().any(|(n, _)| n == k))
            .count();
        if distinct != 2 {
            return data_err(ENVELOPE_MESSAGE);
        }
        let schema = self.connect_schema(bytes, schema_span)?;
        if let (Some(text), Ok(mut last)) = (
            bytes.get(schema_span.0..schema_span.1),
            self.last_schema.lock(),
        ) {
            if last.as_ref().is_none_or(|(t, _)| **t != *text) {
                *last = Some((text.into(), schema.clone()));
            }
        }
        let payload = parse::parse_span(bytes, payload_span).map_err(syntax_error)?;
        let value = read_value(schema.as_ref(), &payload, &self.settings)?;
        Ok(SchemaAndValue {
            schema,
            value: Some(value).filter(|v| !v.is_null()),
        })
    }
}

fn syntax_error(e: parse::ParseError) -> ConnectError {
    ConnectError::Data(format!(
        "Converting byte[] to Kafka Connect data failed due to serialization error: {e}"
    ))
}

impl Converter for JsonConverter {
    fn configure(&mut self, props: &Props, is_key: bool) -> Result<()> {
        self.configure_props(props, config::usage(is_key))
    }

    fn from_connect(
        &self,
        _topic: &str,
        schema: Option<&Schema>,
        value: Option<&Value>,
    ) -> Result<Option<Vec<u8>>> {
        self.write_json(schema, value)
    }

    fn to_connect(&self, _topic: &str, bytes: Option<&[u8]>) -> Result<SchemaAndValue> {
        self.read_json(bytes)
    }
}

impl ConfigureAs for JsonConverter {
    fn configure_as(&mut self, props: &Props, usage: &str) -> Result<()> {
        self.configure_props(props, usage)
    }
}

fn data_err<T>(msg: impl Into<String>) -> Result<T> {
    Err(ConnectError::Data(msg.into()))
}

// ---------------------------------------------------------------------------------------------
// Connect -> JSON

/// A schema as Kafka's `asJsonSchema` lays it out: `type`, then `items` / `keys`,`values` /
/// `fields`, then `optional`, `name`, `version`, `doc`, `parameters`, `default`.
fn write_schema(out: &mut Vec<u8>, schema: &Schema, s: &Settings) -> Result<()> {
    write_schema_open(out, schema, s)?;
    out.push(b'}');
    Ok(())
}

/// Everything of the schema object but its closing brace (a struct field appends `"field"`).
fn write_schema_open(out: &mut Vec<u8>, schema: &Schema, s: &Settings) -> Result<()> {
    out.extend_from_slice(b"{\"type\":");
    write::string(out, schema.kind.json_name());
    match schema.kind {
        SchemaType::Array => {
            out.extend_from_slice(b",\"items\":");
            write_optional_schema(out, schema.value_schema.as_deref(), s)?;
        }
        SchemaType::Map => {
            out.extend_from_slice(b",\"keys\":");
            write_optional_schema(out, schema.key_schema.as_deref(), s)?;
            out.extend_from_slice(b",\"values\":");
            write_optional_schema(out, schema.value_schema.as_deref(), s)?;
        }
        SchemaType::Struct => {
            out.extend_from_slice(b",\"fields\":[");
            for (i, field) in schema.fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_schema_open(out, &field.schema, s)?;
                out.extend_from_slice(b",\"field\":");
                write::string(out, &field.name);
                out.push(b'}');
            }
            out.push(b']');
        }
        _ => {}
    }
    out.extend_from_slice(if schema.optional {
        b",\"optional\":true"
    } else {
        b",\"optional\":false"
    });
    if let Some(name) = &schema.name {
        out.extend_from_slice(b",\"name\":");
        write::string(out, name);
    }
    if let Some(version) = schema.version {
        out.extend_from_slice(b",\"version\":");
        write::integer(out, version);
    }
    if let Some(doc) = &schema.doc {
        out.extend_from_slice(b",\"doc\":");
        write::string(out, doc);
    }
    if !schema.parameters.is_empty() {
        out.extend_from_slice(b",\"parameters\":{");
        for (i, (k, v)) in schema.parameters.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write::string(out, k);
            out.push(b':');
            write::string(out, v);
        }
        out.push(b'}');
    }
    if let Some(default) = &schema.default {
        out.extend_from_slice(b",\"default\":");
        write_value(out, Some(schema), default, s)?;
    }
    Ok(())
}

fn write_optional_schema(out: &mut Vec<u8>, schema: Option<&Schema>, s: &Settings) -> Result<()> {
    match schema {
        Some(schema) => write_schema(out, schema, s),
        None => {
            out.extend_from_slice(b"null");
            Ok(())
        }
    }
}

/// A value as Kafka's `convertToJson` writes it.
fn write_value(
    out: &mut Vec<u8>,
    schema: Option<&Schema>,
    value: &Value,
    s: &Settings,
) -> Result<()> {
    if value.is_null() {
        let Some(schema) = schema else {
            out.extend_from_slice(b"null");
            return Ok(());
        };
        if let (Some(default), true) = (&schema.default, s.replace_null_with_default) {
            return write_value(out, Some(schema), default, s);
        }
        if schema.optional {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        return data_err(
            "Conversion error: null value for field that is required and has no default value",
        );
    }
    if let Some(schema) = schema {
        if let Some(logical) = LogicalType::of(schema) {
            return write_logical(out, logical, schema, value, s);
        }
    }
    let kind = match (schema, value.schema_type()) {
        (Some(schema), _) => schema.kind,
        (None, Some(kind)) => kind,
        (None, None) => return data_err("Couldn't convert null to JSON."),
    };
    match (kind, value) {
        (SchemaType::Int8, Value::Int8(v)) => write::integer(out, *v),
        (SchemaType::Int16, Value::Int16(v)) => write::integer(out, *v),
        (SchemaType::Int32, Value::Int32(v)) => write::integer(out, *v),
        (SchemaType::Int64, Value::Int64(v)) => write::integer(out, *v),
        (SchemaType::Float32, Value::Float32(v)) => write::float(out, *v),
        (SchemaType::Float64, Value::Float64(v)) => write::double(out, *v),
        (SchemaType::Boolean, Value::Boolean(b)) => {
            out.extend_from_slice(if *b { b"true" } else { b"false" })
        }
        (SchemaType::String, Value::String(v)) => write::string(out, v),
        (SchemaType::Bytes, Value::Bytes(b)) => write::base64(out, b),
        (SchemaType::Array, Value::Array(items)) => {
            let elem = schema.and_then(|s| s.value_schema.as_deref());
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, elem, item, s)?;
            }
            out.push(b']');
        }
        (SchemaType::Map, Value::Map(entries)) => write_map(out, schema, entries, s)?,
        (SchemaType::Struct, Value::Struct(st)) => {
            let st_schema = st.schema().as_ref();
            let schema = match schema {
                Some(schema) if !same_struct_schema(st_schema, schema) => {
                    return data_err("Mismatching schema.")
                }
                Some(schema) => schema,
                // Kafka refuses a struct without a schema; the struct's own schema serves.
                None => st_schema,
            };
            out.push(b'{');
            for (i, (field, v)) in schema.fields.iter().zip(st.values()).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write::string(out, &field.name);
                out.push(b':');
                write_value(out, Some(&field.schema), v, s)?;
            }
            out.push(b'}');
        }
        (kind, value) => {
            return data_err(format!("Invalid type for {kind}: {}", value.type_name()));
        }
    }
    Ok(())
}

/// A map: a JSON object when keys are strings, otherwise an array of `[key, value]` pairs.
fn write_map(
    out: &mut Vec<u8>,
    schema: Option<&Schema>,
    entries: &[(Value, Value)],
    s: &Settings,
) -> Result<()> {
    let key_schema = schema.and_then(|s| s.key_schema.as_deref());
    let value_schema = schema.and_then(|s| s.value_schema.as_deref());
    let object_mode = match key_schema {
        Some(k) => k.kind == SchemaType::String,
        None => entries.iter().all(|(k, _)| matches!(k, Value::String(_))),
    };
    if object_mode {
        out.push(b'{');
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match k {
                Value::String(key) => write::string(out, key),
                Value::Null => {
                    // Kafka writes the key's JSON text: the default if there is one, else "null".
                    match key_schema.and_then(|ks| ks.default.as_ref()) {
                        Some(Value::String(d)) if s.replace_null_with_default => {
                            write::string(out, d)
                        }
                        _ if key_schema.is_none_or(|ks| ks.optional) => {
                            write::string(out, "null")
                        }
                        _ => {
                            return data_err(
                                "Conversion error: null value for field that is required and has no default value",
                            )
                        }
                    }
                }
                other => {
                    return data_err(format!("Invalid type for STRING: {}", other.type_name()))
                }
            }
            out.push(b':');
            write_value(out, value_schema, v, s)?;
        }
        out.push(b'}');
    } else {
        out.push(b'[');
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'[');
            write_value(out, key_schema, k, s)?;
            out.push(b',');
            write_value(out, value_schema, v, s)?;
            out.push(b']');
        }
        out.push(b']');
    }
    Ok(())
}

fn write_logical(
    out: &mut Vec<u8>,
    logical: LogicalType,
    schema: &Schema,
    value: &Value,
    s: &Settings,
) -> Result<()> {
    match (logical, value) {
        (LogicalType::Decimal, Value::Bytes(b)) => match s.decimal_format {
            DecimalFormat::Base64 => write::base64(out, Decimal::normalize(b)),
            DecimalFormat::Numeric => {
                let scale = Decimal::scale(schema)?;
                out.extend_from_slice(Decimal::to_sci_string(b, scale).as_bytes());
            }
        },
        (LogicalType::Date, Value::Int32(days)) => write::integer(out, *days),
        (LogicalType::Time, Value::Int32(ms)) => {
            if !(0..Time::MILLIS_PER_DAY).contains(ms) {
                return data_err(
                    "Kafka Connect Time type should not have any date fields set to non-zero values.",
                );
            }
            write::integer(out, *ms)
        }
        (LogicalType::Timestamp, Value::Int64(ms)) => write::integer(out, *ms),
        (logical, value) => {
            let expected = match logical {
                LogicalType::Decimal => "BYTES (the unscaled value)",
                LogicalType::Date | LogicalType::Time => "INT32",
                LogicalType::Timestamp => "INT64",
            };
            let name = match logical {
                LogicalType::Decimal => "Decimal",
                LogicalType::Date => "Date",
                LogicalType::Time => "Time",
                LogicalType::Timestamp => "Timestamp",
            };
            return data_err(format!(
                "Invalid type for {name}, expected {expected} but was {}",
                value.type_name()
            ));
        }
    }
    Ok(())
}

/// Whether a struct value's schema is the schema it is written with. A struct used as its own
/// schema's default carries the schema without that default, so the default is not compared.
fn same_struct_schema(a: &Schema, b: &Schema) -> bool {
    a == b
        || (a.kind == b.kind
            && a.optional == b.optional
            && a.name == b.name
            && a.version == b.version
            && a.doc == b.doc
            && a.parameters == b.parameters
            && a.fields == b.fields
            && a.key_schema == b.key_schema
            && a.value_schema == b.value_schema)
}

// ---------------------------------------------------------------------------------------------
// JSON -> Connect

/// A schema as Kafka's `asConnectSchema` reads it; `None` for JSON `null`.
fn read_schema(j: &Json<'_>, s: &Settings) -> Result<Option<Schema>> {
    if j.is_null() {
        return Ok(None);
    }
    let type_name = match j.get("type") {
        Some(Json::String(t)) => t,
        _ => return data_err("Schema must contain 'type' field"),
    };
    let mut b = match type_name.as_ref() {
        "array" => {
            let items = match j.get("items") {
                Some(items) if !items.is_null() => items,
                _ => return data_err("Array schema did not specify the element type"),
            };
            SchemaBuilder::array(required_schema(items, s, "Array element schema")?)
        }
        "map" => {
            let keys = j.get("keys").ok_or_else(|| {
                ConnectError::Data("Map schema did not specify the key type".into())
            })?;
            let values = j.get("values").ok_or_else(|| {
                ConnectError::Data("Map schema did not specify the value type".into())
            })?;
            SchemaBuilder::map(
                required_schema(keys, s, "Map key schema")?,
                required_schema(values, s, "Map value schema")?,
            )
        }
        "struct" => {
            let Some(Json::Array(fields)) = j.get("fields") else {
                return data_err("Struct schema's \"fields\" argument is not an array.");
            };
            let mut b = SchemaBuilder::struct_();
            for field in fields {
                let Some(Json::String(name)) = field.get("field") else {
                    return data_err("Struct schema's field name not specified properly");
                };
                b = b.field(name.as_ref(), required_schema(field, s, "Field schema")?);
            }
            b
        }
        other => match SchemaType::from_json_name(other) {
            Some(kind) => SchemaBuilder::new(kind),
            None => return data_err(format!("Unknown schema type: {other}")),
        },
    };
    b = match j.get("optional") {
        Some(Json::Bool(true)) => b.optional(),
        _ => b.required(),
    };
    if let Some(Json::String(name)) = j.get("name") {
        b = b.name(name.as_ref());
    }
    if let Some(Json::Number(v)) = j.get("version") {
        if is_integral(v) {
            b = b.version(java_long_value(v) as i32);
        }
    }
    if let Some(Json::String(doc)) = j.get("doc") {
        b = b.doc(doc.as_ref());
    }
    if let Some(Json::Object(params)) = j.get("parameters") {
        for p in params {
            let Json::String(v) = &p.value else {
                return data_err("Schema parameters must have string values.");
            };
            b = b.parameter(p.key.as_ref(), v.as_ref());
        }
    }
    if let Some(default) = j.get("default") {
        let so_far = Arc::new(b.peek().clone());
        let value = read_value(Some(&so_far), default, s)?;
        b = b.default_value(value);
    }
    b.build().map(Some)
}

fn required_schema(j: &Json<'_>, s: &Settings, what: &str) -> Result<Schema> {
    read_schema(j, s)?.ok_or_else(|| ConnectError::Data(format!("{what} cannot be null.")))
}

/// A value as Kafka's `convertToConnect` reads it; `Null` where the JSON is null (or missing).
fn read_value(schema: Option<&Arc<Schema>>, j: &Json<'_>, s: &Settings) -> Result<Value> {
    let Some(schema) = schema else {
        return read_schemaless(j);
    };
    if j.is_null() {
        if let (Some(default), true) = (&schema.default, s.replace_null_with_default) {
            return Ok(default.clone());
        }
        if schema.optional {
            return Ok(Value::Null);
        }
        return data_err(format!(
            "Invalid null value for required {} field",
            schema.kind
        ));
    }
    if let Some(logical) = LogicalType::of(schema) {
        return read_logical(logical, schema, j);
    }
    let mismatch = || {
        data_err(format!(
            "Invalid JSON for schema type {}: found {}",
            schema.kind,
            j.node_type()
        ))
    };
    Ok(match schema.kind {
        SchemaType::Boolean => match j {
            Json::Bool(b) => Value::Boolean(*b),
            _ => return mismatch(),
        },
        SchemaType::Int8 => match j {
            Json::Number(t) => Value::Int8(java_long_value(t) as i8),
            _ => return mismatch(),
        },
        SchemaType::Int16 => match j {
            Json::Number(t) => Value::Int16(java_long_value(t) as i16),
            _ => return mismatch(),
        },
        SchemaType::Int32 => match j {
            Json::Number(t) => Value::Int32(java_long_value(t) as i32),
            _ => return mismatch(),
        },
        SchemaType::Int64 => match j {
            Json::Number(t) => Value::Int64(java_long_value(t)),
            _ => return mismatch(),
        },
        SchemaType::Float32 => match j {
            Json::Number(t) => Value::Float32(parse_float(t)?),
            Json::String(t) => Value::Float32(non_finite(t).ok_or_else(|| {
                ConnectError::Data(format!("Invalid JSON for schema type FLOAT32: \"{t}\""))
            })? as f32),
            _ => return mismatch(),
        },
        SchemaType::Float64 => match j {
            Json::Number(t) => Value::Float64(parse_float(t)?),
            Json::String(t) => Value::Float64(non_finite(t).ok_or_else(|| {
                ConnectError::Data(format!("Invalid JSON for schema type FLOAT64: \"{t}\""))
            })?),
            _ => return mismatch(),
        },
        SchemaType::String => match j {
            Json::String(t) => Value::String(t.as_ref().to_owned()),
            _ => return mismatch(),
        },
        SchemaType::Bytes => match j {
            Json::String(t) => Value::Bytes(
                decode_base64(t).ok_or_else(|| ConnectError::Data("Invalid bytes field".into()))?,
            ),
            _ => return mismatch(),
        },
        SchemaType::Array => match j {
            Json::Array(items) => {
                let elem = schema.value_schema.as_ref();
                Value::Array(
                    items
                        .iter()
                        .map(|i| read_value(elem, i, s))
                        .collect::<Result<_>>()?,
                )
            }
            _ => return mismatch(),
        },
        SchemaType::Map => read_map(schema, j, s)?,
        SchemaType::Struct => {
            let Json::Object(members) = j else {
                return data_err(format!(
                    "Structs should be encoded as JSON objects, but found {}",
                    j.node_type()
                ));
            };
            let mut values = Vec::with_capacity(schema.fields.len());
            for (i, field) in schema.fields.iter().enumerate() {
                // JSON written by Kafka has the fields in schema order: try that place first.
                let member = match members.get(i) {
                    Some(m) if m.key == field.name => Some(m),
                    _ => members.iter().rev().find(|m| m.key == field.name),
                };
                let v = member.map_or(&Json::Null, |m| &m.value);
                values.push(read_value(Some(&field.schema), v, s)?);
            }
            Value::Struct(Struct::from_values_unchecked(schema.clone(), values))
        }
    })
}

fn read_map(schema: &Arc<Schema>, j: &Json<'_>, s: &Settings) -> Result<Value> {
    let key_schema = schema.key_schema.as_ref();
    let value_schema = schema.value_schema.as_ref();
    if key_schema.is_none_or(|k| k.kind == SchemaType::String) {
        let Json::Object(members) = j else {
            return data_err(format!(
                "Maps with string fields should be encoded as JSON objects, but found {}",
                j.node_type()
            ));
        };
        let mut entries = Vec::with_capacity(members.len());
        for m in members {
            entries.push((
                Value::String(m.key.as_ref().to_owned()),
                read_value(value_schema, &m.value, s)?,
            ));
        }
        return Ok(Value::Map(entries));
    }
    let Json::Array(items) = j else {
        return data_err(format!(
            "Maps with non-string fields should be encoded as JSON array of tuples, but found {}",
            j.node_type()
        ));
    };
    let mut entries = Vec::with_capacity(items.len());
    for item in items {
        let Json::Array(pair) = item else {
            return data_err(format!(
                "Found invalid map entry instead of array tuple: {}",
                item.node_type()
            ));
        };
        let [k, v] = pair.as_slice() else {
            return data_err(format!(
                "Found invalid map entry, expected length 2 but found :{}",
                pair.len()
            ));
        };
        entries.push((
            read_value(key_schema, k, s)?,
            read_value(value_schema, v, s)?,
        ));
    }
    Ok(Value::Map(entries))
}

fn read_logical(logical: LogicalType, schema: &Schema, j: &Json<'_>) -> Result<Value> {
    match logical {
        LogicalType::Decimal => match j {
            Json::Number(t) => {
                let scale = Decimal::scale(schema)?;
                Ok(Value::Bytes(Decimal::parse(t, scale)?))
            }
            Json::String(t) => match decode_base64(t) {
                Some(b) => Ok(Value::Bytes(Decimal::normalize(&b).to_vec())),
                None => data_err("Invalid bytes for Decimal field"),
            },
            other => data_err(format!(
                "Invalid type for Decimal, underlying representation should be numeric or bytes but was {}",
                other.node_type()
            )),
        },
        LogicalType::Date | LogicalType::Time => {
            let name = if logical == LogicalType::Date {
                "Date"
            } else {
                "Time"
            };
            match j {
                Json::Number(t) if is_integral(t) => match t.parse::<i32>() {
                    Ok(v) => Ok(Value::Int32(v)),
                    Err(_) => data_err(format!(
                        "Invalid type for {name}, underlying representation should be integer but was NUMBER"
                    )),
                },
                other => data_err(format!(
                    "Invalid type for {name}, underlying representation should be integer but was {}",
                    other.node_type()
                )),
            }
        }
        LogicalType::Timestamp => match j {
            Json::Number(t) if is_integral(t) => Ok(Value::Int64(java_long_value(t))),
            other => data_err(format!(
                "Invalid type for Timestamp, underlying representation should be integral but was {}",
                other.node_type()
            )),
        },
    }
}

/// A value without a schema: integers as INT64, other numbers as FLOAT64, objects as maps.
fn read_schemaless(j: &Json<'_>) -> Result<Value> {
    Ok(match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(t) if is_integral(t) => Value::Int64(java_long_value(t)),
        Json::Number(t) => Value::Float64(parse_float(t)?),
        Json::String(t) => Value::String(t.as_ref().to_owned()),
        Json::Array(items) => {
            Value::Array(items.iter().map(read_schemaless).collect::<Result<_>>()?)
        }
        Json::Object(members) => Value::Map(
            members
                .iter()
                .map(|m| {
                    Ok((
                        Value::String(m.key.as_ref().to_owned()),
                        read_schemaless(&m.value)?,
                    ))
                })
                .collect::<Result<_>>()?,
        ),
    })
}

fn is_integral(number: &str) -> bool {
    !number.bytes().any(|c| matches!(c, b'.' | b'e' | b'E'))
}

fn parse_float<F: std::str::FromStr>(t: &str) -> Result<F> {
    t.parse::<F>()
        .or_else(|_| data_err(format!("Invalid number {t}")))
}

/// Jackson writes non-finite doubles as the strings `NaN`, `Infinity`, `-Infinity`.
fn non_finite(t: &str) -> Option<f64> {
    match t {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// A JSON number as Java's `longValue()` gives it: the fraction dropped, then the low 64 bits.
fn java_long_value(text: &str) -> i64 {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => {
            let e = &rest[i + 1..];
            let exp = e.parse::<i64>().unwrap_or(if e.starts_with('-') {
                i64::MIN / 2
            } else {
                i64::MAX / 2
            });
            (&rest[..i], exp)
        }
        None => (rest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut acc: u64 = 0;
    let push = |acc: u64, d: u8| {
        acc.wrapping_mul(10)
            .wrapping_add(u64::from(d.wrapping_sub(b'0') % 10))
    };
    if exponent >= 0 {
        for d in int_part.bytes() {
            acc = push(acc, d);
        }
        let exp = usize::try_from(exponent).unwrap_or(usize::MAX);
        let from_frac = exp.min(frac_part.len());
        for d in frac_part.bytes().take(from_frac) {
            acc = push(acc, d);
        }
        // 10^64 is a multiple of 2^64: more zeros change nothing in the low 64 bits.
        for _ in 0..(exp - from_frac).min(64) {
            acc = acc.wrapping_mul(10);
        }
    } else {
        let drop = usize::try_from(exponent.unsigned_abs()).unwrap_or(usize::MAX);
        let keep = int_part.len().saturating_sub(drop);
        for d in int_part.bytes().take(keep) {
            acc = push(acc, d);
        }
    }
    let v = if negative { acc.wrapping_neg() } else { acc };
    v as i64
}

fn decode_base64(t: &str) -> Option<Vec<u8>> {
    use base64::engine::{
        general_purpose, DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig,
    };
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    if let Ok(b) = general_purpose::STANDARD.decode(t) {
        return Some(b);
    }
    let compact: String = t.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    LENIENT.decode(compact).ok()
}
