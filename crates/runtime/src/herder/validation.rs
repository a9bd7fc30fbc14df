//! Plugin descriptions and config validation for the REST API, all derived from `ConfigDef`s.

use ferry_api::{ConfigDef, ConfigKey, ConfigType, ConnectorKind, Props};

use crate::config::connector::{self, CONNECTOR_CLASS, TOPICS, TOPICS_REGEX};
use crate::entities::{
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
        let mut transforms: Vec<PluginInfo> = ferry_transforms::transformations()
            .into_iter()
            .map(|p| PluginInfo {
                class: p.class.to_string(),
                kind: "transformation".to_string(),
                version: p.version.to_string(),
            })
            .collect();
        transforms.sort_by(|a, b| a.class.cmp(&b.class));
        infos.extend(transforms);
        let mut predicates: Vec<PluginInfo> = ferry_transforms::predicates()
            .into_iter()
            .map(|p| PluginInfo {
                class: p.class.to_string(),
                kind: "predicate".to_string(),
                version: p.version.to_string(),
            })
            .collect();
        predicates.sort_by(|a, b| a.class.cmp(&b.class));
        infos.extend(predicates);
        // Those of Java plugins, for Java connectors, by type then class.
        let order = [
            "converter",
            "header_converter",
            "transformation",
            "predicate",
        ];
        let rank = |kind: &str| order.iter().position(|k| *k == kind).unwrap_or(order.len());
        let mut java = plugins.other_infos().to_vec();
        java.sort_by(|a, b| (rank(&a.kind), &a.class).cmp(&(rank(&b.kind), &b.class)));
        infos.extend(java);
    }
    infos
}

/// `GET /connector-plugins/{p}/config`: a connector's own keys followed by the keys every
/// connector of its kind has (as Kafka 4 lists them), or a converter's keys.
pub fn plugin_config(plugins: &Plugins, name: &str) -> Result<Vec<ConfigKeyInfo>, HerderError> {
    if let Some(plugin) = plugins.connector(name) {
        let own = (plugin.create)().config_def();
        return Ok(def_info(&own.merge(&connector::common_def(plugin.kind))));
    }
    if let Some(def) = ferry_convert::converter_config_def(name) {
        return Ok(def_info(&def));
    }
    if let Some(p) = ferry_transforms::find_transformation(name.trim()) {
        return Ok(def_info(&(p.config_def)()));
    }
    if let Some(p) = ferry_transforms::find_predicate(name.trim()) {
        return Ok(def_info(&(p.config_def)()));
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
        .ok_or_else(|| HerderError::BadRequest(plugins.unknown_connector(plugin_name)))?;
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
    // `connector.plugin.version` may pick another plugin of the same class (a Java one).
    let plugin = plugins.connector_of(&props).cloned().unwrap_or(plugin);
    let instance = plugin.create();
    let common = connector::common_def(plugin.kind);
    let own = instance.config_def();
    let def = common.clone().merge(&own).merge(&transform_keys(&props));
    // A Java connector's own keys are checked in the plugin host by its ConfigDef and validate
    // (validators included), as Kafka checks them.
    let checked_in_java =
        |name: &str| plugin.runs_in_java && own.key(name).is_some() && common.key(name).is_none();
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
        if !checked_in_java(&key.name) {
            if let Err(message) = def.parse_key(key, raw) {
                errors.push(message);
            }
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
    // A Java connector's transforms are Java classes: its plugin host checks them when its
    // tasks start.
    let transform_problems = if plugin.runs_in_java {
        Vec::new()
    } else {
        connector::transform_problems(&props)
    };
    for problem in transform_problems {
        let at = configs
            .iter()
            .position(|c| c.definition.name == problem.key)
            .or_else(|| {
                configs
                    .iter()
                    .position(|c| c.definition.name == connector::TRANSFORMS)
            });
        if let Some(c) = at.and_then(|i| configs.get_mut(i)) {
            if !c.value.errors.contains(&problem.message) {
                c.value.errors.push(problem.message);
            }
        }
    }
    // Only a configuration whose keys are all right is worth the connector's own checks, which
    // may reach its external system; a Java connector's are its key checks too, always made.
    if plugin.runs_in_java || configs.iter().all(|c| c.value.errors.is_empty()) {
        for problem in instance.validate(&props) {
            let at = configs
                .iter()
                .position(|c| c.definition.name == problem.key)
                .unwrap_or(0);
            if let Some(c) = configs.get_mut(at) {
                c.value.errors.push(problem.message);
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

/// The keys of each transform and predicate a configuration names, as Kafka adds them to a
/// connector's definition: `transforms.A.type`, `.predicate`, `.negate` and the transform's own
/// keys under `transforms.A.`, in a group `Transforms: A`; likewise for predicates.
fn transform_keys(props: &Props) -> ConfigDef {
    let aliases = |key: &str| -> Vec<String> {
        props
            .get(key)
            .map(|v| ferry_api::config::split_list(v))
            .unwrap_or_default()
    };
    let mut def = ConfigDef::new();
    let add = |def: ConfigDef, prefix: &str, group: &str, own: Option<ConfigDef>| {
        let mut def = def
            .required(
                &format!("{prefix}type"),
                ferry_api::ConfigType::Class,
                ferry_api::Importance::High,
                "Class for the plugin.",
            )
            .in_group(group, "Type");
        if prefix.starts_with("transforms.") {
            def = def
                .optional(
                    &format!("{prefix}predicate"),
                    ferry_api::ConfigType::String,
                    None,
                    ferry_api::Importance::Medium,
                    "The alias of a predicate used to determine whether to apply this \
                     transformation.",
                )
                .in_group(group, "Predicate")
                .optional(
                    &format!("{prefix}negate"),
                    ferry_api::ConfigType::Boolean,
                    Some("false"),
                    ferry_api::Importance::Medium,
                    "Whether the configured predicate should be negated.",
                )
                .in_group(group, "Negate");
        }
        let mut extra = ConfigDef::new();
        for key in own.iter().flat_map(|d| d.keys().to_vec()) {
            let mut key = key;
            key.name = format!("{prefix}{}", key.name);
            key.display_name.clone_from(&key.name);
            key.group = Some(group.to_string());
            extra = extra.with_key(key);
        }
        def.merge(&extra)
    };
    for alias in aliases("transforms") {
        let prefix = format!("transforms.{alias}.");
        let own = props
            .get(&format!("{prefix}type"))
            .and_then(|c| ferry_transforms::find_transformation(c.trim()))
            .map(|p| (p.config_def)());
        def = add(def, &prefix, &format!("Transforms: {alias}"), own);
    }
    for alias in aliases("predicates") {
        let prefix = format!("predicates.{alias}.");
        let own = props
            .get(&format!("{prefix}type"))
            .and_then(|c| ferry_transforms::find_predicate(c.trim()))
            .map(|p| (p.config_def)());
        def = add(def, &prefix, &format!("Predicates: {alias}"), own);
    }
    def
}

fn add_topic_errors(props: &Props, configs: &mut [ConfigInfo]) {
    let topics = props.get(TOPICS).is_some_and(|t| !t.trim().is_empty());
    let regex = props
        .get(TOPICS_REGEX)
        .is_some_and(|r| !r.trim().is_empty());
    let Some(message) = connector::topics_problem(topics, regex) else {
        return;
    };
    for c in configs.iter_mut() {
        if c.definition.name == TOPICS || c.definition.name == TOPICS_REGEX {
            c.value.errors.push(message.to_string());
        }
    }
}
