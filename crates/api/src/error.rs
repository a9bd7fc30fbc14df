//! Errors a plugin reports to the runtime.

/// An error from a connector, task, converter or transform.
///
/// The runtime turns the whole `source()` chain into the `trace` of a FAILED status.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The configuration is invalid; the message says which key and why.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A transient problem: the runtime may try the same operation again.
    #[error("retriable error: {0}")]
    Retriable(String),
    /// Data could not be converted between bytes and the Connect data model.
    #[error("data error: {0}")]
    Data(String),
    #[error("I/O error: {context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
    /// A Java plugin threw (in ferry's plugin host).
    #[error("{0}")]
    Java(Box<JavaThrowable>),
}

/// What a Java plugin threw: the throwable's class and message, and its stack trace as Java
/// prints it, which is what a FAILED status shows.
#[derive(Debug, thiserror::Error)]
#[error("{trace}")]
pub struct JavaThrowable {
    pub class: String,
    pub message: Option<String>,
    pub trace: String,
}

impl ConnectError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        ConnectError::Io {
            context: context.into(),
            source,
        }
    }

    pub fn is_retriable(&self) -> bool {
        matches!(self, ConnectError::Retriable(_))
    }

    /// The error and every cause below it, one per line, as Kafka shows a stack trace.
    pub fn trace(&self) -> String {
        error_chain(self)
    }
}

/// Formats an error with all its sources, one per line.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(cause) = cur {
        out.push_str("\nCaused by: ");
        out.push_str(&cause.to_string());
        cur = cause.source();
    }
    out
}

pub type Result<T, E = ConnectError> = std::result::Result<T, E>;
