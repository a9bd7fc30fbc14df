//! What one Kafka record asks of the target table: a row to write (`c`, `r`, `u` of a Debezium
//! change event, or a flat record), a row to delete (`d`, a tombstone), the table to empty (`t`),
//! or nothing. The row's columns and its primary key follow the key mode.

use std::collections::HashMap;
use std::sync::Arc;

use ferry_api::{Schema, SchemaType, SinkRecord, Value};

use crate::config::{Flavor, KeyMode, SinkConfig};
use crate::table::TableRef;
use crate::types::Kind;

/// The columns of a row, in order, and which of them make its primary key. Shared by every row
/// of the same record schema.
#[derive(Debug)]
pub struct Shape {
    pub columns: Vec<Column>,
    /// Indexes into `columns` of the primary key, in key order.
    pub key: Vec<usize>,
}

#[derive(Debug)]
pub struct Column {
    pub name: String,
    pub schema: Arc<Schema>,
    /// What the schema's values mean, worked out once for every row of the shape.
    pub kind: Kind,
}

impl Column {
    pub fn new(name: impl Into<String>, schema: Arc<Schema>) -> Column {
        let kind = Kind::of(&schema);
        Column {
            name: name.into(),
            schema,
            kind,
        }
    }
}

/// Where a record came from: named in every error about it.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
}

impl Origin<'_> {
    pub fn of(record: &SinkRecord) -> Origin<'_> {
        Origin {
            topic: &record.topic,
            partition: record.kafka_partition,
            offset: record.kafka_offset,
        }
    }
}

impl std::fmt::Display for Origin<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "topic {}, partition {}, offset {}",
            self.topic, self.partition, self.offset
        )
    }
}

/// A row operation on one table.
#[derive(Debug, Clone)]
pub enum Change {
    /// Write the row (insert, upsert or update as `insert.mode` says).
    Write {
        shape: Arc<Shape>,
        values: Vec<Value>,
    },
    /// Delete the row with this key (values in the order of `shape.key`).
    Delete { shape: Arc<Shape>, key: Vec<Value> },
    /// Empty the table.
    Truncate,
}

/// A change and the table it applies to.
#[derive(Debug)]
pub struct TableChange {
    pub table: TableRef,
    pub change: Change,
}

/// Why a record cannot be written, in words for the operator.
pub type RecordError = String;

/// A shape with the schemas it was built from, kept so that their addresses stay theirs.
struct Cached {
    row: Arc<Schema>,
    key: Option<Arc<Schema>>,
    shape: Arc<Shape>,
}

/// What the records of a topic share, worked out once: row shapes per schema pair, and the
/// table name when it depends on the topic alone (no `${source.*}` in the format).
#[derive(Default)]
pub struct Shapes {
    tables: HashMap<String, TableRef>,
    cache: HashMap<(usize, usize), Cached>,
    /// Each distinct shape once: schemas equal in content but built anew (by a transform, say)
    /// get the same shape, so that their rows share statements.
    distinct: Vec<Cached>,
}

const KAFKA_COLUMNS: [&str; 3] = ["__connect_topic", "__connect_partition", "__connect_offset"];

impl Shapes {
    /// The table a record of `topic` goes to.
    fn table(
        &mut self,
        config: &SinkConfig,
        topic: &str,
        source: Option<&ferry_api::Struct>,
    ) -> Result<TableRef, RecordError> {
        if config.table_format.contains("${source.") {
            return TableRef::from_format(config, topic, source);
        }
        if let Some(table) = self.tables.get(topic) {
            return Ok(table.clone());
        }
        let table = TableRef::from_format(config, topic, None)?;
        self.tables.insert(topic.to_string(), table.clone());
        Ok(table)
    }

    /// The shape of rows whose values have `row_schema` (a struct) and whose record key has
    /// `key_schema`.
    fn shape(
        &mut self,
        config: &SinkConfig,
        row_schema: &Arc<Schema>,
        key_schema: Option<&Arc<Schema>>,
    ) -> Result<Arc<Shape>, RecordError> {
        let id = (
            Arc::as_ptr(row_schema) as usize,
            key_schema.map_or(0, |k| Arc::as_ptr(k) as usize),
        );
        if let Some(cached) = self.cache.get(&id) {
            return Ok(cached.shape.clone());
        }
        let same = self
            .distinct
            .iter()
            .find(|c| *c.row == **row_schema && c.key.as_deref() == key_schema.map(|k| &**k));
        let shape = match same {
            Some(c) => c.shape.clone(),
            None => {
                let shape = Arc::new(build_shape(config, row_schema, key_schema)?);
                if self.distinct.len() > 1_000 {
                    self.distinct.clear();
                }
                self.distinct.push(Cached {
                    row: row_schema.clone(),
                    key: key_schema.cloned(),
                    shape: shape.clone(),
                });
                shape
            }
        };
        if self.cache.len() > 10_000 {
            self.cache.clear();
        }
        // The schemas are kept with the shape so that their addresses stay theirs.
        self.cache.insert(
            id,
            Cached {
                row: row_schema.clone(),
                key: key_schema.cloned(),
                shape: shape.clone(),
            },
        );
        Ok(shape)
    }
}

