//! Debezium's `ExtractNewRecordStateTest` cases, with their inputs and expected outputs.

use super::*;
use crate::debezium::fixtures::*;
use crate::test_util::*;
use ferry_api::data::SchemaBuilder;
use ferry_api::Header;

fn configured(pairs: &[(&str, &str)]) -> ExtractNewRecordState {
    let mut t = ExtractNewRecordState::new();
    t.configure(&props(pairs)).unwrap();
    t
}

fn mode(m: &str) -> ExtractNewRecordState {
    configured(&[(MODE, m)])
}

/// A field of the record's struct value, as set.
fn field(r: &ConnectRecord, name: &str) -> Value {
    let s = r.value().as_struct().expect("a struct value");
    s.get_without_default(name)
        .unwrap_or_else(|| panic!("no field {name} in {:?}", s.schema().fields))
        .clone()
}

fn header<'a>(r: &'a ConnectRecord, key: &str) -> Option<&'a Value> {
    r.headers().iter().find(|h| h.key == key).map(|h| &h.value)
}

const MODES_ALL: [&str; 5] = [
    "drop",
    "tombstone",
    "rewrite",
    "rewrite-with-tombstone",
    "delete-to-tombstone",
];

#[test]
fn tombstones_are_dropped_unless_rewrite_with_tombstone() {
    for m in MODES_ALL {
        let out = mode(m).apply(tombstone()).unwrap();
        if m == "rewrite-with-tombstone" {
            let out = out.expect("tombstone kept");
            assert!(out.value().is_null());
            assert_eq!(out.topic(), "test");
        } else {
            assert!(out.is_none(), "{m}");
        }
    }
}

#[test]
fn truncates_are_dropped() {
    for m in MODES_ALL {
        assert!(mode(m).apply(truncate()).unwrap().is_none(), "{m}");
    }
}

#[test]
fn deletes_under_each_mode() {
    assert!(mode("drop").apply(delete()).unwrap().is_none());

    // tombstone: a null value that keeps the row schema
    let out = apply(&mut mode("tombstone"), delete());
    assert!(out.value().is_null());
    assert_eq!(out.value_schema(), Some(&row_schema()));

    // delete-to-tombstone: no value schema either
    let out = apply(&mut mode("delete-to-tombstone"), delete());
    assert!(out.value().is_null());
    assert!(out.value_schema().is_none());

    for m in ["rewrite", "rewrite-with-tombstone"] {
        let out = apply(&mut mode(m), delete());
        assert_eq!(field(&out, "__deleted"), Value::from("true"), "{m}");
        assert_eq!(field(&out, "id"), Value::Int8(1));
        assert_eq!(field(&out, "name"), Value::from("myRecord"));
        let schema = out.value_schema().unwrap();
        assert!(schema.field("__deleted").unwrap().schema.optional);
    }
}

#[test]
fn delete_then_tombstone_in_delete_to_tombstone_mode() {
    let mut t = mode("delete-to-tombstone");
    assert!(apply(&mut t, delete()).value().is_null());
    assert!(t.apply(tombstone()).unwrap().is_none());
}

#[test]
fn creates_and_updates_become_their_after_state() {
    let mut t = mode("tombstone");
    let out = apply(&mut t, create());
    assert_eq!(field(&out, "id"), Value::Int8(1));
    assert_eq!(field(&out, "name"), Value::from("myRecord"));
    let schema = out.value_schema().unwrap();
    // the row schema, copied as a required struct
    assert!(!schema.optional);
    assert_eq!(schema.fields, row_schema().fields);
    assert_eq!(
        schema.field("id").unwrap().schema.parameters["__debezium.source.column.name"],
        "id"
    );
    let out = apply(&mut t, update());
    assert_eq!(field(&out, "name"), Value::from("updatedRecord"));
    // the same schema for the next event of the same table
    let again = apply(&mut t, create());
    assert!(Arc::ptr_eq(
        again.value_schema().unwrap(),
        out.value_schema().unwrap()
    ));
}

#[test]
fn sink_records_are_unwrapped_too() {
    let event = create();
    let rec = sink(event.value_schema().cloned(), event.value().clone());
    let out = apply(&mut mode("rewrite"), rec);
    assert_eq!(out.kafka_offset(), Some(7));
    assert_eq!(field(&out, "__deleted"), Value::from("false"));
}

