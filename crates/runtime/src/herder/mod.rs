//! The one door to the control plane: the REST API calls nothing but `Herder`.

pub mod offsets;
pub mod standalone;
pub mod validation;

pub use crate::entities::*;

use std::collections::BTreeMap;

use async_trait::async_trait;
use ferry_api::Props;

use crate::plugins::Plugins;

/// The operations a worker offers its REST API.
#[async_trait]
pub trait Herder: Send + Sync {
    fn server_info(&self) -> ServerInfo;
    /// Whether start-up has finished (`GET /health`).
    fn ready(&self) -> bool;

    async fn connectors(&self) -> Vec<String>;
    async fn connector_info(&self, name: &str) -> Result<ConnectorInfo, HerderError>;
    async fn connector_config(&self, name: &str) -> Result<Props, HerderError>;
    async fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo, HerderError>;
    async fn task_configs(&self, name: &str) -> Result<Vec<TaskInfo>, HerderError>;
    async fn task_status(&self, name: &str, task: u32) -> Result<TaskState, HerderError> {
        self.connector_status(name)
            .await?
            .tasks
            .into_iter()
            .find(|t| t.id == task)
            .ok_or_else(|| HerderError::NotFound(format!("No status found for task {name}-{task}")))
    }

    async fn create_connector(
        &self,
        name: &str,
        config: Props,
        initial: TargetState,
    ) -> Result<ConnectorInfo, HerderError>;
    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
    ) -> Result<Created<ConnectorInfo>, HerderError>;
    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> Result<ConnectorInfo, HerderError>;
    async fn delete_connector(&self, name: &str) -> Result<(), HerderError>;

    /// Moves a connector to a target state; pause, resume and stop are this.
    async fn set_target_state(&self, name: &str, target: TargetState) -> Result<(), HerderError>;

    async fn pause_connector(&self, name: &str) -> Result<(), HerderError> {
        self.set_target_state(name, TargetState::Paused).await
    }

    /// Back to RUNNING from PAUSED or STOPPED.
    async fn resume_connector(&self, name: &str) -> Result<(), HerderError> {
        self.set_target_state(name, TargetState::Started).await
    }

    async fn stop_connector(&self, name: &str) -> Result<(), HerderError> {
        self.set_target_state(name, TargetState::Stopped).await
    }
    async fn restart_connector(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> Result<ConnectorStateInfo, HerderError>;
    async fn restart_task(&self, name: &str, task: u32) -> Result<(), HerderError>;

    /// Internal (`POST /connectors/{name}/tasks`): the task configurations that the worker running
    /// the connector sends to the leader; `body` is the request's JSON as received, which the
    /// signature (KIP-507) covers.
    async fn put_task_configs(
        &self,
        name: &str,
        body: &[u8],
        signature: InternalSignature,
    ) -> Result<(), HerderError> {
        let _ = (name, body, signature);
        Err(HerderError::BadRequest(
            "Kafka Connect in standalone mode does not support externally setting task configurations.".into(),
        ))
    }

    /// `PUT /connectors/{name}/fence` (KIP-618): fences out the zombie tasks of an exactly-once
    /// source connector. ferry runs no exactly-once source connectors.
    async fn fence_zombies(&self, name: &str) -> Result<(), HerderError> {
        let _ = name;
        Err(HerderError::Internal(
            "This worker does not support exactly-once source connectors.".into(),
        ))
    }

    async fn offsets(&self, name: &str) -> Result<ConnectorOffsets, HerderError>;
    async fn alter_offsets(
        &self,
        name: &str,
        offsets: ConnectorOffsets,
    ) -> Result<String, HerderError>;
    async fn reset_offsets(&self, name: &str) -> Result<String, HerderError>;

    async fn active_topics(&self, name: &str) -> Result<Vec<String>, HerderError>;
    async fn reset_active_topics(&self, name: &str) -> Result<(), HerderError>;

    /// The plugins this worker knows; the plugin endpoints below answer from it.
    /// The group's workers and what each runs (`GET /workers`, a ferry extension); `None` for a
    /// standalone worker, which has no group.
    async fn workers(&self) -> Result<Option<GroupWorkers>, HerderError> {
        Ok(None)
    }

    fn plugins(&self) -> &Plugins;

    fn connector_plugins(&self, connectors_only: bool) -> Vec<PluginInfo> {
        validation::plugin_infos(self.plugins(), connectors_only)
    }
    fn plugin_config(&self, plugin: &str) -> Result<Vec<ConfigKeyInfo>, HerderError> {
        validation::plugin_config(self.plugins(), plugin)
    }
    async fn validate_config(
        &self,
        plugin: &str,
        config: Props,
    ) -> Result<ConfigInfos, HerderError> {
        validation::validate(self.plugins(), plugin, config)
    }
}

