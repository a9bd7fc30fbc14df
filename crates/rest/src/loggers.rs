//! Log levels at run time (KIP-495): the REST side. The binary implements `Loggers` over its
//! reloadable `tracing` filter.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoggerLevel {
    pub level: String,
    /// When the level was last set over REST; `null` if never, as Kafka shows it.
    pub last_modified: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoggersError {
    #[error("invalid log level '{0}'.")]
    UnknownLevel(String),
    #[error("{0}")]
    Failed(String),
}

pub trait Loggers: Send + Sync {
    /// Every logger with an explicit level, and `root`.
    fn levels(&self) -> BTreeMap<String, LoggerLevel>;
    /// Sets a logger's level (`root` for the default); returns the loggers whose level changed.
    fn set_level(&self, name: &str, level: &str) -> Result<Vec<String>, LoggersError>;
}
