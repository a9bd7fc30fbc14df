//! Typed configuration declarations (Kafka's `ConfigDef`).
//!
//! A key is declared once — type, default, validator, importance, documentation — and that single
//! declaration drives parsing, defaults, validation and the REST plugin descriptions.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::Props;

/// The type of a configuration key, named as Kafka names it in the REST API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean,
    String,
    Int,
    Short,
    Long,
    Double,
    List,
    Class,
    Password,
}

impl ConfigType {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigType::Boolean => "BOOLEAN",
            ConfigType::String => "STRING",
            ConfigType::Int => "INT",
            ConfigType::Short => "SHORT",
            ConfigType::Long => "LONG",
            ConfigType::Double => "DOUBLE",
            ConfigType::List => "LIST",
            ConfigType::Class => "CLASS",
            ConfigType::Password => "PASSWORD",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Importance {
    High,
    Medium,
    Low,
}

impl Importance {
    pub fn as_str(self) -> &'static str {
        match self {
            Importance::High => "HIGH",
            Importance::Medium => "MEDIUM",
            Importance::Low => "LOW",
        }
    }
}

/// A parsed configuration value.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    Boolean(bool),
    String(String),
    Int(i32),
    Long(i64),
    Double(f64),
    List(Vec<String>),
    Password(String),
}

impl fmt::Display for ConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigValue::Boolean(b) => write!(f, "{b}"),
            ConfigValue::String(s) => f.write_str(s),
            ConfigValue::Int(i) => write!(f, "{i}"),
            ConfigValue::Long(l) => write!(f, "{l}"),
            ConfigValue::Double(d) => write!(f, "{d}"),
            ConfigValue::List(l) => f.write_str(&l.join(",")),
            ConfigValue::Password(_) => f.write_str("[hidden]"),
        }
    }
}

/// Checks a parsed value; the error text completes "Invalid value X for configuration K: ...".
pub type Validator = Arc<dyn Fn(&ConfigValue) -> Result<(), String> + Send + Sync>;

/// One declared key.
#[derive(Clone)]
pub struct ConfigKey {
    pub name: String,
    pub ty: ConfigType,
    /// `None` means the key is required.
    pub default: Option<Option<String>>,
    pub importance: Importance,
    pub doc: String,
    pub group: Option<String>,
    pub order_in_group: i32,
    pub display_name: String,
    pub validator: Option<Validator>,
}

impl ConfigKey {
    pub fn required(&self) -> bool {
        self.default.is_none()
    }

    /// The default as the REST API shows it (`null` for none).
    pub fn default_string(&self) -> Option<&str> {
        self.default.as_ref().and_then(|d| d.as_deref())
    }
}

impl fmt::Debug for ConfigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigKey")
            .field("name", &self.name)
            .field("ty", &self.ty)
            .field("default", &self.default)
            .finish()
    }
}

/// The declared keys of a plugin or of the worker.
#[derive(Debug, Clone, Default)]
pub struct ConfigDef {
    keys: Vec<ConfigKey>,
}