pub fn not_found(name: &str) -> HerderError {
    HerderError::NotFound(format!("Connector {name} not found"))
}

/// Kafka's 404 for the status of an unknown connector.
pub fn no_status(name: &str) -> HerderError {
    HerderError::NotFound(format!("No status found for connector {name}"))
}

/// Kafka's 404 for pausing, resuming or stopping an unknown connector.
pub fn unknown_connector(name: &str) -> HerderError {
    HerderError::NotFound(format!("Unknown connector {name}"))
}

/// Kafka's 404 for restarting an unknown connector or one of its tasks.
pub fn unknown_connector_to_restart(name: &str) -> HerderError {
    HerderError::NotFound(format!("Unknown connector: {name}"))
}

/// Kafka's 404 for restarting a task the connector does not have.
pub fn unknown_task(name: &str, task: u32) -> HerderError {
    HerderError::NotFound(format!("Unknown task: {name}-{task}"))
}

/// Kafka's answer to a configuration that does not validate. A missing or unknown connector
/// class is reported alone and unwrapped, as Kafka does before it looks at any other key.
pub fn invalid_config(problems: &[String], props: &Props) -> HerderError {
    let class = props.get(crate::config::connector::CONNECTOR_CLASS);
    match (class, problems) {
        (None, _) => {
            return HerderError::BadRequest(crate::config::connector::NO_CONNECTOR_TYPE.into())
        }
        (Some(_), [only]) if only.starts_with(crate::plugins::UNKNOWN_CONNECTOR) => {
            return HerderError::BadRequest(only.clone())
        }
        _ => {}
    }
    HerderError::BadRequest(format!(
        "Connector configuration is invalid and contains the following {} error(s):\n{}\nYou can also find the above list of errors at the endpoint `/connector-plugins/{}/config/validate`",
        problems.len(),
        problems.join("\n"),
        class.map(String::as_str).unwrap_or_default()
    ))
}

/// Puts the URL's name into the config, refusing a config that names another connector.
pub fn with_name(name: &str, mut config: Props) -> Result<Props, HerderError> {
    if name.trim().is_empty() {
        // Kafka lets the empty name reach validation, which refuses it.
        config.insert(crate::config::connector::NAME.to_string(), String::new());
        return Err(invalid_config(
            &["Invalid value  for configuration name: String may not be empty".to_string()],
            &config,
        ));
    }
    if name.contains('/') {
        return Err(HerderError::BadRequest(
            "connector name should not contain '/'".into(),
        ));
    }
    match config.get(crate::config::connector::NAME) {
        Some(n) if n != name => {
            return Err(HerderError::BadRequest(format!(
            "Connector name configuration ({n}) doesn't match connector name in the URL ({name})"
        )))
        }
        Some(_) => {}
        None => {
            config.insert(crate::config::connector::NAME.to_string(), name.to_string());
        }
    }
    Ok(config)
}

/// What every herder says about its worker: the Kafka cluster id once the broker told it, and
/// whether start-up is over (`GET /`, `GET /health`).
#[derive(Debug, Default)]
pub struct WorkerState {
    cluster_id: std::sync::RwLock<Option<String>>,
    ready: std::sync::atomic::AtomicBool,
}

impl WorkerState {
    pub fn set_cluster_id(&self, id: String) {
        *self.cluster_id.write().unwrap_or_else(|p| p.into_inner()) = Some(id);
    }

    pub fn set_ready(&self) {
        self.ready.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn ready(&self) -> bool {
        self.ready.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn server_info(&self) -> ServerInfo {
        ServerInfo {
            version: crate::herder::standalone::KAFKA_API_VERSION.to_string(),
            commit: format!("ferry-{}", env!("CARGO_PKG_VERSION")),
            kafka_cluster_id: self
                .cluster_id
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }
}
