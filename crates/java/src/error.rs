//! What can go wrong talking to the plugin host, and how it reaches a task's status.

use ferry_api::error::JavaThrowable;
use ferry_api::ConnectError;
use serde::Deserialize;

use crate::host::HostEnd;

/// A throwable the host caught from plugin code: its class, message and Java stack trace.
#[derive(Debug, Clone, Deserialize)]
pub struct JavaError {
    #[serde(default)]
    pub class: String,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub trace: String,
    #[serde(default)]
    pub retriable: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// Plugin code threw; the trace is Java's.
    #[error("{}", .0.trace)]
    Java(JavaError),
    /// The host could not be started, or the connection to it broke.
    #[error("{0}")]
    Host(String),
    /// The host process ended under the call.
    #[error("{}", .0.text)]
    HostDied(HostEnd),
}

impl HostError {
    pub fn from_reply(body: &[u8]) -> HostError {
        match serde_json::from_slice::<JavaError>(body) {
            Ok(e) if !e.trace.is_empty() => HostError::Java(e),
            Ok(e) => HostError::Java(JavaError {
                trace: format!("{}: {}", e.class, e.message.clone().unwrap_or_default()),
                ..e
            }),
            Err(_) => HostError::Host(format!(
                "the plugin host sent an error ferry cannot read: {}",
                String::from_utf8_lossy(body)
            )),
        }
    }
}

impl From<HostError> for ConnectError {
    fn from(e: HostError) -> ConnectError {
        match e {
            HostError::Java(e) if e.retriable => ConnectError::Retriable(e.trace),
            HostError::Java(e) => ConnectError::Java(Box::new(JavaThrowable {
                class: e.class,
                message: e.message,
                trace: e.trace,
            })),
            HostError::Host(message) => ConnectError::Other(message),
            HostError::HostDied(end) => ConnectError::Other(end.text),
        }
    }
}
