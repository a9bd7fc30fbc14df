//! A Java plugin's `ConfigDef`, as the host describes it, in ferry's terms.

use ferry_api::config::{ConfigDef, ConfigKey, ConfigProblem, ConfigType, Importance};
use serde::Deserialize;

#[derive(Deserialize)]
struct JavaKey {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    default_value: Option<String>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    importance: Option<String>,
    #[serde(default)]
    documentation: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    order_in_group: Option<i32>,
    #[serde(default)]
    display_name: Option<String>,
}

/// The definition from a `Describe` answer's `config_def` list.
pub fn from_describe(answer: &serde_json::Value) -> ConfigDef {
    let keys: Vec<JavaKey> = answer
        .get("config_def")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    keys.into_iter().fold(ConfigDef::new(), |def, key| {
        def.with_key(ConfigKey {
            display_name: key.display_name.unwrap_or_else(|| key.name.clone()),
            ty: config_type(&key.ty),
            default: if key.required {
                None
            } else {
                Some(key.default_value)
            },
            importance: match key.importance.as_deref() {
                Some("HIGH") => Importance::High,
                Some("MEDIUM") => Importance::Medium,
                _ => Importance::Low,
            },
            doc: key.documentation.unwrap_or_default(),
            group: key.group,
            order_in_group: key.order_in_group.unwrap_or(-1),
            validator: None,
            name: key.name,
        })
    })
}

fn config_type(name: &str) -> ConfigType {
    match name {
        "BOOLEAN" => ConfigType::Boolean,
        "INT" => ConfigType::Int,
        "SHORT" => ConfigType::Short,
        "LONG" => ConfigType::Long,
        "DOUBLE" => ConfigType::Double,
        "LIST" => ConfigType::List,
        "CLASS" => ConfigType::Class,
        "PASSWORD" => ConfigType::Password,
        _ => ConfigType::String,
    }
}

#[derive(Deserialize)]
struct JavaValue {
    name: String,
    #[serde(default)]
    errors: Vec<String>,
}

/// The problems of a `Validate` answer (`Connector.validate`), each on its key.
pub fn problems_from_validate(answer: &serde_json::Value) -> Vec<ConfigProblem> {
    let values: Vec<JavaValue> = answer
        .get("values")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    values
        .into_iter()
        .flat_map(|v| {
            let key = v.name;
            v.errors.into_iter().map(move |message| ConfigProblem {
                key: key.clone(),
                message,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_type_default_and_requiredness() {
        let def = from_describe(&serde_json::json!({"config_def": [
            {"name": "topic", "type": "STRING", "default_value": null, "required": true,
             "importance": "HIGH", "documentation": "where to"},
            {"name": "count", "type": "LONG", "default_value": "1000", "required": false},
            {"name": "note", "type": "STRING", "default_value": null, "required": false}
        ]}));
        let topic = def.key("topic").unwrap();
        assert!(topic.required());
        assert_eq!(
            (topic.ty, topic.importance),
            (ConfigType::String, Importance::High)
        );
        let count = def.key("count").unwrap();
        assert_eq!(
            (count.ty, count.default_string()),
            (ConfigType::Long, Some("1000"))
        );
        let note = def.key("note").unwrap();
        assert!(!note.required());
        assert_eq!(note.default_string(), None);
    }

    #[test]
    fn validate_errors_land_on_their_keys() {
        let problems = problems_from_validate(&serde_json::json!({"values": [
            {"name": "a", "value": "1", "errors": []},
            {"name": "b", "value": null, "errors": ["must be set", "really"]}
        ]}));
        let got: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.key.as_str(), p.message.as_str()))
            .collect();
        assert_eq!(got, vec![("b", "must be set"), ("b", "really")]);
    }
}
