//! What the REST API exchanges with the herders (Kafka's `rest.entities`): connector and task
//! infos and states, plugin descriptions, offsets, and the errors a herder answers with.

pub mod status;

use ferry_api::Props;
use serde::{Deserialize, Serialize};

use self::status::Status;

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
    /// An internal request whose signature does not check out (KIP-507).
    #[error("{0}")]
    Forbidden(String),
    /// The worker cannot answer yet (e.g. it has not read a session key).
    #[error("{0}")]
    Unavailable(String),
    /// Only the leader (or the worker running a task) can do this; the request goes to `url`.
    #[error("this request must be handled by the worker at {0}")]
    NotLeader(String),
}

/// The signature headers of an internal request between workers, as received.
#[derive(Debug, Clone, Default)]
pub struct InternalSignature {
    pub signature: Option<String>,
    pub algorithm: Option<String>,
}

/// The state a user asked a connector to be in (`target-state-NAME` in distributed mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TargetState {
    Started,
    Paused,
    Stopped,
}

/// `initial_state` of `POST /connectors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum InitialState {
    Running,
    Paused,
    Stopped,
}

impl From<InitialState> for TargetState {
    fn from(s: InitialState) -> TargetState {
        match s {
            InitialState::Running => TargetState::Started,
            InitialState::Paused => TargetState::Paused,
            InitialState::Stopped => TargetState::Stopped,
        }
    }
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

/// One partition and its offset, as `GET /connectors/{name}/offsets` lists them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConnectorOffset {
    pub partition: serde_json::Map<String, serde_json::Value>,
    pub offset: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConnectorOffsets {
    /// Absent in a request is the same as empty (which Kafka refuses with its own words).
    #[serde(default)]
    pub offsets: Vec<ConnectorOffset>,
}

/// One key's definition, as the plugin endpoints describe it (Kafka's `ConfigKeyInfo`).
#[derive(Debug, Clone, Serialize)]
pub struct ConfigKeyInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    pub default_value: Option<String>,
    pub importance: String,
    pub documentation: String,
    pub group: Option<String>,
    /// Kafka's JSON names it `order_in_group` (its OpenAPI file says `order`, which no worker sends).
    #[serde(rename = "order_in_group")]
    pub order: i32,
    pub width: String,
    pub display_name: String,
    pub dependents: Vec<String>,
}

/// One key's value after validation (Kafka's `ConfigValueInfo`).
#[derive(Debug, Clone, Serialize)]
pub struct ConfigValueInfo {
    pub name: String,
    pub value: Option<String>,
    pub recommended_values: Vec<String>,
    pub errors: Vec<String>,
    pub visible: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigInfo {
    pub definition: ConfigKeyInfo,
    pub value: ConfigValueInfo,
}

/// `PUT /connector-plugins/{p}/config/validate`.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigInfos {
    pub name: String,
    pub error_count: usize,
    pub groups: Vec<String>,
    pub configs: Vec<ConfigInfo>,
}

/// What `POST /connectors/{name}/restart` should restart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestartRequest {
    pub include_tasks: bool,
    pub only_failed: bool,
}

impl RestartRequest {
    /// Kafka answers a plain restart with 204 and anything more with 202 and the status.
    pub fn is_plain(&self) -> bool {
        !self.include_tasks && !self.only_failed
    }
}

/// Answer of `PUT /connectors/{name}/config`: whether it created the connector.
#[derive(Debug, Clone)]
pub struct Created<T> {
    pub created: bool,
    pub value: T,
}

/// The workers of a distributed group and what each runs, as the group coordinator knows them
/// (`GET /workers`, a ferry extension).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupWorkers {
    pub group: String,
    /// The coordinator's state of the group: `Stable`, `PreparingRebalance`, ...
    pub state: String,
    pub workers: Vec<GroupWorker>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupWorker {
    /// `host:port` of its advertised URL, as statuses name it.
    pub worker_id: String,
    pub url: String,
    pub leader: bool,
    /// The connectors and tasks it was assigned in the current generation (empty while a
    /// rebalance is under way).
    pub connectors: Vec<String>,
    pub tasks: Vec<GroupTask>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupTask {
    pub connector: String,
    pub task: u32,
}
