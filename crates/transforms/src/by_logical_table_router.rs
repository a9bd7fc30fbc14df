//! `io.debezium.transforms.ByLogicalTableRouter` (Debezium 3.x): sends the change events of
//! several physical tables (shards) to one topic. When the whole topic name matches
//! `topic.regex`, the record goes to `topic.replacement` (Java `$1` group references) and
//!
//! - a struct key gets the schema name `NEW_TOPIC.Key` and, with `key.enforce.uniqueness`
//!   (the default), a string field `key.field.name` holding the original topic, or what
//!   `key.field.regex` / `key.field.replacement` make of it, so that rows of different shards
//!   with the same primary key stay apart; a null key loses its schema;
//! - a change event envelope (value schema named `*.Envelope`) is renamed `NEW_TOPIC.Envelope`
//!   and its `before` / `after` row schema `NEW_TOPIC.Value`.
//!
//! Other values (tombstones, heartbeats, schema change events) are left as they are; the names
//! are adjusted as `schema.name.adjustment.mode` says. A record whose topic does not match, or
//! matches into an empty name, passes unchanged. A key that is not a struct (e.g. a schemaless
//! map) is an error, as in Debezium.

use std::sync::Arc;

use regex::Regex;

use ferry_api::config::ConfigValue;
use ferry_api::data::{Schema, SchemaBuilder, Struct, Value};
use ferry_api::{
    ConfigDef, ConfigType, ConnectError, ConnectRecord, Importance, Props, Result, Transformation,
};

use crate::debezium::{self, SchemaNameAdjustment, AFTER, BEFORE};
use crate::regex_router::{full_match, java_replacement};
use crate::util::{self, SchemaCache};

#[cfg(test)]
mod tests;

const TOPIC_REGEX: &str = "topic.regex";
const TOPIC_REPLACEMENT: &str = "topic.replacement";
const KEY_ENFORCE_UNIQUENESS: &str = "key.enforce.uniqueness";
const KEY_FIELD_NAME: &str = "key.field.name";
const KEY_FIELD_REGEX: &str = "key.field.regex";
const KEY_FIELD_REPLACEMENT: &str = "key.field.replacement";
const CACHE_SIZE: &str = "logical.table.cache.size";
const PURPOSE: &str = "Updating schema";

fn regex_syntax() -> ferry_api::config::Validator {
    Arc::new(|v| match v {
        ConfigValue::String(s) => full_match(s).map(|_| ()),
        _ => Ok(()),
    })
}

pub fn config_def() -> ConfigDef {
    let def = ConfigDef::new()
        .required(
            TOPIC_REGEX,
            ConfigType::String,
            Importance::Low,
            "The regular expression the whole topic name must match to be rerouted; its groups \
             can be used in topic.replacement.",
        )
        .validate_with(regex_syntax())
        .required(
            TOPIC_REPLACEMENT,
            ConfigType::String,
            Importance::Low,
            "The new topic name, with $1, $2... standing for the groups topic.regex matched.",
        )
        .validate_with(ferry_api::config::validators::non_empty_string())
        .optional(
            KEY_ENFORCE_UNIQUENESS,
            ConfigType::Boolean,
            Some("true"),
            Importance::Low,
            "Whether to add to each rerouted key a field telling which topic (physical table) \
             it came from, so that equal primary keys of different tables stay distinct. Set \
             false only when keys are unique across the tables.",
        )
        .optional(
            KEY_FIELD_NAME,
            ConfigType::String,
            Some("__dbz__physicalTableIdentifier"),
            Importance::Low,
            "The name of the key field key.enforce.uniqueness adds; pick one no key has.",
        )
        .validate_with(ferry_api::config::validators::non_empty_string())
        .optional(
            KEY_FIELD_REGEX,
            ConfigType::String,
            None,
            Importance::Low,
            "A regular expression the original topic name is matched against to make the \
             value of the added key field (with key.field.replacement); without it, or when \
             it does not match, the value is the original topic name.",
        )
        .validate_with(regex_syntax())
        .optional(
            KEY_FIELD_REPLACEMENT,
            ConfigType::String,
            None,
            Importance::Low,
            "The value of the added key field, with $1, $2... standing for the groups \
             key.field.regex matched; required when key.field.regex is set.",
        )
        .optional(
            CACHE_SIZE,
            ConfigType::Int,
            Some("16"),
            Importance::Low,
            "Accepted for compatibility with Debezium, which keeps this many derived schemas \
             and topic names; ferry keeps the last one of each.",
        );
    debezium::with_schema_name_adjustment(def, "none")
}

