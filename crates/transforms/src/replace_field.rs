//! `org.apache.kafka.connect.transforms.ReplaceField`: keeps (`include`) or drops (`exclude`)
//! fields and renames them (`renames=old:new,...`). The names before Kafka 2.7, `whitelist` and
//! `blacklist`, are still read.

use std::collections::HashMap;
use std::sync::Arc;

use ferry_api::data::{Schema, Struct, Value};
use ferry_api::{ConfigDef, ConfigType, ConnectRecord, Importance, Props, Result, Transformation};

use crate::util::{self, SchemaCache, Target};

const EXCLUDE: &str = "exclude";
const INCLUDE: &str = "include";
const RENAMES: &str = "renames";
const BLACKLIST: &str = "blacklist";
const WHITELIST: &str = "whitelist";
const PURPOSE: &str = "field replacement";

pub fn config_def() -> ConfigDef {
    let def = ConfigDef::new()
        .optional(
            EXCLUDE,
            ConfigType::List,
            Some(""),
            Importance::Medium,
            "Fields to exclude. This takes precedence over the fields to include.",
        )
        .optional(
            INCLUDE,
            ConfigType::List,
            Some(""),
            Importance::Medium,
            "Fields to include. If specified, only these fields will be used.",
        )
        .optional(
            RENAMES,
            ConfigType::List,
            Some(""),
            Importance::Medium,
            "Field rename mappings.",
        )
        .validate_with(Arc::new(|v| match v {
            ferry_api::config::ConfigValue::List(items) => {
                for item in items {
                    match item.split_once(':') {
                        Some((a, b)) if !a.is_empty() && !b.is_empty() && !b.contains(':') => {}
                        _ => return Err(format!("Invalid rename mapping: {item}")),
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }))
        .optional(
            BLACKLIST,
            ConfigType::List,
            None,
            Importance::Low,
            "Deprecated. Use exclude instead.",
        )
        .optional(
            WHITELIST,
            ConfigType::List,
            None,
            Importance::Low,
            "Deprecated. Use include instead.",
        );
    util::with_replace_null(def)
}

pub struct ReplaceField {
    target: Target,
    exclude: Vec<String>,
    include: Vec<String>,
    renames: HashMap<String, String>,
    replace_null: bool,
    cache: SchemaCache,
}

impl ReplaceField {
    pub fn new(target: Target) -> Self {
        ReplaceField {
            target,
            exclude: Vec::new(),
            include: Vec::new(),
            renames: HashMap::new(),
            replace_null: true,
            cache: SchemaCache::default(),
        }
    }

    fn keeps(&self, field: &str) -> bool {
        !self.exclude.iter().any(|f| f == field)
            && (self.include.is_empty() || self.include.iter().any(|f| f == field))
    }

    fn renamed<'a>(&'a self, field: &'a str) -> &'a str {
        self.renames.get(field).map_or(field, String::as_str)
    }

    fn updated_schema(&self, schema: &Arc<Schema>) -> Result<Arc<Schema>> {
        let mut b = util::struct_basics(schema);
        for f in schema.fields.iter().filter(|f| self.keeps(&f.name)) {
            b = b.field(self.renamed(&f.name).to_string(), f.schema.clone());
        }
        util::build(b)
    }
}

/// A list key, or the deprecated name for it when only that one is given.
fn list_or_deprecated(c: &ferry_api::ParsedConfig, key: &str, old: &str) -> Vec<String> {
    if c.originals().contains_key(key) || !c.originals().contains_key(old) {
        c.list(key)
    } else {
        c.list(old)
    }
}

impl Transformation for ReplaceField {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&config_def(), props)?;
        self.exclude = list_or_deprecated(&c, EXCLUDE, BLACKLIST);
        self.include = list_or_deprecated(&c, INCLUDE, WHITELIST);
        self.renames = c
            .list(RENAMES)
            .iter()
            .filter_map(|m| util::split_pair(m))
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
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
                let (_, value) = self.target.take(&mut record);
                let map = util::into_map(value, PURPOSE)?;
                let updated: Vec<(Value, Value)> = map
                    .into_iter()
                    .filter_map(|(k, v)| {
                        let name = k.as_str()?;
                        self.keeps(name)
                            .then(|| (Value::from(self.renamed(name)), v))
                    })
                    .collect();
                self.target.set(&mut record, None, Value::Map(updated));
            }
            Some(schema) => {
                util::require_struct(self.target.value(&record), PURPOSE)?;
                let mut cache = std::mem::take(&mut self.cache);
                let updated = cache.get_or(&schema, |s| self.updated_schema(s));
                self.cache = cache;
                let updated = updated?;
                let (_, value) = self.target.take(&mut record);
                let original = util::into_struct(value, PURPOSE)?;
                let values: Vec<Value> = original
                    .schema()
                    .fields
                    .iter()
                    .filter(|f| self.keeps(&f.name))
                    .map(|f| util::field_value(&original, &f.name, self.replace_null))
                    .collect();
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

    fn configured(pairs: &[(&str, &str)]) -> ReplaceField {
        let mut t = ReplaceField::new(Target::Value);
        t.configure(&props(pairs)).unwrap();
        t
    }

    fn sample() -> Value {
        map(&[
            ("dont", Value::from("whatever")),
            ("abc", Value::Int32(42)),
            ("foo", Value::Boolean(true)),
            ("etc", Value::from("etc")),
        ])
    }

    #[test]
    fn schemaless_exclude_and_renames() {
        let mut t = configured(&[("exclude", "dont"), ("renames", "abc:xyz,foo:bar")]);
        let out = apply(&mut t, source(None, sample()));
        assert_eq!(
            out.value(),
            &map(&[
                ("xyz", Value::Int32(42)),
                ("bar", Value::Boolean(true)),
                ("etc", Value::from("etc")),
            ])
        );
    }

    #[test]
    fn schemaless_include_and_the_old_names() {
        let mut t = configured(&[("include", "abc,foo")]);
        let out = apply(&mut t, source(None, sample()));
        assert_eq!(
            out.value(),
            &map(&[("abc", Value::Int32(42)), ("foo", Value::Boolean(true))])
        );
        let mut t = configured(&[("whitelist", "abc"), ("blacklist", "abc")]);
        let out = apply(&mut t, source(None, sample()));
        assert_eq!(out.value(), &map(&[]));
        let mut t = configured(&[("blacklist", "dont,abc,foo")]);
        let out = apply(&mut t, source(None, sample()));
        assert_eq!(out.value(), &map(&[("etc", Value::from("etc"))]));
    }

    #[test]
    fn with_schema() {
        let mut t = configured(&[("include", "abc,foo"), ("renames", "abc:xyz,foo:bar")]);
        let schema = SchemaBuilder::struct_()
            .name("row")
            .field("dont", Schema::string())
            .field("abc", Schema::int32())
            .field("foo", Schema::boolean())
            .field("etc", Schema::string())
            .build_arc()
            .unwrap();
        let v = Struct::new(schema.clone())
            .with("dont", "whatever")
            .unwrap()
            .with("abc", 42)
            .unwrap()
            .with("foo", true)
            .unwrap()
            .with("etc", "etc")
            .unwrap();
        let out = apply(&mut t, sink(Some(schema), Value::Struct(v)));
        let s = out.value_schema().unwrap();
        assert_eq!(s.name.as_deref(), Some("row"));
        let names: Vec<_> = s.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["xyz", "bar"]);
        let v = out.value().as_struct().unwrap();
        assert_eq!(v.get("xyz"), Some(&Value::Int32(42)));
        assert_eq!(v.get("bar"), Some(&Value::Boolean(true)));
    }

    #[test]
    fn bad_rename_names_the_key() {
        let mut t = ReplaceField::new(Target::Value);
        let e = t.configure(&props(&[("renames", "abc")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid configuration: Invalid value abc for configuration renames: Invalid rename mapping: abc"
        );
    }

    #[test]
    fn tombstones_and_wrong_types() {
        let mut t = configured(&[("exclude", "a")]);
        assert!(apply(&mut t, source(None, Value::Null)).value().is_null());
        assert!(t.apply(source(None, Value::Int32(1))).is_err());
    }
}
