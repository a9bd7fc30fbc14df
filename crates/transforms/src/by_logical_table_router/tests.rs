//! Debezium's `ByLogicalTableRouterTest` cases, with their inputs and expected outputs.

use super::*;
use crate::debezium::fixtures;
use crate::test_util::*;

fn configured(pairs: &[(&str, &str)]) -> ByLogicalTableRouter {
    let mut t = ByLogicalTableRouter::new();
    t.configure(&props(pairs)).unwrap();
    t
}

fn config_error(pairs: &[(&str, &str)]) -> String {
    ByLogicalTableRouter::new()
        .configure(&props(pairs))
        .unwrap_err()
        .to_string()
}

/// A record on `topic` with this struct key and no value.
fn keyed(topic: &str, key_schema: &Arc<Schema>, key: Struct) -> ConnectRecord {
    let mut r = source(None, Value::Null);
    r.set_topic(topic);
    r.set_key(Some(key_schema.clone()), Value::Struct(key));
    r
}

fn key_field(r: &ConnectRecord, name: &str) -> Value {
    r.key()
        .as_struct()
        .and_then(|k| k.get_without_default(name))
        .cloned()
        .unwrap_or_else(|| panic!("no key field {name}"))
}

fn field_names(schema: &Schema) -> Vec<&str> {
    schema.fields.iter().map(|f| f.name.as_str()).collect()
}

#[test]
fn key_field_replacement_required_with_key_field_regex() {
    let base = [
        ("topic.regex", "someValidRegex(.*)"),
        ("topic.replacement", "$1"),
        (
            "key.field.regex",
            "If this is set, key.field.replacement must be non-empty",
        ),
    ];
    let e = config_error(&base);
    assert!(
        e.contains("configuration key.field.replacement: key.field.replacement must be non-empty"),
        "{e}"
    );
    let mut with_empty = base.to_vec();
    with_empty.push(("key.field.replacement", ""));
    assert!(config_error(&with_empty).contains("key.field.replacement"));
}

#[test]
fn topic_replacement_required_and_non_empty() {
    let e = config_error(&[("topic.regex", "someValidRegex(.*)")]);
    assert!(e.contains("\"topic.replacement\""), "{e}");
    let e = config_error(&[
        ("topic.regex", "someValidRegex(.*)"),
        ("topic.replacement", ""),
    ]);
    assert!(
        e.contains("configuration topic.replacement: String must be non-empty"),
        "{e}"
    );
    let e = config_error(&[("topic.regex", "("), ("topic.replacement", "x")]);
    assert!(e.contains("for configuration topic.regex"), "{e}");
    let e = config_error(&[
        ("topic.regex", "(.*)"),
        ("topic.replacement", "x"),
        ("schema.name.adjustment.mode", "latin1"),
    ]);
    assert!(
        e.contains("configuration schema.name.adjustment.mode: String must be one of"),
        "{e}"
    );
}

fn shard_key_replacement(mode: &str, expected_key_schema_name: &str) {
    let mut router = configured(&[
        ("topic.regex", "(.*)customers_shard(.*)"),
        ("topic.replacement", "$1customers_all_shards"),
        ("key.field.name", "shard_id"),
        ("key.field.regex", "(.*)customers_shard_(.*)"),
        ("key.field.replacement", "$2"),
        ("schema.name.adjustment.mode", mode),
    ]);
    let key_schema = SchemaBuilder::struct_()
        .name("mysql-server-1.inventory.customers_shard_1.Key")
        .field("id", Schema::int64())
        .build_arc()
        .unwrap();
    for (topic, id, shard) in [
        ("mysql-server-1.inventory.customers_shard_1", 123i64, "1"),
        ("mysql-server-1.inventory.customers_shard_2", 123, "2"),
        ("mysql-server-1.inventory.customers_shard_2", 456, "2"),
    ] {
        let key = Struct::new(key_schema.clone()).with("id", id).unwrap();
        let out = apply(&mut router, keyed(topic, &key_schema, key));
        assert_eq!(out.topic(), "mysql-server-1.inventory.customers_all_shards");
        let schema = out.key_schema().unwrap();
        assert_eq!(schema.name.as_deref(), Some(expected_key_schema_name));
        assert_eq!(field_names(schema), ["id", "shard_id"]);
        assert_eq!(key_field(&out, "id"), Value::Int64(id));
        assert_eq!(key_field(&out, "shard_id"), Value::from(shard));
    }
}

#[test]
fn key_replacement_with_avro_name_adjustment() {
    shard_key_replacement("avro", "mysql_server_1.inventory.customers_all_shards.Key");
}

#[test]
fn key_replacement_without_name_adjustment() {
    shard_key_replacement("none", "mysql-server-1.inventory.customers_all_shards.Key");
}