/// What a regex and Java replacement make of a whole name; `None` when it does not match.
fn rewrite(regex: &Regex, replacement: &str, name: &str) -> Option<String> {
    regex.captures(name).map(|caps| {
        let mut out = String::new();
        caps.expand(replacement, &mut out);
        out
    })
}

/// A copy of a schema under another name, without default (Debezium's copy "excluding name").
fn renamed(schema: &Schema, name: String) -> Schema {
    let mut copy = schema.clone();
    copy.name = Some(name);
    copy.default = None;
    copy
}

/// The key schema for the new topic, with the identifier field when there is one.
fn key_schema(
    old: &Schema,
    topic: &str,
    adjust: SchemaNameAdjustment,
    identifier: Option<&str>,
) -> Result<Arc<Schema>> {
    let b = SchemaBuilder::from_schema(renamed(old, adjust.adjust(&format!("{topic}.Key"))));
    match identifier {
        Some(field) => util::build(b.field(field, Schema::string())),
        None => util::build(b),
    }
}

/// The envelope schema for the new topic: renamed, with its `before` and `after` row schema
/// renamed too.
fn envelope_schema(old: &Schema, topic: &str, adjust: SchemaNameAdjustment) -> Result<Arc<Schema>> {
    let row = &debezium::envelope_field(old, BEFORE)?.schema;
    let row = Arc::new(renamed(row, adjust.adjust(&format!("{topic}.Value"))));
    let mut envelope = renamed(old, adjust.adjust(&debezium::envelope_name(topic)));
    for f in &mut envelope.fields {
        if f.name == BEFORE || f.name == AFTER {
            f.schema = row.clone();
        }
    }
    Ok(Arc::new(envelope))
}

/// The envelope's values under the new schema (defaults applied, as Debezium reads them), the
/// rows moved under the new row schema as they are.
fn envelope_value(old: Struct, schema: &Arc<Schema>) -> Result<Struct> {
    let row_schema = debezium::envelope_field(schema, BEFORE)?.schema.clone();
    let old_schema = old.schema().clone();
    let mut values = Vec::with_capacity(old_schema.fields.len());
    for (f, v) in old_schema.fields.iter().zip(old.into_values()) {
        let v = match (v, &f.schema.default) {
            (Value::Null, Some(d)) => d.clone(),
            (v, _) => v,
        };
        let row = (f.name == BEFORE || f.name == AFTER) && !v.is_null();
        values.push(if row {
            let row = util::into_struct(v, PURPOSE)?;
            Value::Struct(Struct::from_values(row_schema.clone(), row.into_values())?)
        } else {
            v
        });
    }
    Struct::from_values(schema.clone(), values)
}

pub struct ByLogicalTableRouter {
    topic_regex: Option<Regex>,
    topic_replacement: String,
    enforce_uniqueness: bool,
    key_field_name: String,
    /// `key.field.regex` and its replacement, when set.
    key_field: Option<(Regex, String)>,
    adjust: SchemaNameAdjustment,
    /// The last topic rerouted and where it went (`None`: it did not match).
    last_topic: Option<(String, Option<String>)>,
    key_cache: SchemaCache<(Arc<Schema>, String)>,
    envelope_cache: SchemaCache<(Arc<Schema>, String)>,
}

impl ByLogicalTableRouter {
    pub fn new() -> Self {
        ByLogicalTableRouter {
            topic_regex: None,
            topic_replacement: String::new(),
            enforce_uniqueness: true,
            key_field_name: String::new(),
            key_field: None,
            adjust: SchemaNameAdjustment::None,
            last_topic: None,
            key_cache: SchemaCache::default(),
            envelope_cache: SchemaCache::default(),
        }
    }

