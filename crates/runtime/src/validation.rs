//! Plugin descriptions and config validation for the REST API, all derived from `ConfigDef`s.

use ferry_api::{ConfigDef, ConfigKey, ConfigType, ConnectorKind, Props};

use crate::connector_config::{self, CONNECTOR_CLASS, TOPICS, TOPICS_REGEX};
use crate::herder::{
    ConfigInfo, ConfigInfos, ConfigKeyInfo, ConfigValueInfo, HerderError, PluginInfo,
};
use crate::plugins::Plugins;

pub fn key_info(key: &ConfigKey) -> ConfigKeyInfo {
    ConfigKeyInfo {
        name: key.name.clone(),
        kind: key.ty.as_str().to_string(),
        required: key.required(),
        default_value: key.default_string().map(str::to_string),
        importance: key.importance.as_str().to_string(),
        documentation: key.doc.clone(),
        group: key.group.clone(),
        order: key.order_in_group,
        width: "NONE".to_string(),
        display_name: key.display_name.clone(),
        dependents: Vec::new(),
    }
}

pub fn def_info(def: &ConfigDef) -> Vec<ConfigKeyInfo> {
    def.keys().iter().map(key_info).collect()
}

/// `GET /connector-plugins`: connectors, and with `connectors_only == false` converters too;
/// each kind sorted by class name, as Kafka lists them.
pub fn plugin_infos(plugins: &Plugins, connectors_only: bool) -> Vec<PluginInfo> {
    let mut infos = plugins.connector_infos();
    infos.sort_by(|a, b| a.class.cmp(&b.class));
    if !connectors_only {
        let others = ferry_convert::converter_classes()
            .into_iter()
            .map(|c| (c, "converter"))
            .chain(
                ferry_convert::header_converter_classes()
                    .into_iter()
                    .map(|c| (c, "header_converter")),
            );
        infos.extend(others.map(|((class, version), kind)| PluginInfo {
            class: class.to_string(),
            kind: kind.to_string(),
            version: version.to_string(),
        }));
    }
    infos
}

/// `GET /connector-plugins/{p}/config`: a connector's own keys followed by the keys every
/// connector of its kind has (as Kafka 4 lists them), or a converter's keys.
pub fn plugin_config(plugins: &Plugins, name: &str) -> Result<Vec<ConfigKeyInfo>, HerderError> {
    if let Some(plugin) = plugins.connector(name) {
        let own = (plugin.create)().config_def();
        return Ok(def_info(
            &own.merge(&connector_config::common_def(plugin.kind)),
        ));
    }
    if let Some(def) = ferry_convert::converter_config_def(name) {
        return Ok(def_info(&def));
    }
    Err(HerderError::NotFound(format!("Unknown plugin {name}.")))
}

/// `PUT /connector-plugins/{p}/config/validate`: every key of the connector with its value and
/// the problems found; nothing is created.
pub fn validate(
    plugins: &Plugins,
    plugin_name: &str,
    mut props: Props,
) -> Result<ConfigInfos, HerderError> {
    let plugin = plugins
        .connector(plugin_name)
        .cloned()
        .ok_or_else(|| HerderError::BadRequest(unknown_connector(plugins, plugin_name)))?;
    // Kafka names the result after `connector.class` as the user wrote it.
    let name = props
        .get(CONNECTOR_CLASS)
        .cloned()
        .unwrap_or_else(|| plugin_name.to_string());
    match props.get(CONNECTOR_CLASS) {
        Some(class) if plugins.connector(class).map(|p| p.class) != Some(plugin.class) => {
            return Err(HerderError::BadRequest(format!(
                "Included connector type {class} does not match request type {plugin_name}"
            )));
        }
        Some(_) => {}
        None => {
            props.insert(CONNECTOR_CLASS.to_string(), plugin_name.to_string());
        }
    }
    let def = connector_config::common_def(plugin.kind).merge(&(plugin.create)().config_def());
    let mut groups: Vec<String> = Vec::new();
    let mut configs = Vec::new();
    for key in def.keys() {
        if let Some(g) = &key.group {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
        let raw = props.get(&key.name).map(String::as_str);
        let mut errors = Vec::new();
        if let Err(message) = def.parse_key(key, raw) {
            errors.push(message);
        }
        // As Kafka answers: a password is never echoed back.
        let value = if key.ty == ConfigType::Password && raw.is_some() {
            Some("[hidden]".to_string())
        } else {
            raw.map(str::to_string)
                .or_else(|| key.default_string().map(str::to_string))
        };
        configs.push(ConfigInfo {
            definition: key_info(key),
            value: ConfigValueInfo {
                name: key.name.clone(),
                value,
                recommended_values: Vec::new(),
                errors,
                visible: true,
            },
        });
    }
    if plugin.kind == ConnectorKind::Sink {
        add_topic_errors(&props, &mut configs);
    }
    if let Ok(parsed) = def.parse(&props) {
        for problem in connector_config::unsupported(&parsed) {
            if let Some(c) = configs
                .iter_mut()
                .find(|c| c.definition.name == connector_config::TRANSFORMS)
            {
                c.value.errors.push(problem);
            }
        }
    }
    let error_count = configs.iter().map(|c| c.value.errors.len()).sum();
    Ok(ConfigInfos {
        name,
        error_count,
        groups,
        configs,
    })
}

fn add_topic_errors(props: &Props, configs: &mut [ConfigInfo]) {
    let topics = props.get(TOPICS).is_some_and(|t| !t.trim().is_empty());
    let regex = props
        .get(TOPICS_REGEX)
        .is_some_and(|r| !r.trim().is_empty());
    let Some(message) = connector_config::topics_problem(topics, regex) else {
        return;
    };
    for c in configs.iter_mut() {
        if c.definition.name == TOPICS || c.definition.name == TOPICS_REGEX {
            c.value.errors.push(message.to_string());
        }
    }
}

/// How Kafka's answer to an unknown connector class begins.
pub const UNKNOWN_CONNECTOR: &str = "Failed to find any class that implements Connector";

pub fn unknown_connector(plugins: &Plugins, name: &str) -> String {
    let names: Vec<String> = plugins
        .connector_infos()
        .into_iter()
        .map(|p| p.class)
        .collect();
    format!(
        "{UNKNOWN_CONNECTOR} and which name matches {name}, available connectors are: {}",
        names.join(", ")
    )
}
