//! What Debezium's transforms share: the change event envelope (a struct value whose schema name
//! ends in `.Envelope`, with `before`, `after`, `source`, `op`, `ts_ms` and maybe `transaction`)
//! and the adjustment of schema names for Avro.

use std::sync::Arc;

use ferry_api::data::{Field, Schema};
use ferry_api::{ConfigDef, ConfigType, ConnectError, Importance, Result};

pub const BEFORE: &str = "before";
pub const AFTER: &str = "after";
pub const SOURCE: &str = "source";
pub const OP: &str = "op";
pub const TRANSACTION: &str = "transaction";
/// The `op` code of a delete.
pub const OP_DELETE: &str = "d";
const ENVELOPE_SUFFIX: &str = ".Envelope";

/// Whether a value schema is a change event envelope: Debezium tells one by its name alone.
pub fn is_envelope(schema: Option<&Arc<Schema>>) -> bool {
    schema
        .and_then(|s| s.name.as_deref())
        .is_some_and(|n| n.ends_with(ENVELOPE_SUFFIX))
}

/// The envelope schema name for a topic (`topic.Envelope`).
pub fn envelope_name(topic: &str) -> String {
    format!("{topic}{ENVELOPE_SUFFIX}")
}

/// A field of an envelope schema, which must be there.
pub fn envelope_field<'a>(envelope: &'a Schema, name: &str) -> Result<&'a Field> {
    envelope
        .field(name)
        .ok_or_else(|| ConnectError::Data(format!("Unknown field: {name}")))
}

/// How schema names made from topic names are adjusted (`schema.name.adjustment.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaNameAdjustment {
    /// Names as they are.
    None,
    /// Characters Avro does not allow become `_` (a leading digit `d` becomes `_d`).
    Avro,
    /// Characters Avro does not allow, `_` included, become `_uXXXX` (their UTF-16 code in hex).
    AvroUnicode,
}

pub const SCHEMA_NAME_ADJUSTMENT_MODE: &str = "schema.name.adjustment.mode";
const ADJUSTMENT_MODES: &[&str] = &["none", "avro", "avro_unicode"];

/// Declares `schema.name.adjustment.mode`, with this default.
pub fn with_schema_name_adjustment(def: ConfigDef, default: &str) -> ConfigDef {
    def.optional(
        SCHEMA_NAME_ADJUSTMENT_MODE,
        ConfigType::String,
        Some(default),
        Importance::Low,
        "How schema names made from the new topic name are adjusted for the converter: \
         'none' keeps them as they are; 'avro' replaces every character an Avro name cannot \
         hold with an underscore; 'avro_unicode' replaces it (and the underscore) with _uXXXX, \
         its UTF-16 code.",
    )
    .validate_with(ferry_api::config::validators::one_of(ADJUSTMENT_MODES))
}

impl SchemaNameAdjustment {
    /// The mode a (validated) `schema.name.adjustment.mode` names.
    pub fn parse(mode: &str) -> Option<SchemaNameAdjustment> {
        match mode.trim().to_ascii_lowercase().as_str() {
            "none" => Some(SchemaNameAdjustment::None),
            "avro" => Some(SchemaNameAdjustment::Avro),
            "avro_unicode" => Some(SchemaNameAdjustment::AvroUnicode),
            _ => None,
        }
    }

    pub fn adjust(self, name: &str) -> String {
        let unicode = match self {
            SchemaNameAdjustment::None => return name.to_string(),
            SchemaNameAdjustment::Avro => false,
            SchemaNameAdjustment::AvroUnicode => true,
        };
        // Debezium works on Java chars: UTF-16 code units, each surrogate replaced on its own.
        let units: Vec<u16> = name.encode_utf16().collect();
        let letter = |u: u16| u8::try_from(u).is_ok_and(|b| b.is_ascii_alphabetic());
        let valid_first = |u: u16| letter(u) || (!unicode && u == u16::from(b'_'));
        let valid_next = |u: u16| {
            valid_first(u)
                || u == u16::from(b'.')
                || u8::try_from(u).is_ok_and(|b| b.is_ascii_digit())
        };
        let mut out: Vec<u16> = Vec::with_capacity(units.len() + 4);
        let mut changed = false;
        for (i, &u) in units.iter().enumerate() {
            if (i == 0 && valid_first(u)) || (i > 0 && valid_next(u)) {
                out.push(u);
                continue;
            }
            changed = true;
            if unicode {
                let mut hex = format!("{u:x}");
                if hex.len() <= 2 {
                    hex.insert_str(0, "00");
                }
                out.extend(format!("_u{hex}").encode_utf16());
            } else {
                out.push(u16::from(b'_'));
                if i == 0 && u8::try_from(u).is_ok_and(|b| b.is_ascii_digit()) {
                    // keeps `1abc` and `2abc` apart
                    out.push(u);
                }
            }
        }
        if changed {
            String::from_utf16_lossy(&out)
        } else {
            name.to_string()
        }
    }
}