#[test]
fn rewrite_marks_other_events_not_deleted() {
    let mut t = configured(&[(MODE, "rewrite"), (ADD_HEADERS, "op")]);
    let out = apply(&mut t, create());
    assert_eq!(field(&out, "__deleted"), Value::from("false"));
    assert_eq!(out.headers().len(), 1);
    assert_eq!(header(&out, "__op"), Some(&Value::from("c")));
}

#[test]
fn null_with_default_is_replaced_only_when_rewriting_with_replace_null() {
    let out = apply(&mut mode("tombstone"), create_with_null_default());
    assert_eq!(field(&out, "id"), Value::Int8(1));
    assert_eq!(field(&out, "name"), Value::Null);

    let mut t = configured(&[
        (MODE, "rewrite"),
        (util::REPLACE_NULL_WITH_DEFAULT, "false"),
    ]);
    let out = apply(&mut t, create_with_null_default());
    assert_eq!(field(&out, "name"), Value::Null);

    let out = apply(&mut mode("rewrite"), create_with_null_default());
    assert_eq!(field(&out, "name"), Value::from("default_str"));
}

#[test]
fn records_that_are_not_envelopes_pass_unchanged() {
    let mut t = configured(&[(MODE, "tombstone"), (ADD_HEADERS, "op,source.lsn")]);
    let unknown = SchemaBuilder::struct_()
        .name("unknown")
        .field("id", Schema::int8())
        .build_arc()
        .unwrap();
    let unnamed = SchemaBuilder::struct_()
        .field("id", Schema::int8())
        .build_arc()
        .unwrap();
    let heartbeat = SchemaBuilder::struct_()
        .name("io.debezium.connector.common.Heartbeat")
        .field("ts_ms", Schema::int64())
        .build_arc()
        .unwrap();
    for (schema, value) in [
        (
            unknown.clone(),
            Struct::new(unknown).with("id", 1i8).unwrap(),
        ),
        (
            unnamed.clone(),
            Struct::new(unnamed).with("id", 1i8).unwrap(),
        ),
        (
            heartbeat.clone(),
            Struct::new(heartbeat).with("ts_ms", 5i64).unwrap(),
        ),
    ] {
        let out = apply(
            &mut t,
            source(Some(schema.clone()), Value::Struct(value.clone())),
        );
        assert_eq!(out.value(), &Value::Struct(value));
        assert_eq!(out.value_schema(), Some(&schema));
        assert!(out.headers().is_empty());
    }
    // without a schema (JSON with schemas.enable=false) the envelope is not recognised
    let schemaless = map(&[("op", Value::from("c")), ("after", map(&[]))]);
    let out = apply(&mut t, source(None, schemaless.clone()));
    assert_eq!(out.value(), &schemaless);
}

#[test]
fn headers_of_the_event_are_kept() {
    let mut rec = create();
    rec.headers_mut().push(Header {
        key: "application/debezium-test-header".into(),
        schema: Some(Arc::new(Schema::string())),
        value: Value::from("shouldPropagatePreviousRecordHeaders"),
    });
    let out = apply(&mut mode("tombstone"), rec);
    assert_eq!(out.headers().len(), 1);
    assert_eq!(
        header(&out, "application/debezium-test-header"),
        Some(&Value::from("shouldPropagatePreviousRecordHeaders"))
    );
}

#[test]
fn add_fields_of_the_envelope_and_of_source() {
    let out = apply(&mut configured(&[(ADD_FIELDS, "op")]), create());
    assert_eq!(field(&out, "__op"), Value::from("c"));
    assert!(
        out.value_schema()
            .unwrap()
            .field("__op")
            .unwrap()
            .schema
            .optional
    );

    let out = apply(&mut configured(&[(ADD_FIELDS, "ts_ms")]), create());
    assert_eq!(field(&out, "__ts_ms"), Value::Int64(TS_MS + 1));
    let out = apply(&mut configured(&[(ADD_FIELDS, "source.ts_ms")]), create());
    assert_eq!(field(&out, "__source_ts_ms"), Value::Int64(TS_MS));
}

#[test]
fn add_fields_with_a_prefix() {
    let mut t = configured(&[(ADD_FIELDS, "op , lsn,id"), (ADD_FIELDS_PREFIX, "prefix.")]);
    let out = apply(&mut t, update());
    assert_eq!(field(&out, "prefix.op"), Value::from("u"));
    assert_eq!(field(&out, "prefix.lsn"), Value::Int32(1234));
    assert_eq!(field(&out, "prefix.id"), Value::from("571"));
}

