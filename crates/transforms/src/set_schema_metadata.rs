//! `org.apache.kafka.connect.transforms.SetSchemaMetadata`: sets the name and/or version of the
//! key or value schema.

use std::sync::Arc;

use ferry_api::data::{Schema, Struct, Value};
use ferry_api::{
    ConfigDef, ConfigType, ConnectError, ConnectRecord, Importance, Props, Result, Transformation,
};

use crate::util::{self, SchemaCache, Target};

const NAME: &str = "schema.name";
const VERSION: &str = "schema.version";

pub fn config_def() -> ConfigDef {
    let def = ConfigDef::new()
        .optional(
            NAME,
            ConfigType::String,
            None,
            Importance::High,
            "Schema name to set.",
        )
        .optional(
            VERSION,
            ConfigType::Int,
            None,
            Importance::High,
            "Schema version to set.",
        );
    util::with_replace_null(def)
}

pub struct SetSchemaMetadata {
    target: Target,
    name: Option<String>,
    version: Option<i32>,
    replace_null: bool,
    cache: SchemaCache,
}

impl SetSchemaMetadata {
    pub fn new(target: Target) -> Self {
        SetSchemaMetadata {
            target,
            name: None,
            version: None,
            replace_null: true,
            cache: SchemaCache::default(),
        }
    }
}

impl Transformation for SetSchemaMetadata {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&config_def(), props)?;
        self.name = c.string(NAME).map(str::to_string);
        self.version = c.int(VERSION);
        self.replace_null = c.boolean(util::REPLACE_NULL_WITH_DEFAULT).unwrap_or(true);
        if self.name.is_none() && self.version.is_none() {
            return Err(ConnectError::Config(
                "Neither schema name nor version configured".into(),
            ));
        }
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>> {
        let schema = self.target.schema(&record).cloned().ok_or_else(|| {
            ConnectError::Data("Schema required for [updating schema metadata]".into())
        })?;
        let (name, version) = (&self.name, self.version);
        let updated = self.cache.get_or(&schema, |s| {
            let mut u: Schema = (**s).clone();
            if let Some(n) = name {
                u.name = Some(n.clone());
            }
            if let Some(v) = version {
                u.version = Some(v);
            }
            Ok(Arc::new(u))
        })?;
        let (_, value) = self.target.take(&mut record);
        let value = match value {
            Value::Struct(s) => {
                let values = s
                    .schema()
                    .fields
                    .iter()
                    .map(|f| util::field_value(&s, &f.name, self.replace_null))
                    .collect();
                Value::Struct(Struct::from_values(updated.clone(), values)?)
            }
            other => other,
        };
        self.target.set(&mut record, Some(updated), value);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use ferry_api::data::SchemaBuilder;

    fn configured(pairs: &[(&str, &str)]) -> SetSchemaMetadata {
        let mut t = SetSchemaMetadata::new(Target::Value);
        t.configure(&props(pairs)).unwrap();
        t
    }

    #[test]
    fn name_and_version() {
        let mut t = configured(&[("schema.name", "foo"), ("schema.version", "42")]);
        let out = apply(
            &mut t,
            sink(Some(Arc::new(Schema::string())), Value::from("x")),
        );
        let s = out.value_schema().unwrap();
        assert_eq!(s.name.as_deref(), Some("foo"));
        assert_eq!(s.version, Some(42));
        assert_eq!(out.value(), &Value::from("x"));
    }

    #[test]
    fn struct_values_take_the_new_schema() {
        let schema = SchemaBuilder::struct_()
            .name("my.orig.SchemaDefn")
            .field("stringField", Schema::string())
            .field("intField", Schema::int32())
            .build_arc()
            .unwrap();
        let v = Struct::new(schema.clone())
            .with("stringField", "value")
            .unwrap()
            .with("intField", 1)
            .unwrap();
        let mut t = configured(&[("schema.name", "my.updated.SchemaDefn")]);
        let out = apply(&mut t, sink(Some(schema), Value::Struct(v)));
        let s = out.value().as_struct().unwrap();
        assert_eq!(s.schema().name.as_deref(), Some("my.updated.SchemaDefn"));
        assert!(Arc::ptr_eq(s.schema(), out.value_schema().unwrap()));
        assert_eq!(s.get("intField"), Some(&Value::Int32(1)));
    }

    #[test]
    fn schemaless_is_refused() {
        let mut t = configured(&[("schema.name", "foo")]);
        let e = t
            .apply(sink(None, Value::from("x")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("Schema required"), "{e}");
        assert!(SetSchemaMetadata::new(Target::Value)
            .configure(&props(&[]))
            .is_err());
        let e = SetSchemaMetadata::new(Target::Value)
            .configure(&props(&[("schema.version", "x")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("configuration schema.version"), "{e}");
    }
}