#[test]
fn heartbeat_topics_rerouted_with_original_topic_in_key() {
    let mut router = configured(&[
        ("topic.regex", "__debezium-heartbeat(.*)"),
        ("topic.replacement", "debezium_heartbeat_central"),
        ("key.field.name", "originalTopic"),
    ]);
    let key_schema = SchemaBuilder::struct_()
        .name("io.debezium.connector.mysql.ServerNameKey")
        .field("serverName", Schema::string())
        .build_arc()
        .unwrap();
    for server in ["test_server_name_db", "test_server_name_db_2"] {
        let topic = format!("__debezium-heartbeat.{server}");
        let key = Struct::new(key_schema.clone())
            .with("serverName", server)
            .unwrap();
        let out = apply(&mut router, keyed(&topic, &key_schema, key));
        assert_eq!(out.topic(), "debezium_heartbeat_central");
        let schema = out.key_schema().unwrap();
        assert_eq!(
            schema.name.as_deref(),
            Some("debezium_heartbeat_central.Key")
        );
        assert_eq!(field_names(schema), ["serverName", "originalTopic"]);
        assert_eq!(key_field(&out, "serverName"), Value::from(server));
        assert_eq!(
            key_field(&out, "originalTopic"),
            Value::from(topic.as_str())
        );
        assert!(out.value().is_null());
    }
}

#[test]
fn default_identifier_field_holds_the_original_topic() {
    let mut router = configured(&[
        ("topic.regex", "db_shard\\d+\\.(.*)"),
        ("topic.replacement", "db.$1"),
    ]);
    let key_schema = SchemaBuilder::struct_()
        .field("id", Schema::int64())
        .build_arc()
        .unwrap();
    let key = Struct::new(key_schema.clone()).with("id", 1i64).unwrap();
    let out = apply(&mut router, keyed("db_shard1.t", &key_schema, key));
    assert_eq!(out.topic(), "db.t");
    assert_eq!(
        key_field(&out, "__dbz__physicalTableIdentifier"),
        Value::from("db_shard1.t")
    );
}

#[test]
fn null_key_stays_null() {
    let mut router = configured(&[
        ("topic.regex", "(.*)customers_shard(.*)"),
        ("topic.replacement", "$1customers_all_shards"),
        ("key.field.name", "shard_id"),
        ("key.field.regex", "(.*)customers_shard_(.*)"),
        ("key.field.replacement", "$2"),
    ]);
    let mut rec = source(None, Value::Null);
    rec.set_topic("mysql-server-1.inventory.customers_shard_1");
    let out = apply(&mut router, rec);
    assert_eq!(out.topic(), "mysql-server-1.inventory.customers_all_shards");
    assert!(out.key().is_null());
    assert!(out.key_schema().is_none());
}

#[test]
fn namespace_replacement_without_key_change() {
    let mut router = configured(&[
        ("topic.regex", "(.*).dbz_shard_\\d+.(.*)"),
        ("topic.replacement", "dbz_core.$2"),
        ("key.enforce.uniqueness", "false"),
    ]);
    for (topic, schema_name) in [
        ("s21.dbz_shard_21.address", "s21.dbz_shard_21.address.Key"),
        ("s22.dbz_shard_22.address", "s22.dbz_shard_22.address.Key"),
    ] {
        let key_schema = SchemaBuilder::struct_()
            .name(schema_name)
            .field("id", Schema::int64())
            .build_arc()
            .unwrap();
        let key = Struct::new(key_schema.clone()).with("id", 123i64).unwrap();
        let out = apply(&mut router, keyed(topic, &key_schema, key));
        assert_eq!(out.topic(), "dbz_core.address");
        let schema = out.key_schema().unwrap();
        assert_eq!(schema.name.as_deref(), Some("dbz_core.address.Key"));
        assert_eq!(field_names(schema), ["id"]);
        assert_eq!(key_field(&out, "id"), Value::Int64(123));
    }
}

#[test]
fn schema_change_events_keep_their_value() {
    let mut router = configured(&[
        ("topic.regex", "(.*)"),
        ("topic.replacement", "$1_rerouted"),
    ]);
    let key_schema = SchemaBuilder::struct_()
        .name("io.debezium.connector.mysql.SchemaChangeKey")
        .field("databaseName", Schema::string())
        .build_arc()
        .unwrap();
    let value_schema = SchemaBuilder::struct_()
        .name("io.debezium.connector.mysql.SchemaChangeValue")
        .field("databaseName", Schema::optional_string())
        .build_arc()
        .unwrap();
    let value = Value::Struct(
        Struct::new(value_schema.clone())
            .with("databaseName", "my-db")
            .unwrap(),
    );
    let key = Struct::new(key_schema.clone())
        .with("databaseName", "my-db")
        .unwrap();
    let mut rec = keyed("schema_changes", &key_schema, key);
    rec.set_value(Some(value_schema.clone()), value.clone());
    let out = apply(&mut router, rec);
    assert_eq!(out.topic(), "schema_changes_rerouted");
    assert_eq!(out.value(), &value);
    assert!(Arc::ptr_eq(out.value_schema().unwrap(), &value_schema));
}