#[test]
fn add_fields_of_a_missing_struct_are_null() {
    let out = apply(&mut configured(&[(ADD_FIELDS, "op,lsn,id")]), create());
    assert_eq!(field(&out, "__op"), Value::from("c"));
    assert_eq!(field(&out, "__lsn"), Value::Int32(1234));
    assert_eq!(field(&out, "__id"), Value::Null);
}

#[test]
fn add_fields_naming_their_struct() {
    let fields = "op,source.lsn,transaction.id,transaction.total_order";
    let out = apply(&mut configured(&[(ADD_FIELDS, fields)]), update());
    assert_eq!(field(&out, "__op"), Value::from("u"));
    assert_eq!(field(&out, "__source_lsn"), Value::Int32(1234));
    assert_eq!(field(&out, "__transaction_id"), Value::from("571"));
    assert_eq!(field(&out, "__transaction_total_order"), Value::Int64(42));
}

#[test]
fn add_fields_and_headers_under_new_names() {
    let mut t = configured(&[
        (
            ADD_FIELDS,
            "op:OP, lsn:LSN, id:ID, source.lsn:source_lsn, transaction.total_order:TOTAL_ORDER",
        ),
        (ADD_FIELDS_PREFIX, ""),
        (
            ADD_HEADERS,
            "op, source.lsn:source_lsn, transaction.id:TXN_ID, transaction.total_order:TOTAL_ORDER",
        ),
        (ADD_HEADERS_PREFIX, "prefix."),
    ]);
    let out = apply(&mut t, update());
    assert_eq!(field(&out, "OP"), Value::from("u"));
    assert_eq!(field(&out, "LSN"), Value::Int32(1234));
    assert_eq!(field(&out, "ID"), Value::from("571"));
    assert_eq!(field(&out, "source_lsn"), Value::Int32(1234));
    assert_eq!(field(&out, "TOTAL_ORDER"), Value::Int64(42));
    assert_eq!(out.headers().len(), 4);
    assert_eq!(header(&out, "prefix.op"), Some(&Value::from("u")));
    assert_eq!(header(&out, "prefix.source_lsn"), Some(&Value::Int32(1234)));
    assert_eq!(header(&out, "prefix.TXN_ID"), Some(&Value::from("571")));
    assert_eq!(header(&out, "prefix.TOTAL_ORDER"), Some(&Value::Int64(42)));
}

#[test]
fn add_fields_skips_what_the_envelope_lacks_and_finds_added_envelope_fields() {
    let row_s = row_schema();
    let changes = Schema::array(Arc::new(Schema::string()));
    let env = envelope_schema("changedFields.Envelope", &row_s, &[("changes", changes)]);
    let mut rec = update();
    let before = rec.value().as_struct().unwrap().clone();
    let mut changed = Struct::new(env.clone());
    for (f, v) in before.iter() {
        changed.put(&f.name, v.clone()).unwrap();
    }
    changed
        .put("changes", Value::Array(vec![Value::from("name")]))
        .unwrap();
    rec.set_value(Some(env), Value::Struct(changed));
    let mut t = configured(&[
        (
            ADD_FIELDS,
            "notExisting,op:OP,transaction.total_order:TOTAL_ORDER,changes:META_SRC_CHANGED",
        ),
        (ADD_FIELDS_PREFIX, ""),
    ]);
    let out = apply(&mut t, rec);
    assert_eq!(field(&out, "OP"), Value::from("u"));
    assert_eq!(field(&out, "TOTAL_ORDER"), Value::Int64(42));
    assert_eq!(
        field(&out, "META_SRC_CHANGED"),
        Value::Array(vec![Value::from("name")])
    );
    let schema = out.value_schema().unwrap();
    assert!(schema.field("notExisting").is_none());
    assert!(schema.field("__notExisting").is_none());
}

