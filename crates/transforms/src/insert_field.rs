//! `org.apache.kafka.connect.transforms.InsertField`: adds the topic, partition, offset,
//! timestamp or a static string as fields of the key or value.

use std::sync::Arc;

use ferry_api::data::{Schema, Struct, Value};
use ferry_api::{
    ConfigDef, ConfigType, ConnectError, ConnectRecord, Importance, Props, Result, Transformation,
};

use crate::util::{self, SchemaCache, Target};

const TOPIC: &str = "topic.field";
const PARTITION: &str = "partition.field";
const OFFSET: &str = "offset.field";
const TIMESTAMP: &str = "timestamp.field";
const STATIC_FIELD: &str = "static.field";
const STATIC_VALUE: &str = "static.value";
const PURPOSE: &str = "field insertion";

pub fn config_def() -> ConfigDef {
    let suffix = " Suffix with <code>!</code> to make this a required field, or <code>?</code> \
                  to keep it optional (the default).";
    let def = ConfigDef::new()
        .optional(
            TOPIC,
            ConfigType::String,
            None,
            Importance::Medium,
            &format!("Field name for Kafka topic.{suffix}"),
        )
        .optional(
            PARTITION,
            ConfigType::String,
            None,
            Importance::Medium,
            &format!("Field name for Kafka partition.{suffix}"),
        )
        .optional(
            OFFSET,
            ConfigType::String,
            None,
            Importance::Medium,
            &format!("Field name for Kafka offset - only applicable to sink connectors.{suffix}"),
        )
        .optional(
            TIMESTAMP,
            ConfigType::String,
            None,
            Importance::Medium,
            &format!("Field name for record timestamp.{suffix}"),
        )
        .optional(
            STATIC_FIELD,
            ConfigType::String,
            None,
            Importance::Medium,
            &format!("Field name for static data field.{suffix}"),
        )
        .optional(
            STATIC_VALUE,
            ConfigType::String,
            None,
            Importance::Medium,
            "Static field value, if field name configured.",
        );
    util::with_replace_null(def)
}

/// A field to insert: its name and whether it is optional (`name?`, the default) or required
/// (`name!`).
#[derive(Debug, Clone)]
struct InsertionSpec {
    name: String,
    optional: bool,
}

impl InsertionSpec {
    fn parse(spec: Option<&str>) -> Option<InsertionSpec> {
        let spec = spec?;
        if spec.is_empty() {
            return None;
        }
        let (name, optional) = if let Some(n) = spec.strip_suffix('!') {
            (n, false)
        } else if let Some(n) = spec.strip_suffix('?') {
            (n, true)
        } else {
            (spec, true)
        };
        Some(InsertionSpec {
            name: name.to_string(),
            optional,
        })
    }
}

pub struct InsertField {
    target: Target,
    topic: Option<InsertionSpec>,
    partition: Option<InsertionSpec>,
    offset: Option<InsertionSpec>,
    timestamp: Option<InsertionSpec>,
    static_field: Option<InsertionSpec>,
    static_value: Option<String>,
    replace_null: bool,
    cache: SchemaCache,
}

impl InsertField {
    pub fn new(target: Target) -> Self {
        InsertField {
            target,
            topic: None,
            partition: None,
            offset: None,
            timestamp: None,
            static_field: None,
            static_value: None,
            replace_null: true,
            cache: SchemaCache::default(),
        }
    }

    fn offset_of(&self, record: &ConnectRecord) -> Result<i64> {
        record.kafka_offset().ok_or_else(|| {
            ConnectError::Data(format!(
                "Only SinkRecord supported for [{PURPOSE}], found: org.apache.kafka.connect.source.SourceRecord"
            ))
        })
    }

    fn updated_schema(&self, schema: &Arc<Schema>) -> Result<Arc<Schema>> {
        let mut b = util::struct_basics(schema);
        for f in &schema.fields {
            b = b.field(f.name.clone(), f.schema.clone());
        }
        let opt = |spec: &InsertionSpec, s: Schema| if spec.optional { s.optional() } else { s };
        if let Some(s) = &self.topic {
            b = b.field(s.name.clone(), opt(s, Schema::string()));
        }
        if let Some(s) = &self.partition {
            b = b.field(s.name.clone(), opt(s, Schema::int32()));
        }
        if let Some(s) = &self.offset {
            b = b.field(s.name.clone(), opt(s, Schema::int64()));
        }
        if let Some(s) = &self.timestamp {
            b = b.field(
                s.name.clone(),
                opt(s, ferry_api::logical::Timestamp::schema()),
            );
        }
        if let Some(s) = &self.static_field {
            b = b.field(s.name.clone(), opt(s, Schema::string()));
        }
        util::build(b)
    }

