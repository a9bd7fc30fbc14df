//! `org.apache.kafka.connect.transforms.ValueToKey`: replaces the key with a struct (or map) of
//! some fields of the value.

use std::sync::Arc;

use ferry_api::config::ConfigValue;
use ferry_api::data::{SchemaBuilder, Struct, Value};
use ferry_api::{
    ConfigDef, ConfigType, ConnectError, ConnectRecord, Importance, Props, Result, Transformation,
};

use crate::util::{self, SchemaCache};

const FIELDS: &str = "fields";
const PURPOSE: &str = "copying fields from value to key";

pub fn non_empty_list() -> ferry_api::config::Validator {
    Arc::new(|v| match v {
        ConfigValue::List(l) if l.is_empty() => Err("Empty list".into()),
        _ => Ok(()),
    })
}

pub fn config_def() -> ConfigDef {
    let def = ConfigDef::new()
        .required(
            FIELDS,
            ConfigType::List,
            Importance::High,
            "Field names on the record value to extract as the record key.",
        )
        .validate_with(non_empty_list());
    util::with_replace_null(def)
}

pub struct ValueToKey {
    fields: Vec<String>,
    replace_null: bool,
    cache: SchemaCache,
}

impl ValueToKey {
    pub fn new() -> Self {
        ValueToKey {
            fields: Vec::new(),
            replace_null: true,
            cache: SchemaCache::default(),
        }
    }
}

impl Default for ValueToKey {
    fn default() -> Self {
        ValueToKey::new()
    }
}

impl Transformation for ValueToKey {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&config_def(), props)?;
        self.fields = c.list(FIELDS);
        self.replace_null = c.boolean(util::REPLACE_NULL_WITH_DEFAULT).unwrap_or(true);
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>> {
        if record.value().is_null() {
            return Ok(Some(record));
        }
        match record.value_schema().cloned() {
            None => {
                let value = util::require_map(record.value(), PURPOSE)?;
                let key: Vec<(Value, Value)> = self
                    .fields
                    .iter()
                    .map(|f| {
                        (
                            Value::from(f.as_str()),
                            util::map_get(value, f).cloned().unwrap_or(Value::Null),
                        )
                    })
                    .collect();
                record.set_key(None, Value::Map(key));
            }
            Some(schema) => {
                let value = util::require_struct(record.value(), PURPOSE)?;
                let fields = &self.fields;
                let key_schema = self.cache.get_or(&schema, |s| {
                    let mut b = SchemaBuilder::struct_();
                    for f in fields {
                        let field = s.field(f).ok_or_else(|| {
                            ConnectError::Data(format!("Field does not exist: {f}"))
                        })?;
                        b = b.field(f.clone(), field.schema.clone());
                    }
                    util::build(b)
                })?;
                let values = self
                    .fields
                    .iter()
                    .map(|f| util::field_value(value, f, self.replace_null))
                    .collect();
                let key = Struct::from_values(key_schema.clone(), values)?;
                record.set_key(Some(key_schema), Value::Struct(key));
            }
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use ferry_api::data::Schema;

    fn configured(fields: &str) -> ValueToKey {
        let mut t = ValueToKey::new();
        t.configure(&props(&[("fields", fields)])).unwrap();
        t
    }

    #[test]
    fn schemaless() {
        let mut t = configured("a,b");
        let v = map(&[
            ("a", Value::Int32(1)),
            ("b", Value::Int32(2)),
            ("c", Value::Int32(3)),
        ]);
        let out = apply(&mut t, sink(None, v.clone()));
        assert_eq!(
            out.key(),
            &map(&[("a", Value::Int32(1)), ("b", Value::Int32(2))])
        );
        assert!(out.key_schema().is_none());
        assert_eq!(out.value(), &v);
    }

    #[test]
    fn with_schema() {
        let mut t = configured("a,b");
        let schema = SchemaBuilder::struct_()
            .field("a", Schema::int32())
            .field("b", Schema::int32())
            .field("c", Schema::int32())
            .build_arc()
            .unwrap();
        let v = Struct::new(schema.clone())
            .with("a", 1)
            .unwrap()
            .with("b", 2)
            .unwrap()
            .with("c", 3)
            .unwrap();
        let out = apply(&mut t, sink(Some(schema), Value::Struct(v)));
        let ks = out.key_schema().unwrap();
        assert_eq!(ks.fields.len(), 2);
        let k = out.key().as_struct().unwrap();
        assert_eq!(k.get("a"), Some(&Value::Int32(1)));
        assert_eq!(k.get("b"), Some(&Value::Int32(2)));
    }

    #[test]
    fn missing_field_with_schema() {
        let mut t = configured("not_exist");
        let schema = SchemaBuilder::struct_()
            .field("a", Schema::int32())
            .build_arc()
            .unwrap();
        let v = Struct::new(schema.clone()).with("a", 1).unwrap();
        let e = t
            .apply(sink(Some(schema), Value::Struct(v)))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "data error: Field does not exist: not_exist");
    }

    #[test]
    fn empty_fields_is_refused() {
        let e = ValueToKey::new()
            .configure(&props(&[("fields", "")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("configuration fields: Empty list"), "{e}");
    }
}
