//! The Connect schemas of change events, named and typed as Debezium's MySQL and MariaDB
//! connectors name and type them: per table `PREFIX.DB.TABLE.Key` (the primary key's columns),
//! `PREFIX.DB.TABLE.Value` (the captured columns) and `PREFIX.DB.TABLE.Envelope` (`before`,
//! `after`, `source`, `transaction`, `op`, `ts_ms`, `ts_us`, `ts_ns`).
//!
//! Column types map as Debezium maps them with its default settings
//! (`time.precision.mode=adaptive_time_microseconds`, `binary.handling.mode=bytes`,
//! `bigint.unsigned.handling.mode=long`) and `decimal.handling.mode`.

use std::sync::Arc;

use ferry_api::{ConnectError, Result, Schema, SchemaBuilder, SchemaType};

use crate::config::{BigintUnsigned, BinaryMode, DecimalMode, Flavor, TimePrecision, TypeModes};
use crate::table::{Column, Table};
use crate::values::default_value;

/// The value Debezium's events carry in `source.version`: the events follow that release's format.
pub const DEBEZIUM_VERSION: &str = "3.6.1.Final";

/// How a column's values are represented in events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repr {
    Boolean,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    /// `Decimal` bytes with this scale.
    Decimal(i32),
    DecimalAsDouble,
    DecimalAsString,
    /// `io.debezium.time.Date`: days since the epoch.
    Date,
    /// Kafka Connect's `Date` (days since the epoch), `Time` (milliseconds of the day) and
    /// `Timestamp` (milliseconds since the epoch), for `time.precision.mode=connect`.
    ConnectDate,
    ConnectTime,
    ConnectTimestamp,
    /// BIGINT UNSIGNED as a `Decimal` of scale 0 (`bigint.unsigned.handling.mode=precise`).
    UnsignedDecimal,
    /// `io.debezium.time.MicroTime`: microseconds of the day (may be negative or over a day).
    MicroTime,
    /// `io.debezium.time.Timestamp`: milliseconds since the epoch, the value read as UTC.
    TimestampMillis,
    /// `io.debezium.time.MicroTimestamp`.
    TimestampMicros,
    /// `io.debezium.time.ZonedTimestamp`: ISO-8601 text in UTC.
    ZonedTimestamp,
    /// `io.debezium.time.Year`.
    Year,
    Text,
    /// Binary columns, as `binary.handling.mode` says.
    Bytes(BinaryMode),
    /// `io.debezium.data.Bits` of this many bits.
    Bits(u32),
    Json,
    Enum,
    Set,
}

/// The representation of a column's values.
pub fn repr(column: &Column, modes: &TypeModes) -> Result<Repr> {
    let unsigned = column.unsigned;
    let connect = modes.time == TimePrecision::Connect;
    Ok(match column.data_type.as_str() {
        "bit" => match column.length.unwrap_or(1) {
            1 => Repr::Boolean,
            n => Repr::Bits(n as u32),
        },
        "tinyint" | "bool" | "boolean" => Repr::Int16,
        "smallint" if unsigned => Repr::Int32,
        "smallint" => Repr::Int16,
        "mediumint" => Repr::Int32,
        "int" | "integer" if unsigned => Repr::Int64,
        "int" | "integer" => Repr::Int32,
        "bigint" if unsigned && modes.bigint_unsigned == BigintUnsigned::Precise => {
            Repr::UnsignedDecimal
        }
        "bigint" => Repr::Int64,
        "float" => Repr::Float32,
        "double" | "real" | "double precision" => Repr::Float64,
        "decimal" | "numeric" | "dec" | "fixed" => match modes.decimal {
            DecimalMode::Precise => Repr::Decimal(column.scale.unwrap_or(0) as i32),
            DecimalMode::Double => Repr::DecimalAsDouble,
            DecimalMode::String => Repr::DecimalAsString,
        },
        "date" if connect => Repr::ConnectDate,
        "date" => Repr::Date,
        "time" if connect => Repr::ConnectTime,
        "time" => Repr::MicroTime,
        "datetime" if connect => Repr::ConnectTimestamp,
        "datetime" if column.fsp <= 3 => Repr::TimestampMillis,
        "datetime" => Repr::TimestampMicros,
        "timestamp" => Repr::ZonedTimestamp,
        "year" => Repr::Year,
        "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" => Repr::Text,
        "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => {
            Repr::Bytes(modes.binary)
        }
        "json" => Repr::Json,
        "enum" => Repr::Enum,
        "set" => Repr::Set,
        other => {
            return Err(ConnectError::Config(format!(
                "column {} has type {other}, which ferry does not capture yet",
                column.name
            )))
        }
    })
}

