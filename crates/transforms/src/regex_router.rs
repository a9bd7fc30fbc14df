//! `org.apache.kafka.connect.transforms.RegexRouter`: renames the topic when the whole name
//! matches `regex`, to `replacement` with Java's `$1` group references.

use regex::Regex;

use ferry_api::config::ConfigValue;
use ferry_api::{
    ConfigDef, ConfigType, ConnectError, ConnectRecord, Importance, Props, Result, Transformation,
};

use crate::util;

const REGEX: &str = "regex";
const REPLACEMENT: &str = "replacement";

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            REGEX,
            ConfigType::String,
            Importance::High,
            "Regular expression to use for matching.",
        )
        .validate_with(std::sync::Arc::new(|v| match v {
            ConfigValue::String(s) => full_match(s).map(|_| ()),
            _ => Ok(()),
        }))
        .required(
            REPLACEMENT,
            ConfigType::String,
            Importance::High,
            "Replacement string.",
        )
}

/// A regex that must match the whole input, as Java's `Matcher.matches`.
pub fn full_match(pattern: &str) -> std::result::Result<Regex, String> {
    Regex::new(&format!("^(?:{pattern})$")).map_err(|e| format!("Invalid regex: {e}"))
}

/// Java's replacement syntax (`$1`, `${name}`, `\$`) in the `regex` crate's (`${1}`, `$$`).
/// A `$` followed by digits takes as many digits as still name an existing group, as Java does.
pub fn java_replacement(replacement: &str, groups: usize) -> String {
    let mut out = String::with_capacity(replacement.len() + 4);
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(other) => out.push(other),
                None => {}
            },
            '$' => match chars.peek() {
                Some('{') => {
                    chars.next();
                    let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                    out.push_str(&format!("${{{name}}}"));
                }
                Some(d) if d.is_ascii_digit() => {
                    let mut n = d.to_digit(10).unwrap_or(0) as usize;
                    chars.next();
                    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                        let next = n * 10 + d as usize;
                        if next >= groups {
                            break;
                        }
                        n = next;
                        chars.next();
                    }
                    out.push_str(&format!("${{{n}}}"));
                }
                _ => out.push_str("$$"),
            },
            other => out.push(other),
        }
    }
    out
}

pub struct RegexRouter {
    regex: Option<Regex>,
    replacement: String,
}

impl RegexRouter {
    pub fn new() -> Self {
        RegexRouter {
            regex: None,
            replacement: String::new(),
        }
    }
}

impl Default for RegexRouter {
    fn default() -> Self {
        RegexRouter::new()
    }
}

impl Transformation for RegexRouter {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&config_def(), props)?;
        let pattern = c.string(REGEX).unwrap_or_default();
        let regex = full_match(pattern).map_err(|why| util::invalid(REGEX, pattern, &why))?;
        let replacement = c.string(REPLACEMENT).unwrap_or_default();
        self.replacement = java_replacement(replacement, regex.captures_len());
        self.regex = Some(regex);
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>> {
        let regex = self
            .regex
            .as_ref()
            .ok_or_else(|| ConnectError::Other("RegexRouter is not configured".into()))?;
        if let Some(caps) = regex.captures(record.topic()) {
            let mut topic = String::new();
            caps.expand(&self.replacement, &mut topic);
            record.set_topic(topic);
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use ferry_api::data::Value;

    fn route(regex: &str, replacement: &str, topic: &str) -> String {
        let mut t = RegexRouter::new();
        t.configure(&props(&[("regex", regex), ("replacement", replacement)]))
            .unwrap();
        let mut r = source(None, Value::Null);
        r.set_topic(topic);
        apply(&mut t, r).topic().to_string()
    }

    #[test]
    fn kafka_examples() {
        assert_eq!(route("(.*)", "prefix-$1", "orig"), "prefix-orig");
        assert_eq!(route("(.*)", "$1-suffix", "orig"), "orig-suffix");
        assert_eq!(
            route("(.*)", "prefix-$1-suffix", "orig"),
            "prefix-orig-suffix"
        );
        assert_eq!(route("(.*)", "blah", "orig"), "blah");
        assert_eq!(
            route("(.*)-(\\d\\d\\d\\d\\d\\d)", "$1", "foo-201708"),
            "foo"
        );
        assert_eq!(
            route("(.*)-(\\d\\d\\d\\d\\d\\d)", "$1", "foo-20170"),
            "foo-20170"
        );
        assert_eq!(
            route("(.*)-(\\d\\d\\d\\d\\d\\d)", "$2", "foo-201708"),
            "201708"
        );
        assert_eq!(route("(.*)", "\\$1", "a"), "$1");
        // only a match of the whole name routes
        assert_eq!(route("foo", "bar", "foobar"), "foobar");
    }

    #[test]
    fn bad_regex_names_the_key() {
        let mut t = RegexRouter::new();
        let e = t
            .configure(&props(&[("regex", "(a"), ("replacement", "b")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("Invalid value (a for configuration regex"),
            "{e}"
        );
        let e = RegexRouter::new()
            .configure(&props(&[("regex", "a")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"replacement\""), "{e}");
    }
}
