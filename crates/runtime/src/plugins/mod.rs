//! The plugins a worker can run: connectors (built in, and Java plugins from `plugin.path`) and
//! converters.

mod version;

use ferry_api::{ConnectError, Connector, ConnectorPlugin, Converter, HeaderConverter, Props};

use crate::config::connector::{CONNECTOR_CLASS, CONNECTOR_PLUGIN_VERSION};
use crate::entities::{HerderError, PluginInfo};

/// Every plugin known to this worker.
pub struct Plugins {
    /// Built-in connectors first: where a Java plugin answers to the same name, the built-in
    /// runs unless `connector.plugin.version` asks for the other.
    connectors: Vec<ConnectorPlugin>,
    /// Converters, transforms and predicates of Java plugins, which Java connectors may use.
    others: Vec<PluginInfo>,
}

impl Plugins {
    pub fn new(connectors: Vec<ConnectorPlugin>) -> Plugins {
        Plugins {
            connectors,
            others: Vec::new(),
        }
    }

    pub fn with_others(mut self, others: Vec<PluginInfo>) -> Plugins {
        self.others = others;
        self
    }

    /// The Java plugins' converters, transforms and predicates.
    pub fn other_infos(&self) -> &[PluginInfo] {
        &self.others
    }

    /// The connector plugin for a class name, simple name or alias.
    pub fn connector(&self, name: &str) -> Option<&ConnectorPlugin> {
        self.connectors.iter().find(|p| p.answers_to(name.trim()))
    }

    /// The connector plugin a configuration asks for: its `connector.class`, and the version
    /// `connector.plugin.version` names when it is set.
    pub fn connector_of(&self, props: &Props) -> Option<&ConnectorPlugin> {
        let name = props.get(CONNECTOR_CLASS)?.trim();
        match props
            .get(CONNECTOR_PLUGIN_VERSION)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        {
            None => self.connector(name),
            Some(wanted) => self
                .connectors
                .iter()
                .filter(|p| p.answers_to(name) && version::matches(wanted, p.version))
                .max_by(|a, b| version::compare(a.version, b.version)),
        }
    }

    /// Kafka's answer to a configuration whose class or version no plugin answers to.
    pub fn unknown_connector_of(&self, props: &Props) -> String {
        let class = props.get(CONNECTOR_CLASS).map(String::as_str).unwrap_or("");
        match props
            .get(CONNECTOR_PLUGIN_VERSION)
            .filter(|v| !v.trim().is_empty())
        {
            Some(wanted) if self.connector(class).is_some() => {
                let versions: Vec<&str> = self
                    .connectors
                    .iter()
                    .filter(|p| p.answers_to(class.trim()))
                    .map(|p| p.version)
                    .collect();
                format!(
                    "Plugin {class} has no version matching {wanted}; the versions there are: {}",
                    versions.join(", ")
                )
            }
            _ => self.unknown_connector(class),
        }
    }

    pub fn new_connector(&self, name: &str) -> Option<Box<dyn Connector>> {
        self.connector(name).map(ConnectorPlugin::create)
    }

    /// A new instance of the connector a stored configuration names (to check offsets a user
    /// alters, as Kafka asks the connector).
    pub fn connector_for(&self, config: &Props) -> Result<Box<dyn Connector>, HerderError> {
        self.connector_of(config)
            .map(ConnectorPlugin::create)
            .ok_or_else(|| HerderError::Internal("the connector's plugin is gone".into()))
    }

    pub fn connector_infos(&self) -> Vec<PluginInfo> {
        self.connectors
            .iter()
            .map(|p| PluginInfo {
                class: p.class.to_string(),
                kind: p.kind.as_str().to_string(),
                version: p.version.to_string(),
            })
            .collect()
    }
}

/// Creates and configures a key or value converter.
pub fn converter(
    class: &str,
    props: &Props,
    is_key: bool,
) -> Result<Box<dyn Converter>, ConnectError> {
    let mut converter = ferry_convert::converter_by_name(class.trim())
        .ok_or_else(|| ConnectError::Config(format!("unknown converter class {class}")))?;
    converter.configure(props, is_key)?;
    Ok(converter)
}

/// Creates and configures a header converter.
pub fn header_converter(
    class: &str,
    props: &Props,
) -> Result<Box<dyn HeaderConverter>, ConnectError> {
    let mut converter = ferry_convert::header_converter_by_name(class.trim())
        .ok_or_else(|| ConnectError::Config(format!("unknown header converter class {class}")))?;
    converter.configure(props)?;
    Ok(converter)
}

/// How Kafka's answer to an unknown connector class begins.
pub const UNKNOWN_CONNECTOR: &str = "Failed to find any class that implements Connector";

impl Plugins {
    /// Kafka's answer to a connector class no plugin answers to, listing those there are.
    pub fn unknown_connector(&self, name: &str) -> String {
        let names: Vec<String> = self
            .connector_infos()
            .into_iter()
            .map(|p| p.class)
            .collect();
        format!(
            "{UNKNOWN_CONNECTOR} and which name matches {name}, available connectors are: {}",
            names.join(", ")
        )
    }
}
