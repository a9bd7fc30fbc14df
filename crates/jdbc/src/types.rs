//! The column type a field gets when the sink creates or widens a table: from the field's Connect
//! type and its logical name (Kafka's and Debezium's), per database.

use ferry_api::{Schema, SchemaType};

use crate::url::Dialect;

/// What a field's value means, as far as writing it is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Float32,
    Float64,
    Boolean,
    Text,
    Bytes,
    /// Kafka's Decimal: big-endian unscaled bytes, with this scale.
    Decimal(i32),
    /// Debezium's VariableScaleDecimal: a struct of `scale` and `value`.
    VariableDecimal,
    /// Days since 1970-01-01.
    Date,
    /// Time of day in units of 1/this of a second (1000: ms, 1_000_000: µs, ...).
    Time(i64),
    /// A zone-less date and time in units of 1/this of a second since the epoch.
    Timestamp(i64),
    /// An ISO-8601 instant with its offset, as text (`io.debezium.time.ZonedTimestamp`).
    ZonedTimestamp,
    /// A time with its offset, as text (`io.debezium.time.ZonedTime`).
    ZonedTime,
    Json,
    Uuid,
    /// Debezium's Bits: little-endian bytes of this many bits.
    Bits(u32),
    /// A struct, array or map: not a column value.
    Nested,
}

impl Kind {
    pub fn of(schema: &Schema) -> Kind {
        let name = schema.name.as_deref().unwrap_or("");
        match (schema.kind, name) {
            (SchemaType::Bytes, "org.apache.kafka.connect.data.Decimal") => Kind::Decimal(
                schema
                    .parameters
                    .get("scale")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0),
            ),
            (SchemaType::Struct, "io.debezium.data.VariableScaleDecimal") => Kind::VariableDecimal,
            (SchemaType::Int32, "org.apache.kafka.connect.data.Date" | "io.debezium.time.Date") => {
                Kind::Date
            }
            (SchemaType::Int32, "org.apache.kafka.connect.data.Time" | "io.debezium.time.Time") => {
                Kind::Time(1_000)
            }
            (SchemaType::Int64, "io.debezium.time.MicroTime") => Kind::Time(1_000_000),
            (SchemaType::Int64, "io.debezium.time.NanoTime") => Kind::Time(1_000_000_000),
            (
                SchemaType::Int64,
                "org.apache.kafka.connect.data.Timestamp" | "io.debezium.time.Timestamp",
            ) => Kind::Timestamp(1_000),
            (SchemaType::Int64, "io.debezium.time.MicroTimestamp") => Kind::Timestamp(1_000_000),
            (SchemaType::Int64, "io.debezium.time.NanoTimestamp") => Kind::Timestamp(1_000_000_000),
            (SchemaType::String, "io.debezium.time.ZonedTimestamp") => Kind::ZonedTimestamp,
            (SchemaType::String, "io.debezium.time.ZonedTime") => Kind::ZonedTime,
            (SchemaType::String, "io.debezium.data.Json") => Kind::Json,
            (SchemaType::String, "io.debezium.data.Uuid") => Kind::Uuid,
            (SchemaType::Bytes, "io.debezium.data.Bits") => Kind::Bits(
                schema
                    .parameters
                    .get("length")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(8),
            ),
            (SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32 | SchemaType::Int64, _) => {
                Kind::Int
            }
            (SchemaType::Float32, _) => Kind::Float32,
            (SchemaType::Float64, _) => Kind::Float64,
            (SchemaType::Boolean, _) => Kind::Boolean,
            (SchemaType::String, _) => Kind::Text,
            (SchemaType::Bytes, _) => Kind::Bytes,
            (SchemaType::Struct | SchemaType::Array | SchemaType::Map, _) => Kind::Nested,
        }
    }
}

/// Fractional digits of a time column: 6, what both databases keep at most, whatever the unit
/// (Debezium's sink does the same when the source's precision is not propagated).
fn fraction_digits(_units_per_second: i64) -> u32 {
    6
}

