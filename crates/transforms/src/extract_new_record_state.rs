//! `io.debezium.transforms.ExtractNewRecordState` (Debezium 3.x): replaces a change event
//! envelope with the row state it carries — `after` for creates, reads and updates, and for
//! deletes what `delete.tombstone.handling.mode` says — and can copy envelope fields
//! (`add.fields`, `add.headers`), route by a row field and drop fields a header names.
//!
//! Only records whose value schema is named `*.Envelope` are unwrapped, so a record without a
//! schema (JSON with `schemas.enable=false`), a heartbeat or a schema change event passes
//! unchanged. A tombstone (null value) is dropped unless the mode is `rewrite-with-tombstone`.
//! An event with neither `before` nor `after` (a truncate, a message) is dropped.
//!
//! The keys `drop.tombstones` and `delete.handling.mode`, removed in Debezium 3.2, are ignored
//! as Debezium 3.x ignores them.

use std::sync::Arc;

use ferry_api::data::{Schema, SchemaType, Struct, Value};
use ferry_api::{
    ConfigDef, ConfigType, ConnectError, ConnectRecord, Importance, Props, Result, Transformation,
};

use crate::debezium::{self, AFTER, BEFORE};
use crate::insert_field::InsertField;
use crate::util::{self, SchemaCache, Target};

mod drop_fields;
mod metadata;
#[cfg(test)]
mod tests;

use drop_fields::FieldDropper;
use metadata::FieldReference;

const MODE: &str = "delete.tombstone.handling.mode";
const ROUTE_BY_FIELD: &str = "route.by.field";
const ADD_FIELDS: &str = "add.fields";
const ADD_FIELDS_PREFIX: &str = "add.fields.prefix";
const ADD_HEADERS: &str = "add.headers";
const ADD_HEADERS_PREFIX: &str = "add.headers.prefix";
const DROP_FIELDS_HEADER: &str = "drop.fields.header.name";
const DROP_FIELDS_FROM_KEY: &str = "drop.fields.from.key";
const DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE: &str = "drop.fields.keep.schema.compatible";
const DELETED_FIELD: &str = "__deleted";
const PURPOSE: &str = "source field insertion";
const MODES: &[&str] = &[
    "drop",
    "tombstone",
    "rewrite",
    "rewrite-with-tombstone",
    "delete-to-tombstone",
];

/// Checks the entries of `add.fields` / `add.headers`.
fn field_references() -> ferry_api::config::Validator {
    Arc::new(|v| match v {
        ferry_api::config::ConfigValue::List(entries) => {
            FieldReference::parse_all("", entries).map(|_| ())
        }
        _ => Ok(()),
    })
}

pub fn config_def() -> ConfigDef {
    let list_doc = |target: &str| {
        format!(
            "Envelope fields to copy {target}, comma separated. A name alone is looked for in \
             the envelope (op, ts_ms, ts_us, ts_ns), in transaction (id, total_order, \
             data_collection_order) or else in source; struct.name names the struct. Each is \
             copied as the prefix followed by its name, or by struct_name when the struct is \
             named (source.ts_ms becomes __source_ts_ms); name:NEW (case sensitive) copies it \
             as the prefix followed by NEW. Fields the envelope does not have are skipped."
        )
    };
    ConfigDef::new()
        .optional(
            MODE,
            ConfigType::String,
            Some("tombstone"),
            Importance::Medium,
            "What becomes of delete events and of the tombstones that follow them: 'drop' drops \
             both; 'tombstone' (the default) turns the delete into a record with a null value \
             and drops the tombstone; 'rewrite' turns the delete into its before state with a \
             __deleted field 'true' (other events get 'false') and drops the tombstone; \
             'rewrite-with-tombstone' does the same but keeps the tombstone; \
             'delete-to-tombstone' turns the delete into a tombstone (no value schema either) \
             and drops the original tombstone.",
        )
        .validate_with(ferry_api::config::validators::one_of(MODES))
        .optional(
            ROUTE_BY_FIELD,
            ConfigType::String,
            Some(""),
            Importance::Low,
            "A string field of the row whose value, when not blank, becomes the record's topic \
             (for deletes, the field of the before state).",
        )
        .optional(
            ADD_FIELDS_PREFIX,
            ConfigType::String,
            Some("__"),
            Importance::Low,
            "The prefix of the fields add.fields adds.",
        )
        .optional(
            ADD_FIELDS,
            ConfigType::List,
            Some(""),
            Importance::Low,
            &list_doc("into the row as optional fields"),
        )
        .validate_with(field_references())
        .optional(
            ADD_HEADERS_PREFIX,
            ConfigType::String,
            Some("__"),
            Importance::Low,
            "The prefix of the headers add.headers adds.",
        )
        .optional(
            ADD_HEADERS,
            ConfigType::List,
            Some(""),
            Importance::Low,
            &(list_doc("into headers")
                + " A tombstone gets only the op header, with the value 'd'."),
        )
        .validate_with(field_references())
        .optional(
            DROP_FIELDS_HEADER,
            ConfigType::String,
            None,
            Importance::Low,
            "The name of a header holding a list of field names to remove from the unwrapped \
             value (and from the key with drop.fields.from.key).",
        )
        .optional(
            DROP_FIELDS_FROM_KEY,
            ConfigType::Boolean,
            Some("false"),
            Importance::Low,
            "Whether the fields named in the drop.fields.header.name header are removed from the \
             key too, not just from the value.",
        )
        .optional(
            DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE,
            ConfigType::Boolean,
            Some("true"),
            Importance::Low,
            "With true, only the named fields that are optional in the schema are removed, so \
             the new schema stays compatible with the old one; with false, every named field \
             is removed.",
        )
        .optional(
            util::REPLACE_NULL_WITH_DEFAULT,
            ConfigType::Boolean,
            Some("true"),
            Importance::Low,
            "When a rewrite mode adds __deleted, whether null fields that have a default value \
             get that default.",
        )
}

