//! Connectors and tasks.
//!
//! A connector turns its configuration into task configurations; tasks move the data. Connectors
//! are plain synchronous objects (they only shuffle configuration); tasks are async and run as
//! their own tokio task inside the worker.

use std::sync::Arc;

use async_trait::async_trait;

use crate::config::{ConfigDef, ConfigProblem};
use crate::context::{ConnectorContext, SinkTaskContext};
use crate::error::Result;
use crate::progress::SnapshotProgress;
use crate::record::{OffsetMap, SinkRecord, SourceRecord, TopicPartition};
use crate::Props;

/// Whether a connector reads into Kafka or writes out of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorKind {
    Source,
    Sink,
}

impl ConnectorKind {
    /// The lower-case name the REST API uses (`"source"`, `"sink"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorKind::Source => "source",
            ConnectorKind::Sink => "sink",
        }
    }
}

/// A connector instance: validates and splits its configuration into task configurations.
pub trait Connector: Send + Sync {
    /// Called once before `start` with the connector's handle on the runtime, to keep if it
    /// may later ask for new task configurations or fail on its own.
    fn initialize(&mut self, context: ConnectorContext) {
        let _ = context;
    }
    fn kind(&self) -> ConnectorKind;
    fn version(&self) -> String;
    /// The keys this connector understands, beyond the common connector keys.
    fn config_def(&self) -> ConfigDef;
    fn start(&mut self, props: &Props) -> Result<()>;
    /// Checks a configuration beyond its keys' definitions — by reaching the external system,
    /// say — as Kafka's `Connector.validate` may: the problems found, each on its key. Called by
    /// `PUT /connector-plugins/{plugin}/config/validate` once every key parses.
    fn validate(&self, props: &Props) -> Vec<ConfigProblem> {
        let _ = props;
        Vec::new()
    }
    /// Problems of a configuration that the keys' own definitions cannot see (keys that
    /// contradict each other), found without reaching any external system: a create or update
    /// with any is refused (400), as Kafka refuses what `Connector.validate` reports. Called once
    /// every key parses; values may still hold config-provider placeholders (`${file:...}`).
    fn check_config(&self, props: &Props) -> Vec<ConfigProblem> {
        let _ = props;
        Vec::new()
    }
    /// At most `max_tasks` task configurations.
    fn task_configs(&self, max_tasks: usize) -> Result<Vec<Props>>;
    fn stop(&mut self) -> Result<()>;
    /// A new, unstarted task of this connector.
    fn create_task(&self) -> Task;
    /// [`create_task`](Connector::create_task) for task `task_id` of the connector configured
    /// by `connector_config` (placeholders resolved): for tasks that need their connector's
    /// configuration beside their own, as Java tasks do for their converters and transforms.
    fn create_task_for(&self, connector_config: &Props, task_id: u32) -> Task {
        let _ = (connector_config, task_id);
        self.create_task()
    }

    /// Checks offsets a user alters or resets over REST (KIP-875) while the connector is stopped,
    /// given as (partition, offset) pairs, `None` resetting a partition; an error refuses the
    /// whole request with its message. Returns whether the connector is done with them: `false`
    /// (Kafka's default) tells the user that offsets the connector may keep outside Kafka were
    /// not changed.
    fn alter_offsets(
        &self,
        config: &Props,
        offsets: &[(OffsetMap, Option<OffsetMap>)],
    ) -> Result<bool> {
        let _ = (config, offsets);
        Ok(false)
    }
}

/// A task instance, of the connector's kind.
pub enum Task {
    Source(Box<dyn SourceTask>),
    Sink(Box<dyn SinkTask>),
}

/// Reads the offsets the runtime has committed for a source partition.
pub trait OffsetReader: Send + Sync {
    fn offset(&self, partition: &OffsetMap) -> Option<OffsetMap>;
}

/// What the runtime hands a source task at start.
#[derive(Clone)]
pub struct SourceTaskContext {
    pub offsets: Arc<dyn OffsetReader>,
    /// Where a task that takes a snapshot (a CDC connector's initial read) reports its progress,
    /// shown by the status API (`?progress=true`) and `/metrics`.
    pub snapshot: SnapshotProgress,
}

