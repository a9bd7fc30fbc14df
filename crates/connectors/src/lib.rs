//! The connectors built into ferry, a module per family.

pub mod file;

use ferry_api::ConnectorPlugin;

/// Every connector plugin this build of ferry carries.
pub fn plugins() -> Vec<ConnectorPlugin> {
    vec![file::source_plugin(), file::sink_plugin()]
}