/// Change events as Debezium's tests build them.
#[cfg(test)]
pub mod fixtures {
    use super::*;
    use ferry_api::data::{SchemaBuilder, Struct, Value};
    use ferry_api::ConnectRecord;

    use crate::test_util::source;

    pub const TS_MS: i64 = 1_588_252_618_953;

    /// The row schema: `id` (int8) and `name` (string), optional as connectors make them.
    pub fn row_schema() -> Arc<Schema> {
        SchemaBuilder::struct_()
            .optional()
            .field(
                "id",
                SchemaBuilder::int8()
                    .parameter("__debezium.source.column.name", "id")
                    .build_arc()
                    .unwrap(),
            )
            .field("name", Schema::string())
            .build_arc()
            .unwrap()
    }

    /// A row schema whose `name` is optional with a default.
    pub fn row_schema_with_default() -> Arc<Schema> {
        SchemaBuilder::struct_()
            .optional()
            .field("id", Schema::int8())
            .field(
                "name",
                SchemaBuilder::string()
                    .optional()
                    .default_value("default_str")
                    .build_arc()
                    .unwrap(),
            )
            .build_arc()
            .unwrap()
    }

    pub fn source_schema() -> Arc<Schema> {
        SchemaBuilder::struct_()
            .field("lsn", Schema::int32())
            .field("ts_ms", Schema::optional_int64())
            .field("db", Schema::optional_string())
            .field("table", Schema::optional_string())
            .build_arc()
            .unwrap()
    }

    pub fn transaction_schema() -> Arc<Schema> {
        SchemaBuilder::struct_()
            .optional()
            .name("event.block")
            .version(1)
            .field("id", Schema::string())
            .field("total_order", Schema::int64())
            .field("data_collection_order", Schema::int64())
            .build_arc()
            .unwrap()
    }

    /// An envelope schema named `name` for rows of `row`, with these extra fields at the end.
    pub fn envelope_schema(name: &str, row: &Arc<Schema>, extra: &[(&str, Schema)]) -> Arc<Schema> {
        let mut b = SchemaBuilder::struct_()
            .name(name)
            .version(2)
            .field(BEFORE, row.clone())
            .field(AFTER, row.clone())
            .field(SOURCE, source_schema())
            .field(OP, Schema::string())
            .field("ts_ms", Schema::optional_int64())
            .field(TRANSACTION, transaction_schema());
        for (n, s) in extra {
            b = b.field(*n, s.clone());
        }
        b.build_arc().unwrap()
    }

    pub fn row(schema: &Arc<Schema>, id: i8, name: Option<&str>) -> Value {
        Value::Struct(
            Struct::new(schema.clone())
                .with("id", id)
                .unwrap()
                .with("name", name)
                .unwrap(),
        )
    }

    pub fn source_struct() -> Value {
        Value::Struct(
            Struct::new(source_schema())
                .with("lsn", 1234)
                .unwrap()
                .with("ts_ms", TS_MS)
                .unwrap()
                .with("db", "test_db")
                .unwrap()
                .with("table", "test_table")
                .unwrap(),
        )
    }

    pub fn transaction_struct() -> Value {
        Value::Struct(
            Struct::new(transaction_schema())
                .with("id", "571")
                .unwrap()
                .with("total_order", 42i64)
                .unwrap()
                .with("data_collection_order", 42i64)
                .unwrap(),
        )
    }

    /// A change event on topic `test`: this envelope schema, op, before, after and transaction.
    pub fn event(
        schema: &Arc<Schema>,
        op: &str,
        before: Value,
        after: Value,
        transaction: Value,
    ) -> ConnectRecord {
        let mut s = Struct::new(schema.clone());
        s.put(BEFORE, before).unwrap();
        s.put(AFTER, after).unwrap();
        s.put(SOURCE, source_struct()).unwrap();
        s.put(OP, op).unwrap();
        s.put("ts_ms", TS_MS + 1).unwrap();
        s.put(TRANSACTION, transaction).unwrap();
        source(Some(schema.clone()), Value::Struct(s))
    }

    pub fn create() -> ConnectRecord {
        let row_s = row_schema();
        let env = envelope_schema("dummy.Envelope", &row_s, &[]);
        event(
            &env,
            "c",
            Value::Null,
            row(&row_s, 1, Some("myRecord")),
            Value::Null,
        )
    }

    pub fn update() -> ConnectRecord {
        let row_s = row_schema();
        let env = envelope_schema("dummy.Envelope", &row_s, &[]);
        event(
            &env,
            "u",
            row(&row_s, 1, Some("myRecord")),
            row(&row_s, 1, Some("updatedRecord")),
            transaction_struct(),
        )
    }

    pub fn delete() -> ConnectRecord {
        let row_s = row_schema();
        let env = envelope_schema("dummy.Envelope", &row_s, &[]);
        event(
            &env,
            "d",
            row(&row_s, 1, Some("myRecord")),
            Value::Null,
            Value::Null,
        )
    }

