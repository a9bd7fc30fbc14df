//! MySQL and MariaDB change data capture, configured, shaped and checkpointed as Debezium's
//! `io.debezium.connector.mysql.MySqlConnector` and `io.debezium.connector.mariadb.MariaDbConnector`
//! are: a snapshot of the captured tables (`op: r`), then every insert, update and delete from
//! the binlog, as Debezium's change events, with Debezium's offsets.

pub mod alter;
pub mod binlog;
pub mod catalog;
pub mod config;
pub mod ddl;
pub mod event;
pub mod filters;
pub mod history;
pub mod schema;
pub mod schema_change;
pub mod server;
pub mod snapshot;
pub mod table;
pub mod table_changes;
pub mod task;
pub mod values;

use ferry_api::config::{has_provider_placeholder, ConfigProblem};
use ferry_api::{ConfigDef, Connector, ConnectorKind, ConnectorPlugin, Props, Result, Task};

use config::{Flavor, MySqlConfig};

/// Checks the configuration and gives it, unchanged, to its one task.
pub struct MySqlConnector {
    flavor: Flavor,
    props: Props,
}

impl MySqlConnector {
    pub fn new(flavor: Flavor) -> MySqlConnector {
        MySqlConnector {
            flavor,
            props: Props::new(),
        }
    }
}

impl Connector for MySqlConnector {
    fn kind(&self) -> ConnectorKind {
        ConnectorKind::Source
    }

    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    fn config_def(&self) -> ConfigDef {
        config::config_def()
    }

    fn start(&mut self, props: &Props) -> Result<()> {
        MySqlConfig::parse(self.flavor, props)?;
        for key in MySqlConfig::not_yet_acted_on(props) {
            tracing::warn!(
                key,
                "accepted but not acted on yet by ferry's MySQL connector"
            );
        }
        self.props = props.clone();
        Ok(())
    }

    fn check_config(&self, props: &Props) -> Vec<ConfigProblem> {
        // A config provider's placeholder is resolved only at start.
        if props.values().any(|v| has_provider_placeholder(v)) {
            return Vec::new();
        }
        let mut problems = config::history_problems(props);
        if problems.is_empty() {
            if let Err(e) = MySqlConfig::parse(self.flavor, props) {
                problems.push(ConfigProblem {
                    key: config::HOSTNAME.to_string(),
                    message: e.to_string(),
                });
            }
        }
        problems
    }

    fn validate(&self, props: &Props) -> Vec<ConfigProblem> {
        let problems = config::history_problems(props);
        if !problems.is_empty() {
            return problems;
        }
        let Ok(config) = MySqlConfig::parse(self.flavor, props) else {
            return Vec::new();
        };
        // A placeholder of a config provider is resolved only when the connector starts.
        if props.values().any(|v| has_provider_placeholder(v)) {
            return Vec::new();
        }
        let checked = tokio::runtime::Handle::try_current().map(|handle| {
            tokio::task::block_in_place(|| handle.block_on(task::check_reachable(&config)))
        });
        match checked {
            Ok(Err(e)) => vec![ConfigProblem {
                key: config::HOSTNAME.to_string(),
                message: e.to_string(),
            }],
            _ => Vec::new(),
        }
    }

    fn task_configs(&self, _max_tasks: usize) -> Result<Vec<Props>> {
        // Like Debezium's: the binlog is one stream, read by one task.
        Ok(vec![self.props.clone()])
    }

    fn stop(&mut self) -> Result<()> {
        Ok(())
    }

    fn create_task(&self) -> Task {
        Task::Source(Box::new(task::MySqlSourceTask::new(self.flavor)))
    }
}

pub fn mysql_plugin() -> ConnectorPlugin {
    ConnectorPlugin::builtin(
        "io.debezium.connector.mysql.MySqlConnector",
        &["MySqlConnector", "FerryMySqlCdc"],
        "io.debezium.connector.mysql.MySqlConnectorTask",
        ConnectorKind::Source,
        env!("CARGO_PKG_VERSION"),
        || Box::new(MySqlConnector::new(Flavor::MySql)),
    )
}

pub fn mariadb_plugin() -> ConnectorPlugin {
    ConnectorPlugin::builtin(
        "io.debezium.connector.mariadb.MariaDbConnector",
        &["MariaDbConnector", "FerryMariaDbCdc"],
        "io.debezium.connector.mariadb.MariaDbConnectorTask",
        ConnectorKind::Source,
        env!("CARGO_PKG_VERSION"),
        || Box::new(MySqlConnector::new(Flavor::MariaDb)),
    )
}
