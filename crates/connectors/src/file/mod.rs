//! FileStreamSource and FileStreamSink: lines of a file to a topic, and record values to a file.

mod sink;
mod source;

pub use sink::{FileStreamSinkConnector, FileStreamSinkTask};
pub use source::{FileStreamSourceConnector, FileStreamSourceTask};

use ferry_api::{ConnectorKind, ConnectorPlugin};

/// The `file` key both connectors share; absent means standard input or output.
pub const FILE_CONFIG: &str = "file";

pub fn source_plugin() -> ConnectorPlugin {
    ConnectorPlugin::builtin(
        "org.apache.kafka.connect.file.FileStreamSourceConnector",
        &["FileStreamSourceConnector", "FileStreamSource"],
        "org.apache.kafka.connect.file.FileStreamSourceTask",
        ConnectorKind::Source,
        env!("CARGO_PKG_VERSION"),
        || Box::new(FileStreamSourceConnector::default()),
    )
}

pub fn sink_plugin() -> ConnectorPlugin {
    ConnectorPlugin::builtin(
        "org.apache.kafka.connect.file.FileStreamSinkConnector",
        &["FileStreamSinkConnector", "FileStreamSink"],
        "org.apache.kafka.connect.file.FileStreamSinkTask",
        ConnectorKind::Sink,
        env!("CARGO_PKG_VERSION"),
        || Box::new(FileStreamSinkConnector::default()),
    )
}
