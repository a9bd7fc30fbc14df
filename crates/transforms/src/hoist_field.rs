//! `org.apache.kafka.connect.transforms.HoistField`: wraps the key or value in a struct (with a
//! schema) or a map (without) under one field.

use ferry_api::data::{SchemaBuilder, Struct, Value};
use ferry_api::{ConfigDef, ConfigType, ConnectRecord, Importance, Props, Result, Transformation};

use crate::util::{self, SchemaCache, Target};

const FIELD: &str = "field";

pub fn config_def() -> ConfigDef {
    ConfigDef::new().required(
        FIELD,
        ConfigType::String,
        Importance::Medium,
        "Field name for the single field that will be created in the resulting Struct or Map.",
    )
}

pub struct HoistField {
    target: Target,
    field: String,
    cache: SchemaCache,
}

impl HoistField {
    pub fn new(target: Target) -> Self {
        HoistField {
            target,
            field: String::new(),
            cache: SchemaCache::default(),
        }
    }
}

impl Transformation for HoistField {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&config_def(), props)?;
        self.field = c.string(FIELD).unwrap_or_default().to_string();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>> {
        let (schema, value) = self.target.take(&mut record);
        match schema {
            None => {
                let hoisted = Value::Map(vec![(Value::from(self.field.as_str()), value)]);
                self.target.set(&mut record, None, hoisted);
            }
            Some(schema) => {
                let field = &self.field;
                let updated = self.cache.get_or(&schema, |s| {
                    util::build(SchemaBuilder::struct_().field(field.clone(), s.clone()))
                })?;
                let s = Struct::from_values(updated.clone(), vec![value])?;
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
    use ferry_api::data::Schema;
    use std::sync::Arc;

    fn configured(target: Target) -> HoistField {
        let mut t = HoistField::new(target);
        t.configure(&props(&[("field", "magic")])).unwrap();
        t
    }

    #[test]
    fn schemaless() {
        let mut t = configured(Target::Key);
        let mut r = sink(None, Value::Null);
        r.set_key(None, Value::Int32(42));
        let out = apply(&mut t, r);
        assert_eq!(out.key(), &map(&[("magic", Value::Int32(42))]));
        assert!(out.key_schema().is_none());
    }

    #[test]
    fn with_schema() {
        let mut t = configured(Target::Key);
        let mut r = sink(None, Value::Null);
        r.set_key(Some(Arc::new(Schema::int32())), Value::Int32(42));
        let out = apply(&mut t, r);
        let ks = out.key_schema().unwrap();
        assert_eq!(ks.fields.len(), 1);
        assert_eq!(*ks.field("magic").unwrap().schema, Schema::int32());
        assert_eq!(
            out.key().as_struct().unwrap().get("magic"),
            Some(&Value::Int32(42))
        );
    }

    #[test]
    fn field_is_required() {
        let e = HoistField::new(Target::Value)
            .configure(&props(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("Missing required configuration \"field\""),
            "{e}"
        );
    }
}