/// The column type for a field. `in_key`: the column is part of the primary key (MySQL cannot
/// index TEXT and BLOB without a length).
pub fn column_type(dialect: Dialect, schema: &Schema, in_key: bool) -> Result<String, String> {
    let kind = Kind::of(schema);
    let precision = schema
        .parameters
        .get("connect.decimal.precision")
        .and_then(|p| p.parse::<u32>().ok());
    Ok(match dialect {
        Dialect::Postgres => match kind {
            Kind::Int => match schema.kind {
                SchemaType::Int8 | SchemaType::Int16 => "smallint",
                SchemaType::Int32 => "integer",
                _ => "bigint",
            }
            .to_string(),
            Kind::Float32 => "real".into(),
            Kind::Float64 => "double precision".into(),
            Kind::Boolean => "boolean".into(),
            Kind::Text => "text".into(),
            Kind::Bytes => "bytea".into(),
            Kind::Decimal(scale) => match precision {
                Some(p) if p >= 1 && scale >= 0 && scale as u32 <= p => {
                    format!("numeric({p},{scale})")
                }
                _ => "numeric".into(),
            },
            Kind::VariableDecimal => "numeric".into(),
            Kind::Date => "date".into(),
            Kind::Time(unit) => format!("time({})", fraction_digits(unit)),
            Kind::Timestamp(unit) => format!("timestamp({})", fraction_digits(unit)),
            // With the precision spelled out, as Debezium's sink creates it (the same type as
            // plain `timestamp with time zone`, but `format_type` shows the difference).
            Kind::ZonedTimestamp => {
                format!("timestamp({}) with time zone", fraction_digits(1_000_000))
            }
            Kind::ZonedTime => "time with time zone".into(),
            Kind::Json => "jsonb".into(),
            Kind::Uuid => "uuid".into(),
            Kind::Bits(n) => format!("bit({})", n.max(1)),
            Kind::Nested => return Err(nested(schema)),
        },
        Dialect::MySql => match kind {
            Kind::Int => match schema.kind {
                SchemaType::Int8 => "tinyint",
                SchemaType::Int16 => "smallint",
                SchemaType::Int32 => "int",
                _ => "bigint",
            }
            .to_string(),
            Kind::Float32 => "float".into(),
            Kind::Float64 => "double".into(),
            Kind::Boolean => "boolean".into(),
            Kind::Text if in_key => "varchar(255)".into(),
            Kind::Text if allowed(schema).is_some() => {
                let kind = if schema.name.as_deref() == Some("io.debezium.data.EnumSet") {
                    "set"
                } else {
                    "enum"
                };
                format!("{kind}({})", allowed(schema).unwrap_or_default())
            }
            Kind::Text => "longtext".into(),
            Kind::Bytes if in_key => "varbinary(255)".into(),
            Kind::Bytes => "longblob".into(),
            Kind::Decimal(scale) => {
                let scale = scale.clamp(0, 30) as u32;
                let p = precision.unwrap_or(65).clamp(scale.max(1), 65);
                format!("decimal({p},{scale})")
            }
            Kind::VariableDecimal => "decimal(65,30)".into(),
            Kind::Date => "date".into(),
            Kind::Time(unit) => format!("time({})", fraction_digits(unit)),
            Kind::Timestamp(unit) => format!("datetime({})", fraction_digits(unit)),
            // DATETIME, not TIMESTAMP: no 2038 limit and no automatic updates; values are UTC.
            Kind::ZonedTimestamp => "datetime(6)".into(),
            Kind::ZonedTime => "time(6)".into(),
            Kind::Json => "json".into(),
            Kind::Uuid => "char(36)".into(),
            Kind::Bits(n) if n <= 64 => format!("bit({})", n.max(1)),
            Kind::Bits(_) => "longblob".into(),
            Kind::Nested => return Err(nested(schema)),
        },
    })
}

/// The quoted values of a Debezium Enum or EnumSet (`allowed` parameter), for MySQL's ENUM/SET.
fn allowed(schema: &Schema) -> Option<String> {
    let name = schema.name.as_deref()?;
    if name != "io.debezium.data.Enum" && name != "io.debezium.data.EnumSet" {
        return None;
    }
    let values = schema.parameters.get("allowed")?;
    let quoted: Vec<String> = values
        .split(',')
        .map(|v| format!("'{}'", v.replace('\'', "''")))
        .collect();
    Some(quoted.join(","))
}

fn nested(schema: &Schema) -> String {
    format!(
        "a field of type {}{} cannot be a column (flatten it first, e.g. with the Flatten transform)",
        schema.kind.name(),
        schema
            .name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::SchemaBuilder;

    fn named(kind: SchemaType, name: &str) -> Schema {
        SchemaBuilder::new(kind).name(name).build().expect("schema")
    }

    #[test]
    fn logical_types_get_their_column_types() {
        let decimal = SchemaBuilder::bytes()
            .name("org.apache.kafka.connect.data.Decimal")
            .parameter("scale", "2")
            .parameter("connect.decimal.precision", "10")
            .build()
            .expect("schema");
        let cases = [
            (Schema::int16(), "smallint", "smallint"),
            (Schema::int64(), "bigint", "bigint"),
            (decimal, "numeric(10,2)", "decimal(10,2)"),
            (
                named(SchemaType::Int32, "io.debezium.time.Date"),
                "date",
                "date",
            ),
            (
                named(SchemaType::Int64, "io.debezium.time.MicroTime"),
                "time(6)",
                "time(6)",
            ),
            (
                named(SchemaType::Int64, "io.debezium.time.Timestamp"),
                "timestamp(6)",
                "datetime(6)",
            ),
            (
                named(SchemaType::String, "io.debezium.time.ZonedTimestamp"),
                "timestamp(6) with time zone",
                "datetime(6)",
            ),
            (
                named(SchemaType::String, "io.debezium.data.Json"),
                "jsonb",
                "json",
            ),
            (Schema::string(), "text", "longtext"),
        ];
        for (schema, pg, my) in cases {
            assert_eq!(
                column_type(Dialect::Postgres, &schema, false).as_deref(),
                Ok(pg)
            );
            assert_eq!(
                column_type(Dialect::MySql, &schema, false).as_deref(),
                Ok(my)
            );
        }
        assert_eq!(
            column_type(Dialect::MySql, &Schema::string(), true).as_deref(),
            Ok("varchar(255)")
        );
        assert!(column_type(Dialect::Postgres, &Schema::new(SchemaType::Struct), false).is_err());
    }
}