    pub fn truncate() -> ConnectRecord {
        let row_s = row_schema();
        let env = envelope_schema("dummy.Envelope", &row_s, &[]);
        event(&env, "t", Value::Null, Value::Null, Value::Null)
    }

    pub fn tombstone() -> ConnectRecord {
        source(None, Value::Null)
    }

    /// A create whose row leaves `name` (optional, with a default) null.
    pub fn create_with_null_default() -> ConnectRecord {
        let row_s = row_schema_with_default();
        let env = envelope_schema("dummy.Envelope", &row_s, &[]);
        event(&env, "c", Value::Null, row(&row_s, 1, None), Value::Null)
    }

    /// `with_key` adds a struct key `{id: 1}`.
    pub fn with_key(mut record: ConnectRecord) -> ConnectRecord {
        let key_schema = SchemaBuilder::struct_()
            .field("id", Schema::int8())
            .build_arc()
            .unwrap();
        let key = Struct::new(key_schema.clone()).with("id", 1i8).unwrap();
        record.set_key(Some(key_schema), Value::Struct(key));
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_is_told_by_its_schema_name() {
        let named = |n: &str| {
            ferry_api::data::SchemaBuilder::struct_()
                .name(n)
                .build_arc()
                .ok()
        };
        assert!(is_envelope(named("server.db.t.Envelope").as_ref()));
        assert!(!is_envelope(
            named("io.debezium.connector.common.Heartbeat").as_ref()
        ));
        assert!(!is_envelope(Some(&Arc::new(Schema::string()))));
        assert!(!is_envelope(None));
    }

    #[test]
    fn schema_names_adjusted_as_debezium_does() {
        let none = SchemaNameAdjustment::None;
        let avro = SchemaNameAdjustment::Avro;
        let unicode = SchemaNameAdjustment::AvroUnicode;
        let name = "mysql-server-1.inventory.customers_all_shards.Key";
        assert_eq!(none.adjust(name), name);
        assert_eq!(
            avro.adjust(name),
            "mysql_server_1.inventory.customers_all_shards.Key"
        );
        assert_eq!(
            unicode.adjust(name),
            "mysql_u002dserver_u002d1.inventory.customers_u005fall_u005fshards.Key"
        );
        assert_eq!(avro.adjust("1abc"), "_1abc");
        assert_eq!(avro.adjust("a.b_c"), "a.b_c");
        assert_eq!(avro.adjust("a\tb"), "a_b");
        assert_eq!(unicode.adjust("a\tb"), "a_u009b");
        assert_eq!(unicode.adjust("aé"), "a_u00e9");
        assert_eq!(unicode.adjust("a€"), "a_u20ac");
        assert_eq!(avro.adjust(""), "");
        assert_eq!(SchemaNameAdjustment::parse(" AVRO "), Some(avro));
        assert_eq!(SchemaNameAdjustment::parse("avro_unicode"), Some(unicode));
        assert_eq!(SchemaNameAdjustment::parse("x"), None);
    }

    #[test]
    fn both_transforms_in_a_connector_chain() {
        use crate::test_util::props;
        use crate::TransformChain;
        use ferry_api::data::Value;

        let config = [
            ("transforms", "route,unwrap"),
            (
                "transforms.route.type",
                "io.debezium.transforms.ByLogicalTableRouter",
            ),
            ("transforms.route.topic.regex", "(t)est"),
            ("transforms.route.topic.replacement", "$1_all"),
            (
                "transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
            (
                "transforms.unwrap.delete.tombstone.handling.mode",
                "rewrite",
            ),
            ("transforms.unwrap.add.fields", "op,source.table"),
        ];
        let mut chain = TransformChain::from_config(&props(&config)).unwrap();
        let out = chain
            .apply(fixtures::with_key(fixtures::update()))
            .unwrap()
            .unwrap();
        assert_eq!(out.topic(), "t_all");
        assert_eq!(out.key_schema().unwrap().name.as_deref(), Some("t_all.Key"));
        let row = out.value().as_struct().unwrap();
        assert_eq!(row.schema().name.as_deref(), Some("t_all.Value"));
        assert_eq!(row.get("name"), Some(&Value::from("updatedRecord")));
        assert_eq!(row.get("__deleted"), Some(&Value::from("false")));
        assert_eq!(row.get("__op"), Some(&Value::from("u")));
        assert_eq!(row.get("__source_table"), Some(&Value::from("test_table")));
        assert!(chain.apply(fixtures::tombstone()).unwrap().is_none());

        let mut bad = config.to_vec();
        bad.push(("transforms.unwrap.delete.tombstone.handling.mode", "keep"));
        bad.push(("transforms.route.key.field.regex", "(.*)"));
        let problems = TransformChain::validate(&props(&bad));
        let keys: Vec<_> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "transforms.route.key.field.replacement",
                "transforms.unwrap.delete.tombstone.handling.mode"
            ],
            "{problems:?}"
        );
    }
}