/// A key that failed to parse or validate, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl ConfigDef {
    pub fn new() -> Self {
        ConfigDef::default()
    }

    /// Declares a key with a default (`None`: the key is optional and has no value when absent).
    pub fn optional(
        mut self,
        name: &str,
        ty: ConfigType,
        default: Option<&str>,
        importance: Importance,
        doc: &str,
    ) -> Self {
        self.keys.push(ConfigKey {
            name: name.to_string(),
            ty,
            default: Some(default.map(str::to_string)),
            importance,
            doc: doc.to_string(),
            group: None,
            order_in_group: -1,
            display_name: name.to_string(),
            validator: None,
        });
        self
    }

    /// Declares a key that must be given.
    pub fn required(
        mut self,
        name: &str,
        ty: ConfigType,
        importance: Importance,
        doc: &str,
    ) -> Self {
        self.keys.push(ConfigKey {
            name: name.to_string(),
            ty,
            default: None,
            importance,
            doc: doc.to_string(),
            group: None,
            order_in_group: -1,
            display_name: name.to_string(),
            validator: None,
        });
        self
    }

    /// Declares a key built elsewhere (e.g. a plugin's key under a prefix).
    pub fn with_key(mut self, key: ConfigKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Attaches a validator to the key declared last.
    pub fn validate_with(mut self, validator: Validator) -> Self {
        if let Some(k) = self.keys.last_mut() {
            k.validator = Some(validator);
        }
        self
    }

    /// Puts the key declared last into a group, at the next position of that group.
    pub fn in_group(mut self, group: &str, display_name: &str) -> Self {
        let order = self
            .keys
            .iter()
            .filter(|k| k.group.as_deref() == Some(group))
            .count() as i32
            + 1;
        if let Some(k) = self.keys.last_mut() {
            k.group = Some(group.to_string());
            k.order_in_group = order;
            k.display_name = display_name.to_string();
        }
        self
    }

    /// All keys of `self` followed by those of `other` not already declared.
    pub fn merge(mut self, other: &ConfigDef) -> Self {
        for k in &other.keys {
            if self.key(&k.name).is_none() {
                self.keys.push(k.clone());
            }
        }
        self
    }

    pub fn keys(&self) -> &[ConfigKey] {
        &self.keys
    }

    pub fn key(&self, name: &str) -> Option<&ConfigKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// Parses and validates every declared key; reports every problem, not just the first.
    pub fn parse(&self, props: &Props) -> Result<ParsedConfig, Vec<ConfigProblem>> {
        let mut values = BTreeMap::new();
        let mut problems = Vec::new();
        for key in &self.keys {
            match self.parse_key(key, props.get(&key.name).map(String::as_str)) {
                Ok(v) => {
                    values.insert(key.name.clone(), v);
                }
                Err(message) => problems.push(ConfigProblem {
                    key: key.name.clone(),
                    message,
                }),
            }
        }
        if problems.is_empty() {
            Ok(ParsedConfig {
                values,
                originals: props.clone(),
            })
        } else {
            Err(problems)
        }
    }

    /// The parsed value of one key, or why it is invalid.
    pub fn parse_key(
        &self,
        key: &ConfigKey,
        raw: Option<&str>,
    ) -> Result<Option<ConfigValue>, String> {
        let raw = match raw {
            Some(r) => Some(r),
            None => match &key.default {
                None => {
                    return Err(format!(
                        "Missing required configuration \"{}\" which has no default value.",
                        key.name
                    ))
                }
                Some(d) => d.as_deref(),
            },
        };
        let Some(raw) = raw else { return Ok(None) };
        let value = parse_typed(key.ty, raw)
            .map_err(|why| format!("Invalid value {raw} for configuration {}: {why}", key.name))?;
        if let Some(validator) = &key.validator {
            validator(&value).map_err(|why| {
                format!("Invalid value {raw} for configuration {}: {why}", key.name)
            })?;
        }
        Ok(Some(value))
    }
}

fn parse_typed(ty: ConfigType, raw: &str) -> Result<ConfigValue, String> {
    let trimmed = raw.trim();
    match ty {
        ConfigType::Boolean => match trimmed.to_ascii_lowercase().as_str() {
            "true" => Ok(ConfigValue::Boolean(true)),
            "false" => Ok(ConfigValue::Boolean(false)),
            _ => Err("Expected value to be either true or false".into()),
        },
        ConfigType::String | ConfigType::Class => Ok(ConfigValue::String(trimmed.to_string())),
        ConfigType::Password => Ok(ConfigValue::Password(raw.to_string())),
        ConfigType::Int => trimmed
            .parse::<i32>()
            .map(ConfigValue::Int)
            .map_err(|_| "Not a number of type INT".into()),
        ConfigType::Short => trimmed
            .parse::<i16>()
            .map(|v| ConfigValue::Int(v.into()))
            .map_err(|_| "Not a number of type SHORT".into()),
        ConfigType::Long => trimmed
            .parse::<i64>()
            .map(ConfigValue::Long)
            .map_err(|_| "Not a number of type LONG".into()),
        ConfigType::Double => trimmed
            .parse::<f64>()
            .map(ConfigValue::Double)
            .map_err(|_| "Not a number of type DOUBLE".into()),
        ConfigType::List => Ok(ConfigValue::List(if trimmed.is_empty() {
            Vec::new()
        } else {
            trimmed.split(',').map(|s| s.trim().to_string()).collect()
        })),
    }
}

/// The properties whose keys start with `prefix`, with the prefix removed
/// (`transforms.A.`, `producer.override.`, ...).
pub fn with_prefix(props: &Props, prefix: &str) -> Props {
    props
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_string(), v.clone())))
        .collect()
}

/// The items of a comma-separated value (`transforms`, `topic.creation.groups`, ...), trimmed,
/// empty ones left out.
/// A configuration from key-value pairs (handy for connectors that build task configurations,
/// and for tests).
pub fn props_of(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// One of `options` by its name in any case, or a problem on `key` that lists them.
pub fn choice<T: Copy>(key: &str, value: &str, options: &[(&str, T)]) -> Result<T, ConfigProblem> {
    options
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value.trim()))
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            ConfigProblem {
                key: key.to_string(),
                message: format!(
                    "Invalid value {value} for configuration {key}: The value must be one of {}",
                    names.join(", ")
                ),
            }
        })
}

