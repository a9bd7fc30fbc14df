//! The one door to the control plane: the REST API calls nothing but `Herder`.

use async_trait::async_trait;
use ferry_api::Props;
use serde::Serialize;

use crate::status::Status;

/// Why a herder operation failed; the REST layer maps each kind to one HTTP status once.
#[derive(Debug, thiserror::Error)]
pub enum HerderError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Internal(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectorTaskId {
    pub connector: String,
    pub task: u32,
}

/// `GET /connectors/{name}`.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectorInfo {
    pub name: String,
    pub config: Props,
    pub tasks: Vec<ConnectorTaskId>,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// `GET /connectors/{name}/tasks`, one entry.
#[derive(Debug, Clone, Serialize)]
pub struct TaskInfo {
    pub id: ConnectorTaskId,
    pub config: Props,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskState {
    pub id: u32,
    #[serde(flatten)]
    pub status: Status,
}

/// `GET /connectors/{name}/status`.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectorStateInfo {
    pub name: String,
    pub connector: Status,
    pub tasks: Vec<TaskState>,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// `GET /connector-plugins`, one entry.
#[derive(Debug, Clone, Serialize)]
pub struct PluginInfo {
    pub class: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub version: String,
}

/// `GET /`.
#[derive(Debug, Clone, Serialize)]
pub struct ServerInfo {
    pub version: String,
    pub commit: String,
    pub kafka_cluster_id: Option<String>,
}

/// The operations a worker offers its REST API.
#[async_trait]
pub trait Herder: Send + Sync {
    fn server_info(&self) -> ServerInfo;
    async fn connectors(&self) -> Vec<String>;
    async fn connector_info(&self, name: &str) -> Result<ConnectorInfo, HerderError>;
    async fn connector_config(&self, name: &str) -> Result<Props, HerderError>;
    async fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo, HerderError>;
    async fn task_configs(&self, name: &str) -> Result<Vec<TaskInfo>, HerderError>;
    fn connector_plugins(&self) -> Vec<PluginInfo>;
}
