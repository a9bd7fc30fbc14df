//! What can end a task, and how that becomes the `trace` of a FAILED status.

use ferry_api::error::error_chain;
use ferry_api::ConnectError;
use rdkafka::error::KafkaError;

#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("{0}")]
    Kafka(String, #[source] KafkaError),
    #[error("{0}")]
    Internal(String),
}

impl TaskError {
    /// The error and its causes, for the status `trace`.
    pub fn trace(&self) -> String {
        error_chain(self)
    }
}
