//! The plugins a worker can run: connectors (registered by the binary) and converters.

use ferry_api::{ConnectError, Connector, ConnectorPlugin, Converter, HeaderConverter, Props};

use crate::entities::{HerderError, PluginInfo};

/// Every plugin known to this worker.
pub struct Plugins {
    connectors: Vec<ConnectorPlugin>,
}

impl Plugins {
    pub fn new(connectors: Vec<ConnectorPlugin>) -> Plugins {
        Plugins { connectors }
    }

    /// The connector plugin for a class name, simple name or alias.
    pub fn connector(&self, name: &str) -> Option<&ConnectorPlugin> {
        self.connectors.iter().find(|p| p.answers_to(name.trim()))
    }

    pub fn new_connector(&self, name: &str) -> Option<Box<dyn Connector>> {
        self.connector(name).map(|p| (p.create)())
    }

    /// A new instance of the connector a stored configuration names (to check offsets a user
    /// alters, as Kafka asks the connector).
    pub fn connector_for(&self, class: Option<&String>) -> Result<Box<dyn Connector>, HerderError> {
        class
            .and_then(|class| self.new_connector(class))
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
