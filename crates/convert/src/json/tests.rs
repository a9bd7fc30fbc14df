//! JsonConverter tests; the JSON is what Kafka's JsonConverter writes or its own tests read.

use super::*;
use ferry_api::HeaderConverter;
use ferry_api::{Date, Timestamp};

const T: &str = "topic";

fn json() -> JsonConverter {
    JsonConverter::new()
}

fn configured(pairs: &[(&str, &str)]) -> JsonConverter {
    let mut c = JsonConverter::new();
    let props: Props = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Converter::configure(&mut c, &props, false).unwrap();
    c
}

fn write(c: &JsonConverter, schema: Option<&Schema>, value: Option<&Value>) -> String {
    String::from_utf8(c.from_connect(T, schema, value).unwrap().unwrap()).unwrap()
}

fn read(c: &JsonConverter, text: &str) -> SchemaAndValue {
    c.to_connect(T, Some(text.as_bytes())).unwrap()
}

fn record_schema() -> Arc<Schema> {
    SchemaBuilder::struct_()
        .name("record")
        .field("id", Schema::int32())
        .field("name", Schema::optional_string())
        .build_arc()
        .unwrap()
}

const RECORD_JSON: &str = r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"}],"optional":false,"name":"record"},"payload":{"id":1,"name":"a"}}"#;

#[test]
fn struct_envelope_is_byte_identical() {
    let schema = record_schema();
    let value = Struct::new(schema.clone())
        .with("id", 1)
        .unwrap()
        .with("name", "a")
        .unwrap();
    let c = json();
    assert_eq!(
        write(&c, Some(&schema), Some(&Value::Struct(value.clone()))),
        RECORD_JSON
    );
    // and again, from the schema cache
    assert_eq!(
        write(&c, Some(&schema), Some(&Value::Struct(value.clone()))),
        RECORD_JSON
    );
    let back = read(&c, RECORD_JSON);
    assert_eq!(back.schema.as_deref(), Some(schema.as_ref()));
    assert_eq!(back.value, Some(Value::Struct(value)));
}

