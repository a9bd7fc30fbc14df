//! Predicates of `org.apache.kafka.connect.transforms.predicates`: TopicNameMatches,
//! HasHeaderKey, RecordIsTombstone.

use regex::Regex;

use ferry_api::config::ConfigValue;
use ferry_api::{ConfigDef, ConfigType, ConnectRecord, Importance, Predicate, Props, Result};

use crate::regex_router::full_match;
use crate::util;

const PATTERN: &str = "pattern";
const NAME: &str = "name";

pub fn topic_name_matches_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            PATTERN,
            ConfigType::String,
            Importance::Medium,
            "A Java regular expression for matching against the name of a record's topic.",
        )
        .validate_with(std::sync::Arc::new(|v| match v {
            ConfigValue::String(s) if s.is_empty() => Err("String must be non-empty".into()),
            ConfigValue::String(s) => full_match(s).map(|_| ()),
            _ => Ok(()),
        }))
}

/// True for records whose topic name matches the whole `pattern`.
#[derive(Default)]
pub struct TopicNameMatches {
    pattern: Option<Regex>,
}

impl TopicNameMatches {
    pub fn new() -> Self {
        TopicNameMatches::default()
    }
}

impl Predicate for TopicNameMatches {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&topic_name_matches_def(), props)?;
        let p = c.string(PATTERN).unwrap_or_default();
        self.pattern = Some(full_match(p).map_err(|why| util::invalid(PATTERN, p, &why))?);
        Ok(())
    }

    fn test(&self, record: &ConnectRecord) -> bool {
        self.pattern
            .as_ref()
            .is_some_and(|p| p.is_match(record.topic()))
    }
}

pub fn has_header_key_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            NAME,
            ConfigType::String,
            Importance::Medium,
            "The header name.",
        )
        .validate_with(ferry_api::config::validators::non_empty_string())
}

/// True for records with at least one header of the configured name.
#[derive(Default)]
pub struct HasHeaderKey {
    name: String,
}

impl HasHeaderKey {
    pub fn new() -> Self {
        HasHeaderKey::default()
    }
}

impl Predicate for HasHeaderKey {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&has_header_key_def(), props)?;
        self.name = c.string(NAME).unwrap_or_default().to_string();
        Ok(())
    }

    fn test(&self, record: &ConnectRecord) -> bool {
        record.headers().iter().any(|h| h.key == self.name)
    }
}

pub fn record_is_tombstone_def() -> ConfigDef {
    ConfigDef::new()
}

/// True for tombstones: records with a null value.
#[derive(Default)]
pub struct RecordIsTombstone;

impl RecordIsTombstone {
    pub fn new() -> Self {
        RecordIsTombstone
    }
}

impl Predicate for RecordIsTombstone {
    fn configure(&mut self, _props: &Props) -> Result<()> {
        Ok(())
    }

    fn test(&self, record: &ConnectRecord) -> bool {
        record.value().is_null()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use ferry_api::data::Value;
    use ferry_api::Header;

    #[test]
    fn topic_name_matches() {
        let mut p = TopicNameMatches::new();
        p.configure(&props(&[("pattern", "my-prefix-.*")])).unwrap();
        let mut r = source(None, Value::Null);
        r.set_topic("my-prefix-foo");
        assert!(p.test(&r));
        r.set_topic("x-my-prefix-foo");
        assert!(!p.test(&r));
        let e = TopicNameMatches::new()
            .configure(&props(&[("pattern", "[")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("Invalid value [ for configuration pattern"),
            "{e}"
        );
        assert!(TopicNameMatches::new().configure(&props(&[])).is_err());
    }

    #[test]
    fn has_header_key() {
        let mut p = HasHeaderKey::new();
        p.configure(&props(&[("name", "h")])).unwrap();
        let mut r = source(None, Value::Null);
        assert!(!p.test(&r));
        r.headers_mut().push(Header {
            key: "h".into(),
            schema: None,
            value: Value::Null,
        });
        assert!(p.test(&r));
        assert!(HasHeaderKey::new()
            .configure(&props(&[("name", "")]))
            .is_err());
    }

    #[test]
    fn record_is_tombstone() {
        let p = RecordIsTombstone::new();
        assert!(p.test(&source(None, Value::Null)));
        assert!(!p.test(&source(None, Value::Int32(0))));
    }
}