/// The schema of one column's field.
pub fn column_schema(column: &Column, modes: &TypeModes) -> Result<Schema> {
    let logical = |kind: SchemaType, name: &str| SchemaBuilder::new(kind).name(name).version(1);
    let repr = repr(column, modes)?;
    let builder = match repr {
        Repr::Boolean => SchemaBuilder::new(SchemaType::Boolean),
        Repr::Int16 => SchemaBuilder::new(SchemaType::Int16),
        Repr::Int32 => SchemaBuilder::new(SchemaType::Int32),
        Repr::Int64 => SchemaBuilder::new(SchemaType::Int64),
        Repr::Float32 => SchemaBuilder::new(SchemaType::Float32),
        Repr::Float64 | Repr::DecimalAsDouble => SchemaBuilder::new(SchemaType::Float64),
        Repr::Decimal(scale) => {
            let mut b = ferry_api::Decimal::builder(scale);
            if let Some(p) = column.precision {
                b = b.parameter("connect.decimal.precision", p.to_string());
            }
            b
        }
        Repr::UnsignedDecimal => {
            // The precision is the declared display width (`bigint(20)`), when there is one.
            let width = column
                .column_type
                .split_once('(')
                .and_then(|(_, w)| w.split(')').next())
                .and_then(|w| w.trim().parse::<u32>().ok());
            match width {
                Some(w) => ferry_api::Decimal::builder(0)
                    .parameter("connect.decimal.precision", w.to_string()),
                None => ferry_api::Decimal::builder(0),
            }
        }
        Repr::DecimalAsString | Repr::Text => SchemaBuilder::new(SchemaType::String),
        Repr::ConnectDate => logical(SchemaType::Int32, "org.apache.kafka.connect.data.Date"),
        Repr::ConnectTime => logical(SchemaType::Int32, "org.apache.kafka.connect.data.Time"),
        Repr::ConnectTimestamp => {
            logical(SchemaType::Int64, "org.apache.kafka.connect.data.Timestamp")
        }
        Repr::Date => logical(SchemaType::Int32, "io.debezium.time.Date"),
        Repr::MicroTime => logical(SchemaType::Int64, "io.debezium.time.MicroTime"),
        Repr::TimestampMillis => logical(SchemaType::Int64, "io.debezium.time.Timestamp"),
        Repr::TimestampMicros => logical(SchemaType::Int64, "io.debezium.time.MicroTimestamp"),
        Repr::ZonedTimestamp => logical(SchemaType::String, "io.debezium.time.ZonedTimestamp"),
        Repr::Year => logical(SchemaType::Int32, "io.debezium.time.Year"),
        Repr::Bytes(BinaryMode::Bytes) => SchemaBuilder::new(SchemaType::Bytes),
        Repr::Bytes(_) => SchemaBuilder::new(SchemaType::String),
        Repr::Bits(n) => {
            logical(SchemaType::Bytes, "io.debezium.data.Bits").parameter("length", n.to_string())
        }
        Repr::Json => logical(SchemaType::String, "io.debezium.data.Json"),
        Repr::Enum => logical(SchemaType::String, "io.debezium.data.Enum")
            .parameter("allowed", column.values.join(",")),
        Repr::Set => logical(SchemaType::String, "io.debezium.data.EnumSet")
            .parameter("allowed", column.values.join(",")),
    };
    let builder = if column.nullable {
        builder.optional()
    } else {
        builder
    };
    let builder = match default_value(column, repr) {
        Some(d) => builder.default_value(d),
        None => builder,
    };
    builder.build()
}

/// A column's schema with the parameters `column.propagate.source.type` adds: the column's type
/// name, length and scale as the database declares them, and its name. Debezium adds them to
/// the value's fields only, not to the key's.
fn with_source_type(column: &Column, modes: &TypeModes) -> Result<Schema> {
    let plain = column_schema(column, modes)?;
    let (length, scale) = crate::table_changes::dimensions(column);
    let mut builder = SchemaBuilder::from_schema(plain).parameter(
        "__debezium.source.column.type",
        crate::table_changes::type_name(column),
    );
    if let Some(l) = length {
        builder = builder.parameter("__debezium.source.column.length", l.to_string());
    }
    if let Some(s) = scale {
        builder = builder.parameter("__debezium.source.column.scale", s.to_string());
    }
    builder
        .parameter("__debezium.source.column.name", column.name.clone())
        .build()
}

/// How a table's event schemas are made, beyond the column types.
pub struct SchemaOptions<'a> {
    pub modes: &'a TypeModes,
    /// `message.key.columns` for this table.
    pub key_columns: Option<&'a [String]>,
    /// `column.propagate.source.type`: patterns of `DB.TABLE.COLUMN`.
    pub source_types: &'a [regex::Regex],
}

