//! The plugin API of ferry: what a connector, converter or transform author sees.
//!
//! Mirrors Apache Kafka's `connect/api` module and stays free of runtime types.

mod calendar;
pub mod config;
pub mod connector;
pub mod context;
pub mod data;
pub mod dateformat;
mod dateparse;
pub mod error;
pub mod logical;
pub mod progress;
pub mod record;
pub mod storage;
pub mod text;
pub mod transform;
pub mod values;

pub use config::{ConfigDef, ConfigKey, ConfigType, Importance, ParsedConfig};
pub use connector::{
    Connector, ConnectorKind, ConnectorPlugin, OffsetReader, SinkTask, SourceTask,
    SourceTaskContext, Task,
};
pub use context::{
    ConnectorContext, ConnectorRequests, ErrantRecordReporter, SinkRequests, SinkTaskContext,
};
pub use data::{Field, Schema, SchemaBuilder, SchemaType, Struct, Value};
pub use error::{ConnectError, Result};
pub use logical::{Date, Decimal, LogicalType, Time, Timestamp};
pub use progress::{SnapshotProgress, SnapshotReport, SnapshotState, TableProgress};
pub use record::{Header, OffsetMap, SinkRecord, SourceRecord, TopicPartition};
pub use storage::{Converter, HeaderConverter, SchemaAndValue};
pub use transform::{
    ConnectRecord, Predicate, PredicatePlugin, RecordParts, Transformation, TransformationPlugin,
};

/// A connector or task configuration: string keys to string values, as Kafka Connect passes them.
pub type Props = std::collections::BTreeMap<String, String>;