#[test]
fn add_headers() {
    let out = apply(&mut configured(&[(ADD_HEADERS, "op")]), create());
    assert_eq!(out.headers().len(), 1);
    assert_eq!(header(&out, "__op"), Some(&Value::from("c")));

    let out = apply(&mut configured(&[(ADD_HEADERS, "op , lsn,id")]), update());
    assert_eq!(out.headers().len(), 3);
    assert_eq!(header(&out, "__op"), Some(&Value::from("u")));
    assert_eq!(header(&out, "__lsn"), Some(&Value::Int32(1234)));
    assert_eq!(header(&out, "__id"), Some(&Value::from("571")));
    let lsn = out.headers().iter().find(|h| h.key == "__lsn").unwrap();
    assert_eq!(lsn.schema.as_deref(), Some(&Schema::optional_int32()));

    // a field of a null struct still gives its header, with a null value
    let out = apply(&mut configured(&[(ADD_HEADERS, "op,lsn,id")]), create());
    assert_eq!(out.headers().len(), 3);
    assert_eq!(header(&out, "__id"), Some(&Value::Null));

    let fields = "op,source.lsn,transaction.id,transaction.total_order";
    let mut t = configured(&[(ADD_HEADERS, fields), (ADD_HEADERS_PREFIX, "prefix.")]);
    let out = apply(&mut t, update());
    assert_eq!(out.headers().len(), 4);
    assert_eq!(header(&out, "prefix.source_lsn"), Some(&Value::Int32(1234)));
    assert_eq!(
        header(&out, "prefix.transaction_id"),
        Some(&Value::from("571"))
    );
    assert_eq!(
        header(&out, "prefix.transaction_total_order"),
        Some(&Value::Int64(42))
    );
}

#[test]
fn route_by_a_row_field() {
    let mut t = configured(&[(ROUTE_BY_FIELD, "name")]);
    assert_eq!(apply(&mut t, create()).topic(), "myRecord");
    assert_eq!(apply(&mut t, update()).topic(), "updatedRecord");
    // a delete is routed by its before state, even when it becomes a null value
    assert_eq!(apply(&mut t, delete()).topic(), "myRecord");
    // a null field leaves the topic
    assert_eq!(apply(&mut t, create_with_null_default()).topic(), "test");
    let mut t = configured(&[(ROUTE_BY_FIELD, "nope")]);
    let e = t.apply(create()).unwrap_err().to_string();
    assert_eq!(e, "data error: nope is not a valid field name");
    let mut t = configured(&[(ROUTE_BY_FIELD, "id")]);
    let e = t.apply(create()).unwrap_err().to_string();
    assert_eq!(e, "data error: Field 'id' is not of type STRING");
}

#[test]
fn rewrite_with_tombstone_adds_headers_to_delete_and_tombstone() {
    let mut t = configured(&[
        (MODE, "rewrite-with-tombstone"),
        (ADD_HEADERS, "op,source.lsn"),
    ]);
    let out = apply(&mut t, delete());
    assert_eq!(field(&out, "__deleted"), Value::from("true"));
    assert_eq!(header(&out, "__op"), Some(&Value::from("d")));
    assert_eq!(header(&out, "__source_lsn"), Some(&Value::Int32(1234)));

    let out = apply(&mut t, tombstone());
    assert!(out.value().is_null());
    assert_eq!(out.headers().len(), 1);
    assert_eq!(header(&out, "__op"), Some(&Value::from("d")));
}

#[test]
fn rewritten_deletes_get_added_fields() {
    for (m, fields) in [
        ("rewrite", "op"),
        ("rewrite", "op,lsn"),
        ("rewrite-with-tombstone", "op,lsn"),
        ("rewrite", "op,source.lsn"),
    ] {
        let out = apply(
            &mut configured(&[(MODE, m), (ADD_FIELDS, fields)]),
            delete(),
        );
        assert_eq!(field(&out, "__deleted"), Value::from("true"));
        assert_eq!(field(&out, "__op"), Value::from("d"));
        if fields.ends_with("source.lsn") {
            assert_eq!(field(&out, "__source_lsn"), Value::Int32(1234));
        } else if fields.ends_with("lsn") {
            assert_eq!(field(&out, "__lsn"), Value::Int32(1234));
        }
    }
    // a delete that became a null value gets no fields
    let out = apply(&mut configured(&[(ADD_FIELDS, "op")]), delete());
    assert!(out.value().is_null());
}

fn with_drop_header(mut rec: ConnectRecord) -> ConnectRecord {
    let names = vec![Value::from("id"), Value::from("name")];
    rec.headers_mut().push(Header {
        key: "drop-fields".into(),
        schema: Some(Arc::new(
            Schema::array(Arc::new(Schema::optional_string())).optional(),
        )),
        value: Value::Array(names),
    });
    rec
}

fn update_with_key() -> ConnectRecord {
    let row_s = row_schema_with_default();
    let env = envelope_schema("dummy.Envelope", &row_s, &[]);
    with_key(event(
        &env,
        "u",
        row(&row_s, 1, None),
        row(&row_s, 1, Some("updatedRecord")),
        transaction_struct(),
    ))
}