/// The schemas of one table's events.
#[derive(Debug, Clone)]
pub struct TableSchemas {
    /// `None` for a table without a primary key: its events have no key.
    pub key: Option<Arc<Schema>>,
    pub value: Arc<Schema>,
    pub envelope: Arc<Schema>,
    /// For each field of `value`, the index of its column in the table.
    pub value_columns: Vec<usize>,
    /// The columns of the key, by index: the primary key's, or `message.key.columns`'.
    pub key_columns: Vec<usize>,
    /// The representation of each column of the table (`None`: not captured).
    pub reprs: Vec<Option<Repr>>,
    /// The table's topic, `PREFIX.DB.TABLE` (also the schemas' base name).
    pub topic: String,
}

impl TableSchemas {
    pub fn build(
        table: &Table,
        prefix: &str,
        options: &SchemaOptions,
        source: &Arc<Schema>,
    ) -> Result<TableSchemas> {
        let modes = options.modes;
        let key_override = options.key_columns;
        let base = format!("{prefix}.{}.{}", table.db, table.name);
        let field = |column: &Column| -> Result<Schema> {
            let id = format!("{}.{}.{}", table.db, table.name, column.name);
            if options.source_types.iter().any(|p| p.is_match(&id)) {
                with_source_type(column, modes)
            } else {
                column_schema(column, modes)
            }
        };
        let mut value = SchemaBuilder::new(SchemaType::Struct).name(format!("{base}.Value"));
        let mut value_columns = Vec::new();
        let mut reprs = Vec::with_capacity(table.columns.len());
        for (i, column) in table.columns.iter().enumerate() {
            if !column.captured {
                reprs.push(None);
                continue;
            }
            reprs.push(Some(repr(column, modes)?));
            value = value.field(column.name.clone(), field(column)?);
            value_columns.push(i);
        }
        let value = Arc::new(value.optional().build()?);
        let key_columns: Vec<usize> = match key_override {
            Some(names) => names
                .iter()
                .filter_map(|n| {
                    table
                        .columns
                        .iter()
                        .position(|c| c.name.eq_ignore_ascii_case(n))
                })
                .collect(),
            None => table.primary_key.clone(),
        };
        let key = if key_columns.is_empty() {
            None
        } else {
            let mut key = SchemaBuilder::new(SchemaType::Struct).name(format!("{base}.Key"));
            for &i in &key_columns {
                let column = &table.columns[i];
                key = key.field(column.name.clone(), column_schema(column, modes)?);
            }
            Some(Arc::new(key.build()?))
        };
        let envelope = SchemaBuilder::new(SchemaType::Struct)
            .name(format!("{base}.Envelope"))
            .version(2)
            .field("before", value.clone())
            .field("after", value.clone())
            .field("source", source.clone())
            .field("transaction", transaction_schema()?)
            .field("op", Schema::string())
            .field("ts_ms", Schema::new(SchemaType::Int64).optional())
            .field("ts_us", Schema::new(SchemaType::Int64).optional())
            .field("ts_ns", Schema::new(SchemaType::Int64).optional())
            .build()?;
        Ok(TableSchemas {
            key,
            value,
            envelope: Arc::new(envelope),
            value_columns,
            key_columns,
            reprs,
            topic: base,
        })
    }
}

/// The `source` block's schema.
pub fn source_schema(flavor: Flavor) -> Result<Arc<Schema>> {
    let opt = |kind: SchemaType| Schema::new(kind).optional();
    let snapshot = SchemaBuilder::new(SchemaType::String)
        .name("io.debezium.data.Enum")
        .version(1)
        .parameter(
            "allowed",
            "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental",
        )
        .default_value(ferry_api::Value::String("false".into()))
        .optional()
        .build()?;
    SchemaBuilder::new(SchemaType::Struct)
        .name(flavor.source_schema_name())
        .version(1)
        .field("version", Schema::string())
        .field("connector", Schema::string())
        .field("name", Schema::string())
        .field("ts_ms", Schema::new(SchemaType::Int64))
        .field("snapshot", snapshot)
        .field("db", Schema::string())
        .field("sequence", opt(SchemaType::String))
        .field("ts_us", opt(SchemaType::Int64))
        .field("ts_ns", opt(SchemaType::Int64))
        .field("table", opt(SchemaType::String))
        .field("server_id", Schema::new(SchemaType::Int64))
        .field("gtid", opt(SchemaType::String))
        .field("file", Schema::string())
        .field("pos", Schema::new(SchemaType::Int64))
        .field("row", Schema::new(SchemaType::Int32))
        .field("thread", opt(SchemaType::Int64))
        .field("query", opt(SchemaType::String))
        .build_arc()
}

fn transaction_schema() -> Result<Schema> {
    SchemaBuilder::new(SchemaType::Struct)
        .name("event.block")
        .version(1)
        .field("id", Schema::string())
        .field("total_order", Schema::new(SchemaType::Int64))
        .field("data_collection_order", Schema::new(SchemaType::Int64))
        .optional()
        .build()
}
