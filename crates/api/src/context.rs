//! What the runtime lets a task or connector ask of it while it runs (Kafka's `SinkTaskContext`
//! and `ConnectorContext`).
//!
//! Both are cheap handles that a task or connector keeps; the runtime acts on what was asked at
//! its next step (a sink task's requests before its next poll), never in the middle of a call.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use crate::error::ConnectError;
use crate::error::Result;
use crate::record::{SinkRecord, TopicPartition};

/// What a sink task asked for and the runtime has not yet done.
#[derive(Debug, Default)]
pub struct SinkRequests {
    /// Offsets to consume next, per partition (`offset`); kept until the partition is assigned.
    pub offsets: BTreeMap<TopicPartition, i64>,
    /// Partitions to stop fetching from, and to fetch from again.
    pub pause: Vec<TopicPartition>,
    pub resume: Vec<TopicPartition>,
    /// Flush and commit as soon as possible rather than at the next interval.
    pub commit: bool,
}

#[derive(Debug, Default)]
struct SinkState {
    assignment: BTreeSet<TopicPartition>,
    /// Partitions the task paused itself; they stay paused when the connector is resumed.
    paused: BTreeSet<TopicPartition>,
    requests: SinkRequests,
    /// How long to wait before records refused with a retriable error come again.
    retry_timeout: Option<Duration>,
}

/// Reports a record a sink task cannot write (Kafka's `ErrantRecordReporter`): under
/// `errors.tolerance=all` the record is logged as asked and sent to the dead letter queue, if
/// there is one, and the task goes on; under `none` the call fails, and the task with it.
pub trait ErrantRecordReporter: Send + Sync + std::fmt::Debug {
    fn report(&self, record: &SinkRecord, error: ConnectError) -> Result<()>;

    /// As `report`, for a record that failed before `put`, in a converter or transform the task
    /// runs itself (a Java task's, in the plugin host): `stage` is Kafka's name for where
    /// (`VALUE_CONVERTER`, `TRANSFORMATION`, ...) and `class` the class that failed, as the dead
    /// letter queue's headers name them.
    fn report_at(
        &self,
        record: &SinkRecord,
        error: ConnectError,
        stage: &str,
        class: &str,
    ) -> Result<()> {
        let _ = (stage, class);
        self.report(record, error)
    }
}

/// A sink task's view of its consumer: which partitions it has, and requests to rewind, pause,
/// resume or commit. Cloned handles share one state.
#[derive(Debug, Clone, Default)]
pub struct SinkTaskContext {
    state: Arc<Mutex<SinkState>>,
    reporter: Arc<OnceLock<Arc<dyn ErrantRecordReporter>>>,
}

impl SinkTaskContext {
    pub fn new() -> SinkTaskContext {
        SinkTaskContext::default()
    }