#[test]
fn envelope_renamed_and_nulls_with_defaults_preserved() {
    let mut router = configured(&[
        ("topic.regex", "(.+)\\.(.+)\\.(.+)"),
        ("topic.replacement", "$1.$3"),
        ("key.enforce.uniqueness", "false"),
    ]);
    let flag = Arc::new(
        SchemaBuilder::int16()
            .optional()
            .default_value(0i16)
            .build()
            .unwrap(),
    );
    let key_schema = SchemaBuilder::struct_()
        .name("shard_1.inventory.customers.Key")
        .field("id", Schema::int64())
        .field("flag", flag.clone())
        .build_arc()
        .unwrap();
    let row_schema = SchemaBuilder::struct_()
        .optional()
        .name("shard_1.inventory.customers.Value")
        .field("id", Schema::int64())
        .field("flag", flag)
        .build_arc()
        .unwrap();
    let env = fixtures::envelope_schema("shard_1.inventory.customers.Envelope", &row_schema, &[]);
    let row = Value::Struct(Struct::new(row_schema.clone()).with("id", 1i64).unwrap());
    let key = Struct::new(key_schema.clone()).with("id", 1i64).unwrap();
    let mut rec = fixtures::event(&env, "u", row.clone(), row, Value::Null);
    rec.set_topic("shard_1.inventory.customers");
    rec.set_key(Some(key_schema), Value::Struct(key));
    let out = apply(&mut router, rec);

    assert_eq!(out.topic(), "shard_1.customers");
    assert_eq!(
        out.key_schema().unwrap().name.as_deref(),
        Some("shard_1.customers.Key")
    );
    assert_eq!(key_field(&out, "flag"), Value::Null);
    let schema = out.value_schema().unwrap();
    assert_eq!(schema.name.as_deref(), Some("shard_1.customers.Envelope"));
    assert_eq!(schema.version, Some(2));
    let envelope = out.value().as_struct().unwrap();
    for side in [BEFORE, AFTER] {
        let row_schema = &schema.field(side).unwrap().schema;
        assert_eq!(row_schema.name.as_deref(), Some("shard_1.customers.Value"));
        assert!(row_schema.optional);
        let row = envelope.get(side).and_then(Value::as_struct).unwrap();
        assert_eq!(row.get_without_default("flag"), Some(&Value::Null));
        assert_eq!(row.get("id"), Some(&Value::Int64(1)));
    }
    assert_eq!(envelope.get("op"), Some(&Value::from("u")));
    assert_eq!(envelope.get("source"), Some(&fixtures::source_struct()));
}

#[test]
fn topics_that_do_not_match_pass_unchanged() {
    let mut router = configured(&[
        ("topic.regex", "(.*)customers_shard(.*)"),
        ("topic.replacement", "$1customers_all_shards"),
    ]);
    let rec = fixtures::with_key(fixtures::create());
    let out = apply(&mut router, rec.clone());
    assert_eq!(out.topic(), "test");
    assert_eq!(out.key_schema(), rec.key_schema());
    assert_eq!(out.key(), rec.key());
    assert_eq!(out.value_schema(), rec.value_schema());
    assert_eq!(out.value(), rec.value());
    // a match into an empty name leaves the record too
    let mut router = configured(&[("topic.regex", "test()"), ("topic.replacement", "$1")]);
    assert_eq!(apply(&mut router, rec).topic(), "test");
}

#[test]
fn schemaless_key_is_an_error() {
    let mut router = configured(&[("topic.regex", "test"), ("topic.replacement", "other")]);
    let mut rec = source(None, Value::Null);
    rec.set_key(None, map(&[("id", Value::Int32(1))]));
    let e = router.apply(rec).unwrap_err().to_string();
    assert_eq!(
        e,
        "data error: Only Struct objects supported for [Updating schema], found: java.util.HashMap"
    );
}

#[test]
fn registered_under_debezium_class_name() {
    let plugin = crate::find_transformation("io.debezium.transforms.ByLogicalTableRouter")
        .expect("registered");
    assert!(plugin.answers_to("ByLogicalTableRouter"));
    let def = (plugin.config_def)();
    for key in [
        TOPIC_REGEX,
        TOPIC_REPLACEMENT,
        KEY_ENFORCE_UNIQUENESS,
        KEY_FIELD_NAME,
        KEY_FIELD_REGEX,
        KEY_FIELD_REPLACEMENT,
        CACHE_SIZE,
        debezium::SCHEMA_NAME_ADJUSTMENT_MODE,
    ] {
        assert!(!def.key(key).expect(key).doc.is_empty(), "{key}");
    }
}