/// Whether a value holds a config provider's placeholder (`${file:/path:key}`, `${env:VAR}`),
/// which is resolved only when the connector starts: checks of the value wait until then. A
/// connector's own templates (`${topic}`, `${source.table}`) have no colon and do not count.
pub fn has_provider_placeholder(value: &str) -> bool {
    value.split("${").skip(1).any(|rest| {
        rest.split('}')
            .next()
            .is_some_and(|inside| inside.contains(':'))
    })
}

pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Validators for common constraints.
pub mod validators {
    use super::{ConfigValue, Validator};
    use std::sync::Arc;

    /// A number at least `min`.
    pub fn at_least(min: i64) -> Validator {
        Arc::new(move |v| {
            let n = match v {
                ConfigValue::Int(i) => i64::from(*i),
                ConfigValue::Long(l) => *l,
                _ => return Ok(()),
            };
            if n < min {
                Err(format!("Value must be at least {min}"))
            } else {
                Ok(())
            }
        })
    }

    /// A non-empty string.
    pub fn non_empty_string() -> Validator {
        Arc::new(|v| match v {
            ConfigValue::String(s) if s.is_empty() => Err("String must be non-empty".into()),
            _ => Ok(()),
        })
    }

    /// One of the given strings, ignoring case.
    pub fn one_of(allowed: &'static [&'static str]) -> Validator {
        Arc::new(move |v| match v {
            ConfigValue::String(s) if !allowed.iter().any(|a| a.eq_ignore_ascii_case(s)) => {
                Err(format!("String must be one of: {}", allowed.join(", ")))
            }
            _ => Ok(()),
        })
    }
}

/// Values of a configuration after parsing: every declared key with its typed value or default.
#[derive(Debug, Clone)]
pub struct ParsedConfig {
    values: BTreeMap<String, Option<ConfigValue>>,
    originals: Props,
}

impl ParsedConfig {
    pub fn get(&self, key: &str) -> Option<&ConfigValue> {
        self.values.get(key).and_then(Option::as_ref)
    }

    pub fn string(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(ConfigValue::String(s)) | Some(ConfigValue::Password(s)) => Some(s),
            _ => None,
        }
    }

    pub fn int(&self, key: &str) -> Option<i32> {
        match self.get(key) {
            Some(ConfigValue::Int(i)) => Some(*i),
            _ => None,
        }
    }

    pub fn long(&self, key: &str) -> Option<i64> {
        match self.get(key) {
            Some(ConfigValue::Long(l)) => Some(*l),
            Some(ConfigValue::Int(i)) => Some(i64::from(*i)),
            _ => None,
        }
    }

    pub fn boolean(&self, key: &str) -> Option<bool> {
        match self.get(key) {
            Some(ConfigValue::Boolean(b)) => Some(*b),
            _ => None,
        }
    }

    pub fn list(&self, key: &str) -> Vec<String> {
        match self.get(key) {
            Some(ConfigValue::List(l)) => l.clone(),
            _ => Vec::new(),
        }
    }

    /// The properties as given, before parsing.
    pub fn originals(&self) -> &Props {
        &self.originals
    }

    /// The original keys starting with `prefix`, with the prefix removed.
    pub fn originals_with_prefix(&self, prefix: &str) -> Props {
        with_prefix(&self.originals, prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> ConfigDef {
        ConfigDef::new()
            .required("topic", ConfigType::String, Importance::High, "The topic")
            .optional(
                "batch.size",
                ConfigType::Int,
                Some("2000"),
                Importance::Low,
                "Batch",
            )
            .validate_with(validators::at_least(1))
            .optional("file", ConfigType::String, None, Importance::High, "File")
    }

    use super::props_of as props;

    #[test]
    fn defaults_fill_absent_keys() {
        let parsed = def().parse(&props(&[("topic", "t")])).unwrap();
        assert_eq!(parsed.int("batch.size"), Some(2000));
        assert_eq!(parsed.string("file"), None);
        assert_eq!(parsed.string("topic"), Some("t"));
    }

    #[test]
    fn every_problem_is_reported() {
        let problems = def().parse(&props(&[("batch.size", "0")])).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert!(problems[0]
            .message
            .contains("Missing required configuration \"topic\""));
        assert!(problems[1].message.contains("Value must be at least 1"));
    }

    #[test]
    fn wrong_type_is_named() {
        let problems = def()
            .parse(&props(&[("topic", "t"), ("batch.size", "many")]))
            .unwrap_err();
        assert_eq!(
            problems[0].message,
            "Invalid value many for configuration batch.size: Not a number of type INT"
        );
    }
}