/// `delete.tombstone.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeleteHandling {
    Drop,
    Tombstone,
    Rewrite,
    RewriteWithTombstone,
    DeleteToTombstone,
}

impl DeleteHandling {
    fn parse(mode: &str) -> Option<DeleteHandling> {
        Some(match mode.trim().to_ascii_lowercase().as_str() {
            "drop" => DeleteHandling::Drop,
            "tombstone" => DeleteHandling::Tombstone,
            "rewrite" => DeleteHandling::Rewrite,
            "rewrite-with-tombstone" => DeleteHandling::RewriteWithTombstone,
            "delete-to-tombstone" => DeleteHandling::DeleteToTombstone,
            _ => return None,
        })
    }

    fn rewrites(self) -> bool {
        matches!(
            self,
            DeleteHandling::Rewrite | DeleteHandling::RewriteWithTombstone
        )
    }
}

/// The record a delegate that never drops one returned.
pub(crate) fn kept(record: Option<ConnectRecord>) -> Result<ConnectRecord> {
    record.ok_or_else(|| ConnectError::Other("a delegate transform dropped the record".into()))
}

/// A delegate `InsertField` adding `__deleted` with this value.
fn deleted_marker(value: &str, replace_null: bool) -> Result<InsertField> {
    let mut t = InsertField::new(Target::Value);
    t.configure(&Props::from([
        ("static.field".to_string(), DELETED_FIELD.to_string()),
        ("static.value".to_string(), value.to_string()),
        (
            util::REPLACE_NULL_WITH_DEFAULT.to_string(),
            replace_null.to_string(),
        ),
    ]))?;
    Ok(t)
}

pub struct ExtractNewRecordState {
    mode: DeleteHandling,
    route_by_field: Option<String>,
    add_fields: Vec<FieldReference>,
    add_headers: Vec<FieldReference>,
    drop_fields: FieldDropper,
    /// Adds `__deleted=true` to rewritten deletes, `__deleted=false` to the other events.
    mark_deleted: InsertField,
    mark_kept: InsertField,
    /// The row schema with the added fields, by row schema and envelope schema.
    fields_cache: SchemaCache<(Arc<Schema>, Arc<Schema>)>,
}

impl ExtractNewRecordState {
    pub fn new() -> Self {
        ExtractNewRecordState {
            mode: DeleteHandling::Tombstone,
            route_by_field: None,
            add_fields: Vec::new(),
            add_headers: Vec::new(),
            drop_fields: FieldDropper::default(),
            mark_deleted: InsertField::new(Target::Value),
            mark_kept: InsertField::new(Target::Value),
            fields_cache: SchemaCache::default(),
        }
    }

    /// The record with its value replaced by the row state; `None` to drop it.
    fn unwrap_event(
        &mut self,
        mut record: ConnectRecord,
        envelope: &Struct,
    ) -> Result<Option<ConnectRecord>> {
        let schema = envelope.schema();
        let after_schema = debezium::envelope_field(schema, AFTER)?.schema.clone();
        let after = util::field_value(envelope, AFTER, true);
        if !after.is_null() {
            let rewrite = self.mode.rewrites() && matches!(after, Value::Struct(_));
            record.set_value(Some(after_schema), after);
            if rewrite {
                record = kept(self.mark_kept.apply(record)?)?;
            }
            if let Some(field) = &self.route_by_field {
                let purpose = "Read record to set topic routing for CREATE / UPDATE";
                if let Some(topic) = routing_topic(record.value(), field, purpose)? {
                    record.set_topic(topic);
                }
            }
            self.add_fields(&mut record, envelope)?;
            return self.drop_fields.apply(record).map(Some);
        }
        let before_schema = debezium::envelope_field(schema, BEFORE)?.schema.clone();
        let before = util::field_value(envelope, BEFORE, true);
        if before.is_null() {
            // a truncate or a message: no row
            return Ok(None);
        }
        // a delete
        if self.mode == DeleteHandling::Drop {
            return Ok(None);
        }
        let topic = match &self.route_by_field {
            Some(field) => routing_topic(
                &before,
                field,
                "Read record to set topic routing for DELETE",
            )?,
            None => None,
        };
        match self.mode {
            DeleteHandling::Tombstone => record.set_value(Some(after_schema), Value::Null),
            DeleteHandling::DeleteToTombstone => record.set_value(None, Value::Null),
            _ => {
                // rewrite, rewrite-with-tombstone
                let is_struct = matches!(before, Value::Struct(_));
                record.set_value(Some(before_schema), before);
                if is_struct {
                    record = kept(self.mark_deleted.apply(record)?)?;
                }
            }
        }
        if let Some(topic) = topic {
            record.set_topic(topic);
        }
        let mut record = self.drop_fields.apply(record)?;
        if !record.value().is_null() {
            self.add_fields(&mut record, envelope)?;
        }
        Ok(Some(record))
    }