fn build_shape(
    config: &SinkConfig,
    row: &Schema,
    key_schema: Option<&Arc<Schema>>,
) -> Result<Shape, RecordError> {
    let mut columns: Vec<Column> = Vec::new();
    let mut key = Vec::new();
    match config.key_mode {
        KeyMode::None => {}
        KeyMode::Kafka => {
            let names: Vec<String> = if config.key_fields.len() == 3 {
                config.key_fields.clone()
            } else {
                KAFKA_COLUMNS.iter().map(|s| s.to_string()).collect()
            };
            let types = [Schema::string(), Schema::int32(), Schema::int64()];
            for (name, schema) in names.into_iter().zip(types) {
                key.push(columns.len());
                columns.push(Column::new(name, Arc::new(schema)));
            }
        }
        KeyMode::RecordKey => {
            let schema = key_schema.ok_or(
                "the record has no key schema, but the primary key comes from the record key (record_key): use a key converter with schemas",
            )?;
            if schema.kind == SchemaType::Struct {
                for field in &schema.fields {
                    if config.key_fields.is_empty() || config.key_fields.contains(&field.name) {
                        key.push(columns.len());
                        columns.push(Column::new(field.name.clone(), field.schema.clone()));
                    }
                }
                if key.is_empty() {
                    return Err(format!(
                        "none of the key fields {:?} is in the record key",
                        config.key_fields
                    ));
                }
            } else if schema.kind.is_primitive() {
                let name = config.key_fields.first().ok_or(
                    "the record key is a primitive value: name its column in primary.key.fields (pk.fields)",
                )?;
                key.push(0);
                columns.push(Column::new(name.clone(), schema.clone()));
            } else {
                return Err(format!(
                    "a record key of type {} cannot be a primary key",
                    schema.kind.name()
                ));
            }
        }
        KeyMode::RecordValue => {}
    }
    for field in &row.fields {
        if columns.iter().any(|c| c.name == field.name) {
            continue;
        }
        columns.push(Column::new(field.name.clone(), field.schema.clone()));
    }
    if config.key_mode == KeyMode::RecordValue {
        let names: Vec<String> = if config.key_fields.is_empty() {
            row.fields.iter().map(|f| f.name.clone()).collect()
        } else {
            config.key_fields.clone()
        };
        for name in names {
            let index = columns
                .iter()
                .position(|c| c.name == name)
                .ok_or_else(|| format!("the key field {name} is not in the record value"))?;
            key.push(index);
        }
    }
    Ok(Shape { columns, key })
}

/// Whether a value schema is that of a Debezium change event.
fn is_envelope(schema: &Schema) -> bool {
    schema.kind == SchemaType::Struct
        && schema.field("op").is_some()
        && schema.field("after").is_some()
        && schema.field("before").is_some()
        && schema
            .name
            .as_deref()
            .is_none_or(|n| n.ends_with("Envelope"))
}

/// What `record` asks for; `None` when it asks for nothing (a delete with deletes disabled, a
/// transaction marker).
pub fn interpret(
    config: &SinkConfig,
    shapes: &mut Shapes,
    record: &SinkRecord,
) -> Result<Option<TableChange>, RecordError> {
    let origin = Origin::of(record);
    let envelope = match (&record.value, &record.value_schema) {
        (Some(Value::Struct(s)), Some(schema))
            if config.flavor == Flavor::Debezium && is_envelope(schema) =>
        {
            Some(s)
        }
        _ => None,
    };
    let source = envelope
        .and_then(|e| e.get("source"))
        .and_then(Value::as_struct);
    let tombstone = record.value.as_ref().is_none_or(Value::is_null);
    if tombstone && config.table_format.contains("${source.") {
        // A tombstone has no source block to name its table; the delete event before it
        // already deleted the row (Debezium's sink skips these too).
        tracing::debug!(%origin, "a tombstone skipped: the table name needs the source block");
        return Ok(None);
    }
    let table = shapes.table(config, &record.topic, source)?;
    let with = |change| {
        Ok(Some(TableChange {
            table: table.clone(),
            change,
        }))
    };
    // A tombstone, or a flat record whose value is null: a delete by key.
    let Some(value) = record.value.as_ref().filter(|v| !v.is_null()) else {
        if !config.delete_enabled {
            return Ok(None);
        }
        return match delete_of(config, shapes, record)? {
            Some(change) => with(change),
            None => Ok(None),
        };
    };
    if let Some(envelope) = envelope {
        let op = envelope.get("op").and_then(Value::as_str).unwrap_or("");
        return match op {
            "c" | "r" | "u" => {
                let after = envelope
                    .get("after")
                    .and_then(Value::as_struct)
                    .ok_or_else(|| format!("the change event (op {op}) has no after"))?;
                let row_schema = after.schema().clone();
                let shape = shapes.shape(config, &row_schema, record.key_schema.as_ref())?;
                with(Change::Write {
                    values: row_values(
                        config,
                        &shape,
                        after.values(),
                        &row_schema,
                        record,
                        &origin,
                    )?,
                    shape,
                })
            }
            "d" if config.delete_enabled => match delete_of(config, shapes, record)? {
                Some(change) => with(change),
                None => Ok(None),
            },
            "t" if config.truncate_enabled => with(Change::Truncate),
            "d" | "t" | "m" => Ok(None),
            other => Err(format!("the change event has an unknown op {other:?}")),
        };
    }
    let (Value::Struct(row), Some(row_schema)) = (value, record.value_schema.as_ref()) else {
        return Err(format!(
            "the record value is a {} without a struct schema; the sink writes structs (use JsonConverter with schemas.enable=true, or a converter with a schema registry)",
            value.type_name()
        ));
    };
    let shape = shapes.shape(config, row_schema, record.key_schema.as_ref())?;
    with(Change::Write {
        values: row_values(config, &shape, row.values(), row_schema, record, &origin)?,
        shape,
    })
}

