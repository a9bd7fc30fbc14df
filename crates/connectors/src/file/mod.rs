//! FileStreamSource and FileStreamSink: lines of a file to a topic, and record values to a file.

mod sink;
mod source;

pub use sink::{FileStreamSinkConnector, FileStreamSinkTask};
pub use source::{FileStreamSourceConnector, FileStreamSourceTask};

use ferry_api::{ConnectorKind, ConnectorPlugin};

/// The `file` key both connectors share; absent means standard input or output.
pub const FILE_CONFIG: &str = "file";

pub fn source_plugin() -> ConnectorPlugin {
    ConnectorPlugin {
        class: "org.apache.kafka.connect.file.FileStreamSourceConnector",
        aliases: &["FileStreamSourceConnector", "FileStreamSource"],
        task_class: "org.apache.kafka.connect.file.FileStreamSourceTask",
        kind: ConnectorKind::Source,
        version: env!("CARGO_PKG_VERSION"),
        create: || Box::new(FileStreamSourceConnector::default()),
    }
}

pub fn sink_plugin() -> ConnectorPlugin {
    ConnectorPlugin {
        class: "org.apache.kafka.connect.file.FileStreamSinkConnector",
        aliases: &["FileStreamSinkConnector", "FileStreamSink"],
        task_class: "org.apache.kafka.connect.file.FileStreamSinkTask",
        kind: ConnectorKind::Sink,
        version: env!("CARGO_PKG_VERSION"),
        create: || Box::new(FileStreamSinkConnector::default()),
    }
}