    /// The (name, value) pairs to insert into this record.
    fn insertions(&self, record: &ConnectRecord, schemaless: bool) -> Result<Vec<(String, Value)>> {
        let mut out = Vec::new();
        if let Some(s) = &self.topic {
            out.push((s.name.clone(), Value::String(record.topic().to_string())));
        }
        if let Some(s) = &self.partition {
            match record.kafka_partition() {
                Some(p) => out.push((s.name.clone(), Value::Int32(p))),
                None if !schemaless => out.push((s.name.clone(), Value::Null)),
                None => {}
            }
        }
        if let Some(s) = &self.offset {
            out.push((s.name.clone(), Value::Int64(self.offset_of(record)?)));
        }
        if let Some(s) = &self.timestamp {
            match record.timestamp() {
                Some(t) => out.push((s.name.clone(), Value::Int64(t))),
                None if !schemaless => out.push((s.name.clone(), Value::Null)),
                None => {}
            }
        }
        if let Some(s) = &self.static_field {
            match &self.static_value {
                Some(v) => out.push((s.name.clone(), Value::String(v.clone()))),
                None if !schemaless => out.push((s.name.clone(), Value::Null)),
                None => {}
            }
        }
        Ok(out)
    }
}

impl Transformation for InsertField {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&config_def(), props)?;
        self.topic = InsertionSpec::parse(c.string(TOPIC));
        self.partition = InsertionSpec::parse(c.string(PARTITION));
        self.offset = InsertionSpec::parse(c.string(OFFSET));
        self.timestamp = InsertionSpec::parse(c.string(TIMESTAMP));
        self.static_field = InsertionSpec::parse(c.string(STATIC_FIELD));
        self.static_value = c.string(STATIC_VALUE).map(str::to_string);
        self.replace_null = c.boolean(util::REPLACE_NULL_WITH_DEFAULT).unwrap_or(true);
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>> {
        if self.target.value(&record).is_null() {
            return Ok(Some(record));
        }
        match self.target.schema(&record).cloned() {
            None => {
                util::require_map(self.target.value(&record), PURPOSE)?;
                let inserts = self.insertions(&record, true)?;
                let (_, value) = self.target.take(&mut record);
                let mut map = util::into_map(value, PURPOSE)?;
                for (k, v) in inserts {
                    util::map_put(&mut map, &k, v);
                }
                self.target.set(&mut record, None, Value::Map(map));
            }
            Some(schema) => {
                util::require_struct(self.target.value(&record), PURPOSE)?;
                let inserts = self.insertions(&record, false)?;
                let mut cache = std::mem::take(&mut self.cache);
                let updated = cache.get_or(&schema, |s| self.updated_schema(s));
                self.cache = cache;
                let updated = updated?;
                let (_, value) = self.target.take(&mut record);
                let original = util::into_struct(value, PURPOSE)?;
                let mut values: Vec<Value> = original
                    .schema()
                    .fields
                    .iter()
                    .map(|f| util::field_value(&original, &f.name, self.replace_null))
                    .collect();
                values.extend(inserts.into_iter().map(|(_, v)| v));
                let s = Struct::from_values(updated.clone(), values)?;
                self.target
                    .set(&mut record, Some(updated), Value::Struct(s));
            }
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use ferry_api::data::SchemaBuilder;

    fn configured(target: Target, pairs: &[(&str, &str)]) -> InsertField {
        let mut t = InsertField::new(target);
        t.configure(&props(pairs)).unwrap();
        t
    }

    fn all_fields() -> Vec<(&'static str, &'static str)> {
        vec![
            ("topic.field", "topic_field!"),
            ("partition.field", "partition_field"),
            ("timestamp.field", "timestamp_field?"),
            ("static.field", "instance_id"),
            ("static.value", "my-instance-id"),
        ]
    }

    #[test]
    fn schemaless_insert_config_fields() {
        let mut t = configured(Target::Value, &all_fields());
        let rec = source(None, map(&[("magic", Value::Int64(42))]));
        let out = apply(&mut t, rec);
        let m = out.value().as_map().unwrap();
        assert_eq!(util::map_get(m, "magic"), Some(&Value::Int64(42)));
        assert_eq!(util::map_get(m, "topic_field"), Some(&Value::from("test")));
        assert_eq!(util::map_get(m, "partition_field"), Some(&Value::Int32(0)));
        assert_eq!(util::map_get(m, "timestamp_field"), None);
        assert_eq!(
            util::map_get(m, "instance_id"),
            Some(&Value::from("my-instance-id"))
        );
        assert!(out.value_schema().is_none());
    }

    #[test]
    fn copy_schema_and_insert_config_fields() {
        let mut t = configured(Target::Value, &all_fields());
        let schema = SchemaBuilder::struct_()
            .name("name")
            .version(1)
            .doc("doc")
            .field("magic", Schema::optional_int64())
            .build_arc()
            .unwrap();
        let v = Struct::new(schema.clone()).with("magic", 42i64).unwrap();
        let mut rec = source(Some(schema.clone()), Value::Struct(v));
        if let ConnectRecord::Source(r) = &mut rec {
            r.timestamp = Some(1_483_425_001_864);
        }
        let out = apply(&mut t, rec);
        let s = out.value_schema().unwrap();
        assert_eq!(s.name.as_deref(), Some("name"));
        assert_eq!(s.version, Some(1));
        assert_eq!(s.doc.as_deref(), Some("doc"));
        assert!(!s.field("topic_field").unwrap().schema.optional);
        assert!(s.field("partition_field").unwrap().schema.optional);
        assert!(s.field("timestamp_field").unwrap().schema.optional);
        let v = out.value().as_struct().unwrap();
        assert_eq!(v.get("magic"), Some(&Value::Int64(42)));
        assert_eq!(v.get("topic_field"), Some(&Value::from("test")));
        assert_eq!(v.get("partition_field"), Some(&Value::Int32(0)));
        assert_eq!(
            v.get("timestamp_field"),
            Some(&Value::Int64(1_483_425_001_864))
        );
        assert_eq!(v.get("instance_id"), Some(&Value::from("my-instance-id")));
        // the updated schema is reused for the next record of the same schema
        let again = apply(
            &mut t,
            source(
                Some(schema.clone()),
                Value::Struct(Struct::new(schema).with("magic", 1i64).unwrap()),
            ),
        );
        assert!(Arc::ptr_eq(
            again.value_schema().unwrap(),
            out.value_schema().unwrap()
        ));
    }

    #[test]
    fn tombstones_pass() {
        let mut t = configured(Target::Value, &all_fields());
        let out = apply(&mut t, source(None, Value::Null));
        assert!(out.value().is_null());
    }

    #[test]
    fn offset_needs_a_sink_record() {
        let mut t = configured(Target::Value, &[("offset.field", "off")]);
        let err = t
            .apply(source(None, map(&[("a", Value::Int32(1))])))
            .unwrap_err();
        assert!(
            err.to_string().contains("Only SinkRecord supported"),
            "{err}"
        );
        let out = apply(&mut t, sink(None, map(&[("a", Value::Int32(1))])));
        assert_eq!(
            util::map_get(out.value().as_map().unwrap(), "off"),
            Some(&Value::Int64(7))
        );
    }

    #[test]
    fn key_insertion_and_type_errors() {
        let mut t = configured(Target::Key, &[("topic.field", "t")]);
        let mut rec = source(None, Value::from("v"));
        rec.set_key(None, map(&[]));
        let out = apply(&mut t, rec);
        assert_eq!(
            util::map_get(out.key().as_map().unwrap(), "t"),
            Some(&Value::from("test"))
        );
        let mut t = configured(Target::Value, &[("topic.field", "t")]);
        let err = t.apply(source(None, Value::from("x"))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "data error: Only Map objects supported in absence of schema for [field insertion], found: java.lang.String"
        );
    }
}