#[test]
fn decimal_base64() {
    let c = json();
    let text = r#"{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":"MDk="}"#;
    let back = read(&c, text);
    let schema = back.schema.clone().unwrap();
    assert_eq!(*schema, Decimal::schema(2));
    let Some(Value::Bytes(b)) = &back.value else {
        panic!("{back:?}")
    };
    assert_eq!(Decimal::to_i128(b), Some(12345));
    assert_eq!(Decimal::to_plain_string(b, 2), "123.45");
    assert_eq!(
        write(
            &c,
            Some(&Decimal::schema(2)),
            Some(&Decimal::from_i128(12345))
        ),
        text
    );
    // Kafka's decimalToConnect / decimalToJson: 156 is [0, -100], "AJw="
    let kafka = r#"{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": { "scale": "2" } }, "payload": "AJw=" }"#;
    assert_eq!(read(&c, kafka).value, Some(Value::Bytes(vec![0x00, 0x9C])));
    let out = write(
        &c,
        Some(&Decimal::schema(2)),
        Some(&Decimal::from_i128(156)),
    );
    assert!(out.ends_with(r#""payload":"AJw="}"#), "{out}");
    // redundant sign bytes are written in Java's minimal form
    let out = write(
        &c,
        Some(&Decimal::schema(2)),
        Some(&Value::Bytes(vec![0, 0, 0x30, 0x39])),
    );
    assert!(out.ends_with(r#""payload":"MDk="}"#), "{out}");
}

#[test]
fn decimal_defaults_and_nulls() {
    let c = json();
    let optional = r#"{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "optional": true, "parameters": { "scale": "2" } }, "payload": null }"#;
    let back = read(&c, optional);
    assert_eq!(
        back.schema.as_deref(),
        Some(&Decimal::builder(2).optional().build().unwrap())
    );
    assert_eq!(back.value, None);
    let with_default = r#"{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "default": "AJw=", "parameters": { "scale": "2" } }, "payload": null }"#;
    let back = read(&c, with_default);
    assert_eq!(
        back.schema.as_deref(),
        Some(
            &Decimal::builder(2)
                .default_value(Decimal::from_i128(156))
                .build()
                .unwrap()
        )
    );
    assert_eq!(back.value, Some(Decimal::from_i128(156)));
}

#[test]
fn decimal_numeric() {
    let c = configured(&[("decimal.format", "numeric")]);
    assert_eq!(c.decimal_format(), DecimalFormat::Numeric);
    let out = write(
        &c,
        Some(&Decimal::schema(2)),
        Some(&Decimal::from_i128(156)),
    );
    assert_eq!(
        out,
        r#"{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":1.56}"#
    );
    let out = write(
        &c,
        Some(&Decimal::schema(4)),
        Some(&Decimal::from_i128(15600)),
    );
    assert!(out.ends_with(r#""payload":1.5600}"#), "{out}");
    let out = write(&c, Some(&Decimal::schema(10)), Some(&Decimal::from_i128(1)));
    assert!(out.ends_with(r#""payload":1E-10}"#), "{out}");

    // numbers are read whatever decimal.format says
    let c = json();
    let msg = |scale: u32, payload: &str| {
        format!(
            r#"{{ "schema": {{ "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": {{ "scale": "{scale}" }} }}, "payload": {payload} }}"#
        )
    };
    let v = read(&c, &msg(2, "1.56")).value.unwrap();
    assert_eq!(v, Decimal::from_i128(156));
    let v = read(&c, &msg(4, "1.5600")).value.unwrap();
    assert_eq!(v, Decimal::from_i128(15600));
    let v = read(&c, &msg(17, "1.23456789123456789")).value.unwrap();
    assert_eq!(v, Decimal::from_i128(123456789123456789));
    // more digits than the scale holds is an error, not a silent rounding
    assert!(c.to_connect(T, Some(msg(1, "1.56").as_bytes())).is_err());
}

#[test]
fn dates_times_timestamps() {
    let c = json();
    let date = r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"payload":10000}"#;
    assert_eq!(
        write(&c, Some(&Date::schema()), Some(&Value::Int32(10000))),
        date
    );
    let back = read(&c, date);
    assert_eq!(back.schema.as_deref(), Some(&Date::schema()));
    assert_eq!(back.value, Some(Value::Int32(10000)));

    let time = r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1},"payload":14400000}"#;
    assert_eq!(
        write(&c, Some(&Time::schema()), Some(&Value::Int32(14_400_000))),
        time
    );
    assert_eq!(read(&c, time).value, Some(Value::Int32(14_400_000)));
    assert!(c
        .from_connect(
            T,
            Some(&Time::schema()),
            Some(&Value::Int32(Time::MILLIS_PER_DAY))
        )
        .is_err());

    let ts = r#"{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":4000000000}"#;
    assert_eq!(
        write(
            &c,
            Some(&Timestamp::schema()),
            Some(&Value::Int64(4_000_000_000))
        ),
        ts
    );
    assert_eq!(read(&c, ts).value, Some(Value::Int64(4_000_000_000)));

    // defaults
    let with_default = r#"{ "schema": { "type": "int64", "name": "org.apache.kafka.connect.data.Timestamp", "version": 1, "default": 42 }, "payload": null }"#;
    assert_eq!(read(&c, with_default).value, Some(Value::Int64(42)));
    // a date must be an integer
    let bad = r#"{ "schema": { "type": "int32", "name": "org.apache.kafka.connect.data.Date", "version": 1 }, "payload": "x" }"#;
    let e = c
        .to_connect(T, Some(bad.as_bytes()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("Invalid type for Date"), "{e}");
}

#[test]
fn schemas_disabled() {
    let c = configured(&[("schemas.enable", "false")]);
    assert!(!c.schemas_enabled());
    let schema = record_schema();
    let value = Struct::new(schema.clone())
        .with("id", 1)
        .unwrap()
        .with("name", "a")
        .unwrap();
    assert_eq!(
        write(&c, Some(&schema), Some(&Value::Struct(value))),
        r#"{"id":1,"name":"a"}"#
    );
    assert_eq!(write(&c, None, Some(&Value::Boolean(true))), "true");
    // schemaless reading
    let back = read(
        &c,
        r#"{"id":1,"name":"a","x":1.5,"l":[1,"2",null],"o":{"k":true}}"#,
    );
    assert_eq!(back.schema, None);
    assert_eq!(
        back.value,
        Some(Value::Map(vec![
            ("id".into(), Value::Int64(1)),
            ("name".into(), "a".into()),
            ("x".into(), Value::Float64(1.5)),
            (
                "l".into(),
                Value::Array(vec![Value::Int64(1), "2".into(), Value::Null])
            ),
            (
                "o".into(),
                Value::Map(vec![("k".into(), Value::Boolean(true))])
            ),
        ]))
    );
    assert_eq!(read(&c, "true").value, Some(Value::Boolean(true)));
    assert_eq!(read(&c, "12").value, Some(Value::Int64(12)));
    assert_eq!(read(&c, "12.24").value, Some(Value::Float64(12.24)));
    assert_eq!(read(&c, "1e2").value, Some(Value::Float64(100.0)));
    // an envelope is just data when schemas are off
    let back = read(&c, RECORD_JSON);
    assert!(matches!(back.value, Some(Value::Map(_))));
    // empty bytes and "null" are a null value
    assert_eq!(read(&c, ""), SchemaAndValue::NULL);
    assert_eq!(read(&c, "null"), SchemaAndValue::NULL);
    // a schema with a null value writes a JSON null, not a tombstone
    assert_eq!(write(&c, Some(&Schema::optional_string()), None), "null");
}

#[test]
fn missing_envelope_is_explained() {
    let c = json();
    for text in [
        r#"{"id":1}"#,
        r#"{"schema":null}"#,
        r#"{"schema":null,"payload":1,"extra":2}"#,
        "[1,2]",
        "12",
        "",
    ] {
        let e = c
            .to_connect(T, Some(text.as_bytes()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("requires \"schema\" and \"payload\" fields")
                && e.contains("set schemas.enable=false"),
            "{text}: {e}"
        );
    }
    let e = c.to_connect(T, Some(b"{not json")).unwrap_err().to_string();
    assert!(e.contains("serialization error"), "{e}");
}

#[test]
fn nulls_and_tombstones() {
    let c = json();
    assert_eq!(c.from_connect(T, None, None).unwrap(), None);
    assert_eq!(c.from_connect(T, None, Some(&Value::Null)).unwrap(), None);
    assert_eq!(c.to_connect(T, None).unwrap(), SchemaAndValue::NULL);
    assert_eq!(
        write(&c, Some(&Schema::optional_boolean()), None),
        r#"{"schema":{"type":"boolean","optional":true},"payload":null}"#
    );
    let e = c
        .from_connect(T, Some(&Schema::boolean()), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("null value for field that is required"), "{e}");
    assert_eq!(
        read(&c, r#"{ "schema": null, "payload": null }"#),
        SchemaAndValue::NULL
    );
    let back = read(
        &c,
        r#"{ "schema": { "type": "boolean", "optional": true }, "payload": null }"#,
    );
    assert_eq!(back.schema.as_deref(), Some(&Schema::optional_boolean()));
    assert_eq!(back.value, None);
    assert!(c
        .to_connect(
            T,
            Some(br#"{ "schema": { "type": "boolean" }, "payload": null }"#)
        )
        .is_err());
}

#[test]
fn primitives_to_connect_as_kafka_tests_read_them() {
    let c = json();
    let cases: Vec<(&str, Schema, Value)> = vec![
        (
            r#"{ "schema": { "type": "boolean" }, "payload": true }"#,
            Schema::boolean(),
            Value::Boolean(true),
        ),
        (
            r#"{ "schema": { "type": "int8" }, "payload": 12 }"#,
            Schema::int8(),
            Value::Int8(12),
        ),
        (
            r#"{ "schema": { "type": "int16" }, "payload": 12 }"#,
            Schema::int16(),
            Value::Int16(12),
        ),
        (
            r#"{ "schema": { "type": "int32" }, "payload": 12 }"#,
            Schema::int32(),
            Value::Int32(12),
        ),
        (
            r#"{ "schema": { "type": "int64" }, "payload": 4398046511104 }"#,
            Schema::int64(),
            Value::Int64(4398046511104),
        ),
        (
            r#"{ "schema": { "type": "int8" }, "payload": 0012 }"#,
            Schema::int8(),
            Value::Int8(12),
        ),
        (
            r#"{ "schema": { "type": "int64" }, "payload": 00000123456789 }"#,
            Schema::int64(),
            Value::Int64(123456789),
        ),
        (
            r#"{ "schema": { "type": "float" }, "payload": 12.34 }"#,
            Schema::float32(),
            Value::Float32(12.34),
        ),
        (
            r#"{ "schema": { "type": "double" }, "payload": 12.34 }"#,
            Schema::float64(),
            Value::Float64(12.34),
        ),
        (
            r#"{ "schema": { "type": "bytes" }, "payload": "dGVzdC1zdHJpbmc=" }"#,
            Schema::bytes(),
            Value::Bytes(b"test-string".to_vec()),
        ),
        (
            r#"{ "schema": { "type": "string" }, "payload": "foo-bar-baz" }"#,
            Schema::string(),
            Value::from("foo-bar-baz"),
        ),
    ];
    for (text, schema, value) in cases {
        let back = read(&c, text);
        assert_eq!(back.schema.as_deref(), Some(&schema), "{text}");
        assert_eq!(back.value, Some(value), "{text}");
    }
    // schema metadata
    let back = read(
        &c,
        r#"{ "schema": { "type": "boolean", "optional": false, "name": "bool", "version": 2, "doc": "the documentation", "parameters": { "foo": "bar" }}, "payload": true }"#,
    );
    let expected = SchemaBuilder::boolean()
        .name("bool")
        .version(2)
        .doc("the documentation")
        .parameter("foo", "bar")
        .build()
        .unwrap();
    assert_eq!(back.schema.as_deref(), Some(&expected));
    let back = read(
        &c,
        r#"{ "schema": { "type": "boolean", "default": true }, "payload": null }"#,
    );
    assert_eq!(
        back.schema.as_deref(),
        Some(
            &SchemaBuilder::boolean()
                .default_value(true)
                .build()
                .unwrap()
        )
    );
    assert_eq!(back.value, Some(Value::Boolean(true)));
}

#[test]
fn primitives_to_json() {
    let c = json();
    let cases: Vec<(Schema, Value, &str)> = vec![
        (
            Schema::boolean(),
            Value::Boolean(true),
            r#"{"schema":{"type":"boolean","optional":false},"payload":true}"#,
        ),
        (
            Schema::int8(),
            Value::Int8(12),
            r#"{"schema":{"type":"int8","optional":false},"payload":12}"#,
        ),
        (
            Schema::int16(),
            Value::Int16(12),
            r#"{"schema":{"type":"int16","optional":false},"payload":12}"#,
        ),
        (
            Schema::int32(),
            Value::Int32(12),
            r#"{"schema":{"type":"int32","optional":false},"payload":12}"#,
        ),
        (
            Schema::int64(),
            Value::Int64(4398046511104),
            r#"{"schema":{"type":"int64","optional":false},"payload":4398046511104}"#,
        ),
        (
            Schema::float32(),
            Value::Float32(12.34),
            r#"{"schema":{"type":"float","optional":false},"payload":12.34}"#,
        ),
        (
            Schema::float64(),
            Value::Float64(12.34),
            r#"{"schema":{"type":"double","optional":false},"payload":12.34}"#,
        ),
        (
            Schema::float64(),
            Value::Float64(1e21),
            r#"{"schema":{"type":"double","optional":false},"payload":1.0E21}"#,
        ),
        (
            Schema::bytes(),
            Value::Bytes(b"test-string".to_vec()),
            r#"{"schema":{"type":"bytes","optional":false},"payload":"dGVzdC1zdHJpbmc="}"#,
        ),
        (
            Schema::string(),
            Value::from("test-string"),
            r#"{"schema":{"type":"string","optional":false},"payload":"test-string"}"#,
        ),
    ];
    for (schema, value, expected) in cases {
        assert_eq!(write(&c, Some(&schema), Some(&value)), expected);
        let back = read(&c, expected);
        assert_eq!(back.value, Some(value));
        assert_eq!(back.schema.as_deref(), Some(&schema));
    }
    let meta = SchemaBuilder::boolean()
        .name("bool")
        .version(3)
        .doc("the documentation")
        .parameter("foo", "bar")
        .default_value(true)
        .build()
        .unwrap();
    assert_eq!(
        write(&c, Some(&meta), Some(&Value::Boolean(true))),
        r#"{"schema":{"type":"boolean","optional":false,"name":"bool","version":3,"doc":"the documentation","parameters":{"foo":"bar"},"default":true},"payload":true}"#
    );
}

#[test]
fn arrays_and_maps() {
    let c = json();
    let arr = Schema::array(Schema::int32());
    let v = Value::Array(vec![Value::Int32(1), Value::Int32(2), Value::Int32(3)]);
    let text = r#"{"schema":{"type":"array","items":{"type":"int32","optional":false},"optional":false},"payload":[1,2,3]}"#;
    assert_eq!(write(&c, Some(&arr), Some(&v)), text);
    assert_eq!(read(&c, text).value, Some(v));

    let string_map = Schema::map(Schema::string(), Schema::int32());
    let v = Value::Map(vec![
        ("key1".into(), Value::Int32(12)),
        ("key2".into(), Value::Int32(15)),
    ]);
    let text = r#"{"schema":{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":false},"payload":{"key1":12,"key2":15}}"#;
    assert_eq!(write(&c, Some(&string_map), Some(&v)), text);
    assert_eq!(read(&c, text).value, Some(v));

    let int_map = Schema::map(Schema::int32(), Schema::int32());
    let v = Value::Map(vec![
        (Value::Int32(1), Value::Int32(12)),
        (Value::Int32(2), Value::Int32(15)),
    ]);
    let text = r#"{"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"int32","optional":false},"optional":false},"payload":[[1,12],[2,15]]}"#;
    assert_eq!(write(&c, Some(&int_map), Some(&v)), text);
    assert_eq!(read(&c, text).value, Some(v));

    // malformed maps
    for bad in [
        r#"{ "schema": { "type": "map", "keys": { "type" : "int32" }, "values": { "type" : "int32" } }, "payload": {"a":1} }"#,
        r#"{ "schema": { "type": "map", "keys": { "type" : "int32" }, "values": { "type" : "int32" } }, "payload": [[1,2,3]] }"#,
        r#"{ "schema": { "type": "map", "keys": { "type" : "string" }, "values": { "type" : "int32" } }, "payload": [] }"#,
    ] {
        assert!(c.to_connect(T, Some(bad.as_bytes())).is_err(), "{bad}");
    }
}

#[test]
fn schemaless_values_to_json() {
    let c = json();
    let v = Value::Array(vec![Value::Int32(1), "string".into(), Value::Boolean(true)]);
    assert_eq!(
        write(&c, None, Some(&v)),
        r#"{"schema":null,"payload":[1,"string",true]}"#
    );
    let m = Value::Map(vec![
        ("key1".into(), Value::Int32(12)),
        ("key2".into(), "string".into()),
    ]);
    assert_eq!(
        write(&c, None, Some(&m)),
        r#"{"schema":null,"payload":{"key1":12,"key2":"string"}}"#
    );
    let mixed = Value::Map(vec![
        ("string".into(), Value::Int32(12)),
        (Value::Int32(52), "string".into()),
        (Value::Boolean(false), Value::Boolean(true)),
    ]);
    assert_eq!(
        write(&c, None, Some(&mixed)),
        r#"{"schema":null,"payload":[["string",12],[52,"string"],[false,true]]}"#
    );
    // and read back without a schema
    let back = read(
        &c,
        r#"{ "schema": null, "payload": { "field1": 1, "field2": 2} }"#,
    );
    assert_eq!(back.schema, None);
    assert_eq!(
        back.value,
        Some(Value::Map(vec![
            ("field1".into(), Value::Int64(1)),
            ("field2".into(), Value::Int64(2)),
        ]))
    );
}

#[test]
fn structs() {
    let c = json();
    let text = r#"{ "schema": { "type": "struct", "fields": [{ "field": "field1", "type": "boolean" }, { "field": "field2", "type": "string" }] }, "payload": { "field1": true, "field2": "string" } }"#;
    let schema = SchemaBuilder::struct_()
        .field("field1", Schema::boolean())
        .field("field2", Schema::string())
        .build_arc()
        .unwrap();
    let back = read(&c, text);
    assert_eq!(back.schema.as_deref(), Some(schema.as_ref()));
    let expected = Struct::new(schema.clone())
        .with("field1", true)
        .unwrap()
        .with("field2", "string")
        .unwrap();
    assert_eq!(back.value, Some(Value::Struct(expected)));

    // a missing optional field reads as null; a missing required one fails
    let text = r#"{ "schema": { "type": "struct", "fields": [{ "field":"optional", "type": "string", "optional": true }, {  "field": "required", "type": "string" }] }, "payload": { "required": "required" } }"#;
    let back = read(&c, text);
    let Some(Value::Struct(s)) = back.value else {
        panic!()
    };
    assert_eq!(s.get("optional"), Some(&Value::Null));
    assert_eq!(s.get("required"), Some(&Value::from("required")));
    let text = r#"{ "schema": { "type": "struct", "fields": [{ "field": "required", "type": "string" }] }, "payload": {} }"#;
    assert!(c.to_connect(T, Some(text.as_bytes())).is_err());

    // nested
    let inner = record_schema();
    let outer = SchemaBuilder::struct_()
        .field("r", inner.clone())
        .field("tags", Schema::array(Schema::string()).optional())
        .build_arc()
        .unwrap();
    let r = Struct::new(inner).with("id", 7).unwrap();
    let o = Struct::new(outer.clone()).with("r", r).unwrap();
    let text = write(&c, Some(&outer), Some(&Value::Struct(o.clone())));
    assert_eq!(
        text,
        r#"{"schema":{"type":"struct","fields":[{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"}],"optional":false,"name":"record","field":"r"},{"type":"array","items":{"type":"string","optional":false},"optional":true,"field":"tags"}],"optional":false},"payload":{"r":{"id":7,"name":null},"tags":null}}"#
    );
    let back = read(&c, &text);
    assert_eq!(back.schema.as_deref(), Some(outer.as_ref()));
    assert_eq!(back.value, Some(Value::Struct(o)));

    // a struct of another schema is refused
    let e = c
        .from_connect(
            T,
            Some(&outer),
            Some(&Value::Struct(Struct::new(record_schema()))),
        )
        .unwrap_err();
    assert!(e.to_string().contains("Mismatching schema"));
}

#[test]
fn replace_null_with_default() {
    let schema = SchemaBuilder::string()
        .optional()
        .default_value("default")
        .build()
        .unwrap();
    let on = json();
    let off = configured(&[("replace.null.with.default", "false")]);
    assert_eq!(
        write(&on, Some(&schema), None),
        r#"{"schema":{"type":"string","optional":true,"default":"default"},"payload":"default"}"#
    );
    assert_eq!(
        write(&off, Some(&schema), None),
        r#"{"schema":{"type":"string","optional":true,"default":"default"},"payload":null}"#
    );
    let text = r#"{"schema":{"type":"string","optional":true,"default":"default"},"payload":null}"#;
    assert_eq!(read(&on, text).value, Some(Value::from("default")));
    assert_eq!(read(&off, text).value, None);

    let st = SchemaBuilder::struct_()
        .field("field1", schema)
        .build_arc()
        .unwrap();
    assert_eq!(
        write(
            &on,
            Some(&st),
            Some(&Value::Struct(Struct::new(st.clone())))
        ),
        r#"{"schema":{"type":"struct","fields":[{"type":"string","optional":true,"default":"default","field":"field1"}],"optional":false},"payload":{"field1":"default"}}"#
    );
    assert_eq!(
        write(
            &off,
            Some(&st),
            Some(&Value::Struct(Struct::new(st.clone())))
        ),
        r#"{"schema":{"type":"struct","fields":[{"type":"string","optional":true,"default":"default","field":"field1"}],"optional":false},"payload":{"field1":null}}"#
    );
    let text = r#"{"schema":{"type":"struct","fields":[{"field":"field1","type":"string","optional":true,"default":"default"}],"optional":false},"payload":{"field1":null}}"#;
    let expected = Struct::new(st.clone()).with("field1", "default").unwrap();
    assert_eq!(read(&on, text).value, Some(Value::Struct(expected)));
    assert_eq!(read(&off, text).value, Some(Value::Struct(Struct::new(st))));
}

#[test]
fn mismatched_value_fails() {
    let c = json();
    let e = c
        .from_connect(T, Some(&Schema::float64()), Some(&Value::Boolean(true)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("Invalid type for FLOAT64: BOOLEAN"), "{e}");
    let text = r#"{ "schema": { "type": "int32" }, "payload": "12" }"#;
    assert!(c.to_connect(T, Some(text.as_bytes())).is_err());
    for bad in [
        r#"{"schema":{"optional":true},"payload":1}"#,
        r#"{"schema":{"type":"wat"},"payload":1}"#,
        r#"{"schema":{"type":"array"},"payload":[]}"#,
        r#"{"schema":{"type":"map","keys":{"type":"string"}},"payload":{}}"#,
        r#"{"schema":{"type":"struct","fields":{}},"payload":{}}"#,
        r#"{"schema":{"type":"struct","fields":[{"type":"int32"}]},"payload":{}}"#,
        r#"{"schema":{"type":"int32","parameters":{"a":1}},"payload":1}"#,
        r#"{"schema":{"type":"struct","fields":[{"field":"a","type":"int32"},{"field":"a","type":"int32"}]},"payload":{}}"#,
    ] {
        assert!(c.to_connect(T, Some(bad.as_bytes())).is_err(), "{bad}");
    }
}

#[test]
fn every_type_round_trips() {
    let c = json();
    let inner = SchemaBuilder::struct_()
        .name("inner")
        .version(2)
        .doc("an \"inner\" struct")
        .field("f", Schema::optional_float32())
        .build_arc()
        .unwrap();
    let schema = SchemaBuilder::struct_()
        .name("all")
        .parameter("p", "v")
        .field("i8", Schema::int8())
        .field("i16", Schema::int16())
        .field(
            "i32",
            SchemaBuilder::int32().default_value(5).build().unwrap(),
        )
        .field("i64", Schema::int64())
        .field("f32", Schema::float32())
        .field("f64", Schema::float64())
        .field("b", Schema::boolean())
        .field("s", Schema::string())
        .field("bytes", Schema::bytes())
        .field("arr", Schema::array(Schema::optional_string()))
        .field("m", Schema::map(Schema::string(), inner.clone()))
        .field("mi", Schema::map(Schema::int64(), Schema::boolean()))
        .field("dec", Decimal::builder(3).optional().build().unwrap())
        .field("date", Date::schema())
        .field("time", Time::schema())
        .field("ts", Timestamp::schema())
        .field("in", inner.clone())
        .build_arc()
        .unwrap();
    let inner_v = Struct::new(inner.clone()).with("f", 0.5f32).unwrap();
    let v = Struct::new(schema.clone())
        .with("i8", -8i8)
        .unwrap()
        .with("i16", 16i16)
        .unwrap()
        .with("i64", i64::MIN)
        .unwrap()
        .with("f32", -1.25e-7f32)
        .unwrap()
        .with("f64", std::f64::consts::PI)
        .unwrap()
        .with("b", false)
        .unwrap()
        .with(
            "s",
            "quote \" backslash \\ newline \n tab \t control \u{1} é 😀",
        )
        .unwrap()
        .with("bytes", vec![0u8, 255, 10])
        .unwrap()
        .with("arr", vec![Value::from("x"), Value::Null])
        .unwrap()
        .with(
            "m",
            Value::Map(vec![("k".into(), Value::Struct(inner_v.clone()))]),
        )
        .unwrap()
        .with(
            "mi",
            Value::Map(vec![(Value::Int64(-1), Value::Boolean(true))]),
        )
        .unwrap()
        .with("dec", Decimal::from_i128(-123456789))
        .unwrap()
        .with("date", Date::from_ymd(2024, 2, 29).unwrap())
        .unwrap()
        .with("time", Time::from_hms_milli(23, 59, 59, 999).unwrap())
        .unwrap()
        .with("ts", 1_700_000_000_123i64)
        .unwrap()
        .with("in", inner_v)
        .unwrap();
    v.validate().unwrap();
    let bytes = c
        .from_connect(T, Some(&schema), Some(&Value::Struct(v.clone())))
        .unwrap()
        .unwrap();
    let back = c.to_connect(T, Some(&bytes)).unwrap();
    assert_eq!(back.schema.as_deref(), Some(schema.as_ref()));
    // the unset defaulted field comes back as its default
    let mut expected = v.clone();
    expected.put("i32", 5).unwrap();
    assert_eq!(back.value, Some(Value::Struct(expected.clone())));
    // and writing what was read gives the same bytes
    let again = c
        .from_connect(T, back.schema.as_deref(), back.value.as_ref())
        .unwrap()
        .unwrap();
    assert_eq!(
        String::from_utf8(again).unwrap(),
        String::from_utf8(bytes).unwrap()
    );

    // the same without the envelope needs the schema to read; check the payload survives
    let plain = configured(&[("schemas.enable", "false")]);
    let bytes = plain
        .from_connect(T, Some(&schema), Some(&Value::Struct(expected)))
        .unwrap()
        .unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with(r#"{"i8":-8,"i16":16,"i32":5,"i64":-9223372036854775808,"f32":-1.25E-7,"f64":3.141592653589793,"b":false,"s":"quote \" backslash \\ newline \n tab \t control \u0001 é 😀","bytes":"AP8K","arr":["x",null],"m":{"k":{"f":0.5}},"mi":[[-1,true]],"dec":"+KQy6w==","date":19782,"time":86399999,"ts":1700000000123,"in":{"f":0.5}}"#), "{text}");
}

#[test]
fn schema_json_helpers() {
    let c = json();
    let s = c.schema_to_json(&record_schema()).unwrap();
    assert_eq!(
        s,
        r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"}],"optional":false,"name":"record"}"#
    );
    assert_eq!(
        c.schema_from_json(&s).unwrap().as_ref(),
        Some(record_schema().as_ref())
    );
    assert_eq!(c.schema_from_json("null").unwrap(), None);
}

#[test]
fn schema_cache_tells_schemas_apart() {
    let c = json();
    for _ in 0..3 {
        let a = Schema::int32();
        let b = Schema::optional_int32();
        assert!(write(&c, Some(&a), Some(&Value::Int32(1))).contains(r#""optional":false"#));
        assert!(write(&c, Some(&b), Some(&Value::Int32(1))).contains(r#""optional":true"#));
    }
    // same text, read twice, gives equal schemas; different text is cached apart
    let one = read(
        &c,
        r#"{ "schema": { "type": "boolean" }, "payload": true }"#,
    );
    let two = read(
        &c,
        r#"{ "schema": { "type": "boolean" }, "payload": true }"#,
    );
    assert_eq!(one, two);
    let opt = read(
        &c,
        r#"{ "schema": { "type": "boolean", "optional": true }, "payload": true }"#,
    );
    assert_eq!(opt.schema.as_deref(), Some(&Schema::optional_boolean()));
    let small = configured(&[("schemas.cache.size", "0")]);
    assert_eq!(read(&small, RECORD_JSON).value, read(&c, RECORD_JSON).value);
}

#[test]
fn headers_delegate() {
    let c = crate::AsHeaderConverter(json());
    let b = c
        .from_connect_header(T, "h", Some(&Schema::string()), &Value::from("test-string"))
        .unwrap()
        .unwrap();
    assert_eq!(
        b,
        br#"{"schema":{"type":"string","optional":false},"payload":"test-string"}"#
    );
    let back = c
        .to_connect_header(
            T,
            "h",
            Some(br#"{ "schema": { "type": "string" }, "payload": "foo-bar-baz" }"#),
        )
        .unwrap();
    assert_eq!(back.value, Some(Value::from("foo-bar-baz")));
}

#[test]
fn invalid_config_is_rejected() {
    let mut c = JsonConverter::new();
    for (k, v) in [("schemas.enable", "maybe"), ("decimal.format", "HEX")] {
        let props: Props = [(k.to_string(), v.to_string())].into_iter().collect();
        assert!(
            Converter::configure(&mut c, &props, true).is_err(),
            "{k}={v}"
        );
    }
}

#[test]
fn java_long_value_matches_java() {
    assert_eq!(java_long_value("12"), 12);
    assert_eq!(java_long_value("-12"), -12);
    assert_eq!(java_long_value("0012"), 12);
    assert_eq!(java_long_value("12.9"), 12);
    assert_eq!(java_long_value("-12.9"), -12);
    assert_eq!(java_long_value("1.5e3"), 1500);
    assert_eq!(java_long_value("15e-1"), 1);
    assert_eq!(java_long_value("9223372036854775808"), i64::MIN);
    assert_eq!(java_long_value("18446744073709551617"), 1);
    assert_eq!(java_long_value("1e400"), 0);
    assert_eq!(java_long_value("1e-400"), 0);
    assert_eq!(java_long_value("300") as i8, 44);
}

#[test]
fn struct_default_round_trips() {
    let c = json();
    let text = r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"}],"optional":true,"default":{"a":1}},"payload":null}"#;
    let back = read(&c, text);
    let schema = back.schema.clone().unwrap();
    let Some(Value::Struct(d)) = &schema.default else {
        panic!("{schema:?}")
    };
    assert_eq!(d.get("a"), Some(&Value::Int32(1)));
    // the null payload reads as the default
    assert_eq!(back.value.as_ref(), schema.default.as_ref());
    assert_eq!(
        write(&c, Some(&schema), None),
        text.replace("\"payload\":null", "\"payload\":{\"a\":1}")
    );
}

#[test]
fn non_finite_floats_are_strings() {
    let c = json();
    let out = write(
        &c,
        Some(&Schema::float64()),
        Some(&Value::Float64(f64::NAN)),
    );
    assert_eq!(
        out,
        r#"{"schema":{"type":"double","optional":false},"payload":"NaN"}"#
    );
    let Some(Value::Float64(v)) = read(&c, &out).value else {
        panic!()
    };
    assert!(v.is_nan());
    let out = write(
        &c,
        Some(&Schema::float32()),
        Some(&Value::Float32(f32::INFINITY)),
    );
    assert!(out.ends_with(r#""payload":"Infinity"}"#), "{out}");
    assert_eq!(read(&c, &out).value, Some(Value::Float32(f32::INFINITY)));
}

#[test]
fn parameters_version_doc_escape() {
    let c = json();
    let schema = SchemaBuilder::string()
        .name("n\"ame")
        .doc("line\nbreak")
        .parameter("b", "2")
        .parameter("a", "1")
        .build()
        .unwrap();
    let out = write(&c, Some(&schema), Some(&Value::from("v")));
    // parameters come out sorted by key (Kafka keeps insertion order)
    assert_eq!(
        out,
        r#"{"schema":{"type":"string","optional":false,"name":"n\"ame","doc":"line\nbreak","parameters":{"a":"1","b":"2"}},"payload":"v"}"#
    );
    assert_eq!(read(&c, &out).schema.as_deref(), Some(&schema));
}

#[test]
fn an_envelope_with_the_last_schema_reads_the_same_as_the_first_time() {
    let c = configured(&[("schemas.enable", "true")]);
    let first = read(&c, RECORD_JSON);
    // The same schema text again: read by the known-envelope path, same result.
    let again = read(&c, RECORD_JSON);
    assert_eq!(again.schema, first.schema);
    assert_eq!(again.value, first.value);
    let other_payload = RECORD_JSON.replace(
        r#""payload":{"id":1,"name":"a"}"#,
        r#""payload":{"id":2,"name":null}  "#,
    );
    let other = read(&c, &other_payload);
    let expected = Struct::new(record_schema()).with("id", 2).unwrap();
    assert_eq!(other.value, Some(Value::Struct(expected)));
    // What the general path refuses stays refused when the schema is the known one: a member
    // after the payload, a broken payload.
    for bad in [
        RECORD_JSON.replace(r#""name":"a"}}"#, r#""name":"a"},"extra":1}"#),
        RECORD_JSON.replace(r#""name":"a"}}"#, r#""name":"a"}"#),
    ] {
        assert!(c.to_connect(T, Some(bad.as_bytes())).is_err(), "{bad}");
    }
    // A second payload member: the general path's answer (the last one, as Jackson's).
    let twice = RECORD_JSON.replace(r#""name":"a"}}"#, r#""name":"a"},"payload":{"id":3}}"#);
    let last = read(&c, &twice);
    let expected = Struct::new(record_schema()).with("id", 3).unwrap();
    assert_eq!(last.value, Some(Value::Struct(expected)));
}