/// Runs Debezium's drop-fields sequence: create and update, without and with a key, then a
/// delete and a tombstone (dropped in `drop` mode). Returns the four unwrapped records.
fn drop_fields_run(extra: &[(&str, &str)]) -> Vec<ConnectRecord> {
    let mut pairs = vec![(MODE, "drop"), (DROP_FIELDS_HEADER, "drop-fields")];
    pairs.extend_from_slice(extra);
    let mut t = configured(&pairs);
    let outs = [
        create_with_null_default(),
        with_key(create_with_null_default()),
        {
            let mut r = update_with_key();
            r.set_key(None, Value::Null);
            r
        },
        update_with_key(),
    ]
    .into_iter()
    .map(|r| apply(&mut t, with_drop_header(r)))
    .collect();
    assert!(t.apply(with_drop_header(delete())).unwrap().is_none());
    assert!(t.apply(with_drop_header(tombstone())).unwrap().is_none());
    outs
}

#[test]
fn drop_fields_keeping_schemas_compatible() {
    for extra in [vec![], vec![(DROP_FIELDS_FROM_KEY, "true")]] {
        for (i, out) in drop_fields_run(&extra).iter().enumerate() {
            let schema = out.value_schema().unwrap();
            assert!(schema.field("name").is_none(), "optional field dropped");
            assert_eq!(field(out, "id"), Value::Int8(1), "required field kept");
            if i % 2 == 1 {
                // the key's id is required: kept even with drop.fields.from.key
                assert_eq!(
                    out.key().as_struct().unwrap().get("id"),
                    Some(&Value::Int8(1))
                );
            } else {
                assert!(out.key().is_null() && out.key_schema().is_none());
            }
        }
    }
}

#[test]
fn drop_fields_without_schema_compatibility() {
    let compat = (DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE, "false");
    for from_key in [false, true] {
        let mut extra = vec![compat];
        if from_key {
            extra.push((DROP_FIELDS_FROM_KEY, "true"));
        }
        for (i, out) in drop_fields_run(&extra).iter().enumerate() {
            let schema = out.value_schema().unwrap();
            assert!(schema.fields.is_empty(), "{:?}", schema.fields);
            assert_eq!(out.value().as_struct().unwrap().values().len(), 0);
            if i % 2 == 1 {
                let key_schema = out.key_schema().unwrap();
                assert_eq!(key_schema.field("id").is_none(), from_key);
            }
        }
    }
}

#[test]
fn drop_fields_header_must_be_a_list_of_names() {
    let mut t = configured(&[(DROP_FIELDS_HEADER, "drop-fields")]);
    let mut rec = create();
    rec.headers_mut().push(Header {
        key: "drop-fields".into(),
        schema: None,
        value: Value::Int32(3),
    });
    let e = t.apply(rec).unwrap_err().to_string();
    assert_eq!(
        e,
        "data error: Header drop-fields must hold a list of field names, found: java.lang.Integer"
    );
}

#[test]
fn bad_configurations_name_their_key() {
    let e = ExtractNewRecordState::new()
        .configure(&props(&[(MODE, "jbsdfkjsd")]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Invalid value jbsdfkjsd for configuration delete.tombstone.handling.mode"),
        "{e}"
    );
    let e = ExtractNewRecordState::new()
        .configure(&props(&[(ADD_HEADERS, "op,a:b:c")]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("configuration add.headers: Unexpected field name: a:b:c"),
        "{e}"
    );
    assert!(ExtractNewRecordState::new()
        .configure(&props(&[(MODE, "DROP")]))
        .is_ok());
    // keys Debezium 3.2 removed are ignored, as Debezium ignores them
    let mut t = configured(&[
        ("drop.tombstones", "false"),
        ("delete.handling.mode", "rewrite"),
    ]);
    assert!(apply(&mut t, delete()).value().is_null());
}

#[test]
fn registered_under_debezium_class_name() {
    let plugin = crate::find_transformation("io.debezium.transforms.ExtractNewRecordState")
        .expect("registered");
    assert!(plugin.answers_to("ExtractNewRecordState"));
    let def = (plugin.config_def)();
    for key in [
        MODE,
        ROUTE_BY_FIELD,
        ADD_FIELDS,
        ADD_FIELDS_PREFIX,
        ADD_HEADERS,
        ADD_HEADERS_PREFIX,
        DROP_FIELDS_HEADER,
        DROP_FIELDS_FROM_KEY,
        DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE,
        util::REPLACE_NULL_WITH_DEFAULT,
    ] {
        assert!(!def.key(key).expect(key).doc.is_empty(), "{key}");
    }
}