/// Reads records from an external system.
#[async_trait]
pub trait SourceTask: Send {
    async fn start(&mut self, props: &Props, context: SourceTaskContext) -> Result<()>;
    /// The next batch of records. When nothing is available it waits a little (at most about a
    /// second) and returns an empty batch, so that the runtime can act on pause and stop requests.
    async fn poll(&mut self) -> Result<Vec<SourceRecord>>;
    /// [`poll`](SourceTask::poll) into a batch the caller keeps (empty on entry), so that one
    /// allocation serves every batch. A task that builds its batches itself implements this and
    /// has `poll` call it; a wrapper around another task should forward it.
    async fn poll_into(&mut self, records: &mut Vec<SourceRecord>) -> Result<()> {
        let polled = self.poll().await?;
        if records.is_empty() {
            *records = polled;
        } else {
            records.extend(polled);
        }
        Ok(())
    }
    /// Called after offsets up to some point have been committed.
    async fn commit(&mut self) -> Result<()> {
        Ok(())
    }
    async fn stop(&mut self) -> Result<()>;
}

/// Writes records to an external system.
///
/// The runtime calls, in order: `initialize`, `start`, then `open` with the partitions the task
/// is given, `put` with batches of their records, `pre_commit` before each offset commit,
/// `close` with partitions taken away at a rebalance (after committing what was flushed), and
/// `close` and `stop` at the end.
#[async_trait]
pub trait SinkTask: Send {
    /// Called once before `start` with the task's handle on its consumer, to keep if it wants
    /// to rewind, pause or resume partitions or ask for a commit.
    fn initialize(&mut self, context: SinkTaskContext) {
        let _ = context;
    }
    async fn start(&mut self, props: &Props) -> Result<()>;
    /// These partitions are now the task's: records of theirs follow.
    async fn open(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        let _ = partitions;
        Ok(())
    }
    async fn put(&mut self, records: Vec<SinkRecord>) -> Result<()>;
    /// Make everything `put` so far durable. The runtime calls it when the stream goes idle and
    /// (through `pre_commit`) before each offset commit.
    async fn flush(&mut self, offsets: &[(TopicPartition, i64)]) -> Result<()>;
    /// Before offsets are committed to Kafka: given the offsets after everything `put`, returns
    /// those that are safe to commit. By default it flushes and returns them all; a task that
    /// writes asynchronously may return less (or nothing) to commit later.
    async fn pre_commit(
        &mut self,
        offsets: &[(TopicPartition, i64)],
    ) -> Result<Vec<(TopicPartition, i64)>> {
        self.flush(offsets).await?;
        Ok(offsets.to_vec())
    }
    /// These partitions are no longer the task's (a rebalance, or the task stops); what was
    /// committed for them is final. Drop any state kept for them.
    async fn close(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        let _ = partitions;
        Ok(())
    }
    async fn stop(&mut self) -> Result<()>;
}

/// How the worker finds and creates a connector: its Java class name, the shorter names users
/// write, and a constructor.
#[derive(Clone)]
pub struct ConnectorPlugin {
    /// The full Java class name, e.g. `org.apache.kafka.connect.file.FileStreamSourceConnector`.
    pub class: &'static str,
    /// Other accepted names: the simple class name and the alias (`FileStreamSource`).
    pub aliases: &'static [&'static str],
    /// The Java class of its tasks, written as `task.class` in every task configuration as Kafka
    /// does: a Java worker of the same cluster needs it to run a task ferry configured.
    pub task_class: &'static str,
    pub kind: ConnectorKind,
    pub version: &'static str,
    pub create: Arc<dyn Fn() -> Box<dyn Connector> + Send + Sync>,
    /// A Java plugin run by the plugin host: its tasks hand over and take records as Kafka's
    /// bytes, the host running the connector's converters and transforms.
    pub runs_in_java: bool,
}

impl ConnectorPlugin {
    /// A connector built into ferry.
    pub fn builtin(
        class: &'static str,
        aliases: &'static [&'static str],
        task_class: &'static str,
        kind: ConnectorKind,
        version: &'static str,
        create: fn() -> Box<dyn Connector>,
    ) -> ConnectorPlugin {
        ConnectorPlugin {
            class,
            aliases,
            task_class,
            kind,
            version,
            create: Arc::new(create),
            runs_in_java: false,
        }
    }

    /// A new, unstarted instance.
    pub fn create(&self) -> Box<dyn Connector> {
        (self.create)()
    }

    /// Whether `name` is this plugin's class, simple class name or alias.
    pub fn answers_to(&self, name: &str) -> bool {
        self.class == name || self.aliases.contains(&name)
    }
}