    fn new_topic(&mut self, old: &str) -> Result<Option<String>> {
        if let Some((o, new)) = &self.last_topic {
            if o == old {
                return Ok(new.clone());
            }
        }
        let regex = self
            .topic_regex
            .as_ref()
            .ok_or_else(|| ConnectError::Other("ByLogicalTableRouter is not configured".into()))?;
        let new = rewrite(regex, &self.topic_replacement, old);
        self.last_topic = Some((old.to_string(), new.clone()));
        Ok(new)
    }

    /// The value of the identifier field for a record of this topic.
    fn physical_table(&self, topic: &str) -> String {
        self.key_field
            .as_ref()
            .and_then(|(regex, replacement)| rewrite(regex, replacement, topic))
            .unwrap_or_else(|| topic.to_string())
    }
}

impl Default for ByLogicalTableRouter {
    fn default() -> Self {
        ByLogicalTableRouter::new()
    }
}

impl Transformation for ByLogicalTableRouter {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&config_def(), props)?;
        let compile = |key: &str| -> Result<Option<Regex>> {
            match c.string(key).filter(|p| !p.is_empty()) {
                Some(p) => full_match(p)
                    .map(Some)
                    .map_err(|why| util::invalid(key, p, &why)),
                None => Ok(None),
            }
        };
        let topic_regex = compile(TOPIC_REGEX)?;
        let groups = topic_regex.as_ref().map_or(1, Regex::captures_len);
        let replacement = c.string(TOPIC_REPLACEMENT).unwrap_or_default();
        self.topic_replacement = java_replacement(replacement, groups);
        self.topic_regex = topic_regex;
        self.key_field = match compile(KEY_FIELD_REGEX)? {
            None => None,
            Some(regex) => {
                let replacement = c.string(KEY_FIELD_REPLACEMENT).unwrap_or_default();
                if replacement.is_empty() {
                    return Err(util::invalid(
                        KEY_FIELD_REPLACEMENT,
                        replacement,
                        &format!("{KEY_FIELD_REPLACEMENT} must be non-empty if {KEY_FIELD_REGEX} is set."),
                    ));
                }
                let replacement = java_replacement(replacement, regex.captures_len());
                Some((regex, replacement))
            }
        };
        self.enforce_uniqueness = c.boolean(KEY_ENFORCE_UNIQUENESS).unwrap_or(true);
        self.key_field_name = c.string(KEY_FIELD_NAME).unwrap_or_default().to_string();
        let mode = c
            .string(debezium::SCHEMA_NAME_ADJUSTMENT_MODE)
            .unwrap_or_default();
        self.adjust = SchemaNameAdjustment::parse(mode).ok_or_else(|| {
            util::invalid(
                debezium::SCHEMA_NAME_ADJUSTMENT_MODE,
                mode,
                "String must be one of: none, avro, avro_unicode",
            )
        })?;
        self.last_topic = None;
        self.key_cache = SchemaCache::default();
        self.envelope_cache = SchemaCache::default();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>> {
        let new_topic = match self.new_topic(record.topic())? {
            Some(t) if !t.is_empty() => t,
            _ => return Ok(Some(record)),
        };
        let adjust = self.adjust;
        let (_, key) = record.take_key();
        if !key.is_null() {
            let key = util::into_struct(key, PURPOSE)?;
            let identifier = self
                .enforce_uniqueness
                .then_some(self.key_field_name.as_str());
            let schema = self
                .key_cache
                .get_or(&(key.schema().clone(), new_topic.clone()), |(s, t)| {
                    key_schema(s, t, adjust, identifier)
                })?;
            let mut values = key.into_values();
            if self.enforce_uniqueness {
                values.push(Value::String(self.physical_table(record.topic())));
            }
            let key = Struct::from_values(schema.clone(), values)?;
            record.set_key(Some(schema), Value::Struct(key));
        }
        if !record.value().is_null() && debezium::is_envelope(record.value_schema()) {
            let (_, value) = record.take_value();
            let envelope = util::into_struct(value, PURPOSE)?;
            let schema = self
                .envelope_cache
                .get_or(&(envelope.schema().clone(), new_topic.clone()), |(s, t)| {
                    envelope_schema(s, t, adjust)
                })?;
            let envelope = envelope_value(envelope, &schema)?;
            record.set_value(Some(schema), Value::Struct(envelope));
        }
        record.set_topic(new_topic);
        Ok(Some(record))
    }
}