/// The values of a row, in the shape's column order.
fn row_values(
    config: &SinkConfig,
    shape: &Shape,
    row: &[Value],
    row_schema: &Schema,
    record: &SinkRecord,
    origin: &Origin<'_>,
) -> Result<Vec<Value>, RecordError> {
    let mut values = Vec::with_capacity(shape.columns.len());
    let keys = key_values(config, shape, record, origin)?;
    for (i, column) in shape.columns.iter().enumerate() {
        if let Some(k) = shape.key.iter().position(|&c| c == i) {
            if config.key_mode != KeyMode::RecordValue {
                values.push(keys[k].clone());
                continue;
            }
        }
        let value = match row_schema.field(&column.name) {
            Some(f) => {
                let v = row.get(f.index).cloned().unwrap_or(Value::Null);
                match (&v, &f.schema.default) {
                    (Value::Null, Some(d)) => d.clone(),
                    _ => v,
                }
            }
            None => Value::Null,
        };
        values.push(value);
    }
    if config.key_mode == KeyMode::RecordValue {
        for &k in &shape.key {
            if values[k].is_null() {
                return Err(format!(
                    "the key field {} of the record value is null",
                    shape.columns[k].name
                ));
            }
        }
    }
    Ok(values)
}

/// The key values of a record for the key modes that do not read the value.
fn key_values(
    config: &SinkConfig,
    shape: &Shape,
    record: &SinkRecord,
    origin: &Origin<'_>,
) -> Result<Vec<Value>, RecordError> {
    Ok(match config.key_mode {
        KeyMode::None | KeyMode::RecordValue => Vec::new(),
        KeyMode::Kafka => vec![
            Value::String(origin.topic.to_string()),
            Value::Int32(origin.partition),
            Value::Int64(origin.offset),
        ],
        KeyMode::RecordKey => {
            let key = record.key.as_ref().filter(|k| !k.is_null()).ok_or(
                "the record has no key, but the primary key comes from the record key (record_key)",
            )?;
            match key {
                Value::Struct(s) => shape
                    .key
                    .iter()
                    .map(|&i| {
                        let name = &shape.columns[i].name;
                        match s.get(name) {
                            Some(v) if !v.is_null() => Ok(v.clone()),
                            _ => Err(format!("the key field {name} of the record key is null")),
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                primitive => vec![primitive.clone()],
            }
        }
    })
}

/// A delete of the row with the record's key (record_key mode only: checked by the config).
fn delete_of(
    config: &SinkConfig,
    shapes: &mut Shapes,
    record: &SinkRecord,
) -> Result<Option<Change>, RecordError> {
    let Some(key_schema) = record.key_schema.as_ref() else {
        return Err("a delete without a key schema cannot name a row".into());
    };
    // The shape of a delete is the key's alone: the value has no row.
    let shape = shapes.shape(config, &empty_struct(), Some(key_schema))?;
    let key = key_values(config, &shape, record, &Origin::of(record))?;
    Ok(Some(Change::Delete { shape, key }))
}

fn empty_struct() -> Arc<Schema> {
    static EMPTY: std::sync::OnceLock<Arc<Schema>> = std::sync::OnceLock::new();
    EMPTY
        .get_or_init(|| Arc::new(Schema::new(SchemaType::Struct)))
        .clone()
}
