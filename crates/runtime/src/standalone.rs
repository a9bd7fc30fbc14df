//! The standalone herder: one worker, connectors from the command line, offsets in a file.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use ferry_api::Props;

use crate::connector_config;
use crate::herder::{
    ConnectorInfo, ConnectorStateInfo, Herder, HerderError, PluginInfo, ServerInfo, TaskInfo,
};
use crate::plugins::Plugins;
use crate::worker::Worker;

/// The Kafka version whose Connect REST API ferry follows.
pub const KAFKA_API_VERSION: &str = "3.9.0";

pub struct StandaloneHerder {
    worker: Arc<Worker>,
    plugins: Arc<Plugins>,
    cluster_id: RwLock<Option<String>>,
}

impl StandaloneHerder {
    pub fn new(worker: Arc<Worker>, plugins: Arc<Plugins>) -> StandaloneHerder {
        StandaloneHerder {
            worker,
            plugins,
            cluster_id: RwLock::new(None),
        }
    }

    pub fn set_cluster_id(&self, id: String) {
        *self.cluster_id.write().unwrap_or_else(|p| p.into_inner()) = Some(id);
    }

    /// Validates and starts a connector; nothing is created when the configuration is invalid.
    pub fn create_connector(&self, props: Props) -> Result<ConnectorInfo, HerderError> {
        let valid = connector_config::validate(&self.plugins, &props).map_err(|problems| {
            HerderError::BadRequest(format!(
                "Connector configuration is invalid and contains the following {} error(s):\n{}",
                problems.len(),
                problems.join("\n")
            ))
        })?;
        let name = valid.name().to_string();
        if self.worker.contains(&name) {
            return Err(HerderError::Conflict(format!(
                "Connector {name} already exists"
            )));
        }
        self.worker.start_connector(valid);
        self.worker
            .info(&name)
            .ok_or_else(|| HerderError::Internal(format!("connector {name} vanished after start")))
    }

    pub async fn stop(&self) {
        self.worker.stop_all().await;
    }

    fn not_found(name: &str) -> HerderError {
        HerderError::NotFound(format!("Connector {name} not found"))
    }
}

#[async_trait]
impl Herder for StandaloneHerder {
    fn server_info(&self) -> ServerInfo {
        ServerInfo {
            version: KAFKA_API_VERSION.to_string(),
            commit: format!("ferry-{}", env!("CARGO_PKG_VERSION")),
            kafka_cluster_id: self
                .cluster_id
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }

    async fn connectors(&self) -> Vec<String> {
        self.worker.connector_names()
    }

    async fn connector_info(&self, name: &str) -> Result<ConnectorInfo, HerderError> {
        self.worker.info(name).ok_or_else(|| Self::not_found(name))
    }

    async fn connector_config(&self, name: &str) -> Result<Props, HerderError> {
        self.worker
            .config(name)
            .ok_or_else(|| Self::not_found(name))
    }

    async fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo, HerderError> {
        self.worker
            .status(name)
            .ok_or_else(|| Self::not_found(name))
    }

    async fn task_configs(&self, name: &str) -> Result<Vec<TaskInfo>, HerderError> {
        self.worker
            .task_infos(name)
            .ok_or_else(|| Self::not_found(name))
    }

    fn connector_plugins(&self) -> Vec<PluginInfo> {
        self.plugins.connector_infos()
    }
}
