//! A sink that keeps database tables equal to what Kafka records say, configured as Debezium's
//! JDBC sink (`io.debezium.connector.jdbc.JdbcSinkConnector`, which reads Debezium's change
//! events natively) or Confluent's (`io.confluent.connect.jdbc.JdbcSinkConnector`, flat
//! records): inserts or upserts by primary key, deletes, truncates, tables created and widened
//! from the records' schemas, into PostgreSQL, MySQL or MariaDB.

pub mod batch;
pub mod config;
pub mod db;
pub mod literal;
pub mod record;
pub mod sql;
pub mod table;
pub mod task;
pub mod types;
pub mod url;
pub mod writer;

use ferry_api::config::{has_provider_placeholder, ConfigProblem};
use ferry_api::{ConfigDef, Connector, ConnectorKind, ConnectorPlugin, Props, Result, Task};

use config::{Flavor, SinkConfig};

/// Checks the configuration and hands it, unchanged, to each task.
pub struct JdbcSinkConnector {
    flavor: Flavor,
    props: Props,
}

impl JdbcSinkConnector {
    pub fn new(flavor: Flavor) -> JdbcSinkConnector {
        JdbcSinkConnector {
            flavor,
            props: Props::new(),
        }
    }
}

impl Connector for JdbcSinkConnector {
    fn kind(&self) -> ConnectorKind {
        ConnectorKind::Sink
    }

    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    fn config_def(&self) -> ConfigDef {
        config::config_def(self.flavor)
    }

    fn start(&mut self, props: &Props) -> Result<()> {
        SinkConfig::parse(self.flavor, props)?;
        for (key, why) in SinkConfig::ignored_keys(self.flavor, props) {
            tracing::warn!(key, "{why}");
        }
        self.props = props.clone();
        Ok(())
    }

    fn check_config(&self, props: &Props) -> Vec<ConfigProblem> {
        // A config provider's placeholder (`${file:...}`) is resolved only at start.
        if props.values().any(|v| has_provider_placeholder(v)) {
            return Vec::new();
        }
        SinkConfig::check(self.flavor, props)
            .err()
            .unwrap_or_default()
    }

    fn validate(&self, props: &Props) -> Vec<ConfigProblem> {
        let config = match SinkConfig::check(self.flavor, props) {
            Ok(config) => config,
            Err(problems) => return problems,
        };
        // A placeholder of a config provider is resolved only when the connector starts.
        if props.values().any(|v| has_provider_placeholder(v)) {
            return Vec::new();
        }
        let reached = tokio::runtime::Handle::try_current().map(|handle| {
            tokio::task::block_in_place(|| {
                handle.block_on(async {
                    let db = db::Db::connect(&config).await?;
                    db.close().await;
                    Ok::<(), db::DbError>(())
                })
            })
        });
        match reached {
            Ok(Err(e)) => vec![ConfigProblem {
                key: config::URL.to_string(),
                message: e.to_string(),
            }],
            _ => Vec::new(),
        }
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<Props>> {
        Ok(vec![self.props.clone(); max_tasks.max(1)])
    }

    fn stop(&mut self) -> Result<()> {
        Ok(())
    }

    fn create_task(&self) -> Task {
        Task::Sink(Box::new(task::JdbcSinkTask::new(self.flavor)))
    }
}

pub fn debezium_plugin() -> ConnectorPlugin {
    ConnectorPlugin::builtin(
        "io.debezium.connector.jdbc.JdbcSinkConnector",
        &["JdbcSinkConnector", "FerryJdbcSink"],
        "io.debezium.connector.jdbc.JdbcSinkConnectorTask",
        ConnectorKind::Sink,
        env!("CARGO_PKG_VERSION"),
        || Box::new(JdbcSinkConnector::new(Flavor::Debezium)),
    )
}

pub fn confluent_plugin() -> ConnectorPlugin {
    ConnectorPlugin::builtin(
        "io.confluent.connect.jdbc.JdbcSinkConnector",
        &["FerryConfluentJdbcSink"],
        "io.confluent.connect.jdbc.sink.JdbcSinkTask",
        ConnectorKind::Sink,
        env!("CARGO_PKG_VERSION"),
        || Box::new(JdbcSinkConnector::new(Flavor::Confluent)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::config::props_of;

    #[test]
    fn contradictions_refuse_a_create_but_placeholders_wait_for_the_start() {
        let connector = JdbcSinkConnector::new(Flavor::Debezium);
        let bad = props_of(&[
            ("connection.url", "jdbc:postgresql://h/db"),
            ("insert.mode", "upsert"),
        ]);
        let problems = connector.check_config(&bad);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].key, "primary.key.mode");
        let later = props_of(&[
            ("connection.url", "${file:/etc/secrets.properties:url}"),
            ("collection.name.format", "${source.table}"),
        ]);
        assert!(connector.check_config(&later).is_empty());
        assert!(!has_provider_placeholder("${topic}_${source.table}"));
        assert!(has_provider_placeholder("x${env:URL}"));
    }
}