    /// Copies the `add.fields` fields of the envelope into the row (which must be a struct).
    fn add_fields(&mut self, record: &mut ConnectRecord, envelope: &Struct) -> Result<()> {
        let (_, value) = record.take_value();
        let row = util::into_struct(value, PURPOSE)?;
        let refs = &self.add_fields;
        let key = (row.schema().clone(), envelope.schema().clone());
        let schema = self
            .fields_cache
            .get_or(&key, |(r, e)| metadata::schema_with_fields(refs, r, e))?;
        let row = metadata::row_with_fields(refs, row, envelope, schema.clone())?;
        record.set_value(Some(schema), Value::Struct(row));
        Ok(())
    }
}

/// The topic a row's `route.by.field` names: `None` when the field is null or blank (its value
/// as set: Kafka's typed getters do not fall back to the default).
fn routing_topic(row: &Value, field: &str, purpose: &str) -> Result<Option<String>> {
    let row = util::require_struct(row, purpose)?;
    let f = row
        .schema()
        .field(field)
        .ok_or_else(|| ConnectError::Data(format!("{field} is not a valid field name")))?;
    if f.schema.kind != SchemaType::String {
        return Err(ConnectError::Data(format!(
            "Field '{field}' is not of type STRING"
        )));
    }
    Ok(match row.get_without_default(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    })
}

impl Default for ExtractNewRecordState {
    fn default() -> Self {
        ExtractNewRecordState::new()
    }
}

impl Transformation for ExtractNewRecordState {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&config_def(), props)?;
        let mode = c.string(MODE).unwrap_or_default();
        self.mode = DeleteHandling::parse(mode).ok_or_else(|| {
            util::invalid(
                MODE,
                mode,
                &format!("String must be one of: {}", MODES.join(", ")),
            )
        })?;
        self.route_by_field = c
            .string(ROUTE_BY_FIELD)
            .filter(|f| !f.is_empty())
            .map(str::to_string);
        let references = |key: &str, prefix_key: &str| {
            let prefix = c.string(prefix_key).unwrap_or_default();
            FieldReference::parse_all(prefix, &c.list(key))
                .map_err(|why| util::invalid(key, &c.list(key).join(","), &why))
        };
        self.add_fields = references(ADD_FIELDS, ADD_FIELDS_PREFIX)?;
        self.add_headers = references(ADD_HEADERS, ADD_HEADERS_PREFIX)?;
        self.drop_fields = FieldDropper::new(
            c.string(DROP_FIELDS_HEADER).filter(|h| !h.is_empty()),
            c.boolean(DROP_FIELDS_FROM_KEY).unwrap_or(false),
            c.boolean(DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE)
                .unwrap_or(true),
        );
        let replace_null = c.boolean(util::REPLACE_NULL_WITH_DEFAULT).unwrap_or(true);
        self.mark_deleted = deleted_marker("true", replace_null)?;
        self.mark_kept = deleted_marker("false", replace_null)?;
        self.fields_cache = SchemaCache::default();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>> {
        let tombstone = record.value().is_null();
        let envelope = debezium::is_envelope(record.value_schema());
        if !self.add_headers.is_empty() {
            let headers = match record.value() {
                Value::Null => metadata::headers(&self.add_headers, None),
                Value::Struct(event) if envelope => {
                    metadata::headers(&self.add_headers, Some(event))
                }
                _ => Vec::new(),
            };
            record.headers_mut().extend(headers);
        }
        if tombstone {
            let keep = self.mode == DeleteHandling::RewriteWithTombstone;
            return Ok(keep.then_some(record));
        }
        if !envelope {
            return Ok(Some(record));
        }
        let (_, value) = record.take_value();
        let envelope = util::into_struct(value, "field extraction")?;
        self.unwrap_event(record, &envelope)
    }
}
