//! The connectors built into ferry, a module per family.

pub mod file;

use ferry_api::ConnectorPlugin;

/// Every connector plugin this build of ferry carries.
pub fn plugins() -> Vec<ConnectorPlugin> {
    #[allow(unused_mut)]
    let mut plugins = vec![file::source_plugin(), file::sink_plugin()];
    #[cfg(feature = "mysql")]
    plugins.extend([ferry_mysql::mysql_plugin(), ferry_mysql::mariadb_plugin()]);
    #[cfg(feature = "jdbc")]
    plugins.extend([
        ferry_jdbc::debezium_plugin(),
        ferry_jdbc::confluent_plugin(),
    ]);
    plugins
}