    fn state(&self) -> MutexGuard<'_, SinkState> {
        // A panic elsewhere while holding the lock leaves plain data behind; keep using it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The partitions assigned to this task now.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.state().assignment.iter().cloned().collect()
    }

    /// Consume `partition` from `offset` next (e.g. to resume from offsets the task keeps in
    /// the external system). Takes effect before the next `put`, or when the partition is
    /// assigned.
    pub fn offset(&self, partition: TopicPartition, offset: i64) {
        self.state().requests.offsets.insert(partition, offset);
    }

    /// [`offset`](Self::offset) for several partitions.
    pub fn offsets(&self, offsets: impl IntoIterator<Item = (TopicPartition, i64)>) {
        self.state().requests.offsets.extend(offsets);
    }

    /// After a retriable error from `put`, wait this long before the records come again.
    pub fn timeout(&self, timeout: Duration) {
        self.state().retry_timeout = Some(timeout);
    }

    /// Stop fetching from these partitions until [`resume`](Self::resume).
    pub fn pause(&self, partitions: &[TopicPartition]) {
        let mut state = self.state();
        state.paused.extend(partitions.iter().cloned());
        state.requests.pause.extend_from_slice(partitions);
    }

    pub fn resume(&self, partitions: &[TopicPartition]) {
        let mut state = self.state();
        for p in partitions {
            state.paused.remove(p);
        }
        state.requests.resume.extend_from_slice(partitions);
    }

    /// Ask for a flush and an offset commit as soon as possible.
    pub fn request_commit(&self) {
        self.state().requests.commit = true;
    }

    /// Where to report records that cannot be written; `None` outside a worker.
    pub fn errant_record_reporter(&self) -> Option<Arc<dyn ErrantRecordReporter>> {
        self.reporter.get().cloned()
    }

    // What follows is the runtime's side.

    /// The requests made since the last call, leaving offsets of partitions not assigned
    /// for when they are.
    pub fn take_requests(&self) -> SinkRequests {
        let mut state = self.state();
        let assignment = state.assignment.clone();
        let mut taken = std::mem::take(&mut state.requests);
        let (now, later): (BTreeMap<_, _>, BTreeMap<_, _>) = std::mem::take(&mut taken.offsets)
            .into_iter()
            .partition(|(tp, _)| assignment.contains(tp));
        taken.offsets = now;
        state.requests.offsets = later;
        taken
    }

    /// Whether anything waits to be done (cheap: called once per poll).
    pub fn has_requests(&self) -> bool {
        let state = self.state();
        let r = &state.requests;
        r.commit
            || !r.pause.is_empty()
            || !r.resume.is_empty()
            || r.offsets.keys().any(|tp| state.assignment.contains(tp))
    }

    /// The partitions the task itself paused.
    pub fn paused_by_task(&self) -> BTreeSet<TopicPartition> {
        self.state().paused.clone()
    }

    pub fn retry_timeout(&self) -> Option<Duration> {
        self.state().retry_timeout
    }

    /// Sets the reporter [`errant_record_reporter`](Self::errant_record_reporter) hands out
    /// (once; later calls are ignored).
    pub fn set_errant_record_reporter(&self, reporter: Arc<dyn ErrantRecordReporter>) {
        let _ = self.reporter.set(reporter);
    }

    pub fn assigned(&self, partitions: &[TopicPartition]) {
        self.state().assignment.extend(partitions.iter().cloned());
    }

    pub fn revoked(&self, partitions: &[TopicPartition]) {
        let mut state = self.state();
        for p in partitions {
            state.assignment.remove(p);
        }
    }
}

/// What a connector can ask of the runtime (Kafka's `ConnectorContext`).
pub trait ConnectorRequests: Send + Sync {
    /// The connector's view of its source changed (e.g. tables appeared): ask it for task
    /// configurations again and restart the tasks if they differ.
    fn request_task_reconfiguration(&self);
    /// The connector cannot go on: it becomes FAILED with this error as its trace.
    fn raise_error(&self, error: ConnectError);
}

/// A connector's handle on the runtime, given to [`Connector::initialize`](crate::Connector::initialize).
#[derive(Clone)]
pub struct ConnectorContext {
    requests: Arc<dyn ConnectorRequests>,
}

impl ConnectorContext {
    pub fn new(requests: Arc<dyn ConnectorRequests>) -> ConnectorContext {
        ConnectorContext { requests }
    }

    pub fn request_task_reconfiguration(&self) {
        self.requests.request_task_reconfiguration();
    }

    pub fn raise_error(&self, error: ConnectError) {
        self.requests.raise_error(error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: i32) -> TopicPartition {
        TopicPartition {
            topic: "t".into(),
            partition: p,
        }
    }

    #[test]
    fn offsets_of_partitions_not_yet_assigned_wait_for_them() {
        let context = SinkTaskContext::new();
        context.assigned(&[tp(0)]);
        context.offset(tp(0), 5);
        context.offset(tp(1), 7);
        let now = context.take_requests();
        assert_eq!(now.offsets, BTreeMap::from([(tp(0), 5)]));
        assert!(!context.has_requests());
        context.assigned(&[tp(1)]);
        assert!(context.has_requests());
        assert_eq!(
            context.take_requests().offsets,
            BTreeMap::from([(tp(1), 7)])
        );
    }

    #[test]
    fn partitions_paused_by_the_task_are_remembered_until_resumed() {
        let context = SinkTaskContext::new();
        context.pause(&[tp(0), tp(1)]);
        context.resume(&[tp(1)]);
        assert_eq!(context.paused_by_task(), BTreeSet::from([tp(0)]));
        let taken = context.take_requests();
        assert_eq!(taken.pause, vec![tp(0), tp(1)]);
        assert_eq!(taken.resume, vec![tp(1)]);
        assert!(!context.has_requests());
    }
}
