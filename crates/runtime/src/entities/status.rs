//! Connector and task states, as the REST API and the status topic name them.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    Unassigned,
    Running,
    Paused,
    Stopped,
    Failed,
    Restarting,
}

/// The state of one connector or task, with the error chain when it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub state: State,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    pub worker_id: String,
}

impl Status {
    pub fn new(state: State, worker_id: &str) -> Status {
        Status {
            state,
            trace: None,
            worker_id: worker_id.to_string(),
        }
    }

    pub fn failed(trace: String, worker_id: &str) -> Status {
        Status {
            state: State::Failed,
            trace: Some(trace),
            worker_id: worker_id.to_string(),
        }
    }
}
