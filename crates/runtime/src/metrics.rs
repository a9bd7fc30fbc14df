//! What tasks count as they move records, for `GET /metrics` (Kafka Connect's
//! `source-task-metrics`, `sink-task-metrics`, `task-error-metrics` and worker counts). Counting
//! is an atomic add per batch (per record where Kafka counts per record), never a lock on a
//! record's path; the registry's lock is taken when a task starts or stops and when scraped.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ferry_api::{OffsetMap, SnapshotProgress};

/// A sum and a count of durations, and the largest: an average and a maximum when read.
#[derive(Default)]
pub struct Timing {
    nanos: AtomicU64,
    count: AtomicU64,
    max_nanos: AtomicU64,
}

impl Timing {
    pub fn record(&self, took: Duration) {
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_add(nanos, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.max_nanos.fetch_max(nanos, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The average in milliseconds; `None` before the first.
    pub fn avg_ms(&self) -> Option<f64> {
        let count = self.count();
        (count > 0).then(|| self.nanos.load(Ordering::Relaxed) as f64 / count as f64 / 1e6)
    }

    pub fn max_ms(&self) -> Option<f64> {
        (self.count() > 0).then(|| self.max_nanos.load(Ordering::Relaxed) as f64 / 1e6)
    }
}

/// One task's counters.
#[derive(Default)]
pub struct TaskMetrics {
    /// Whether a sink task's (else a source task's).
    pub sink: bool,
    /// Source: records the task's `poll` returned.
    pub source_record_poll_total: AtomicU64,
    /// Source: records the broker acknowledged.
    pub source_record_write_total: AtomicU64,
    /// Source: records polled and not yet acknowledged, dropped or skipped (updated per batch).
    pub source_record_active_count: AtomicU64,
    /// Source: `poll` calls that returned records.
    pub poll_batch: Timing,
    /// Sink: records read from Kafka.
    pub sink_record_read_total: AtomicU64,
    /// Sink: records handed to `put` (after transforms).
    pub sink_record_send_total: AtomicU64,
    pub put_batch: Timing,
    /// Offset commits made (their duration) and those with nothing new to commit.
    pub offset_commit: Timing,
    pub offset_commit_skip_total: AtomicU64,
    /// Records a stage failed on (converter, transform, put), records skipped under
    /// `errors.tolerance=all`, and records written to the dead letter queue.
    pub total_record_errors: AtomicU64,
    pub total_records_skipped: AtomicU64,
    pub deadletterqueue_produce_total: AtomicU64,
    /// Sink: per partition, the consumer's position and the records between it and the end of
    /// the partition, as last seen (updated at each offset commit).
    pub partition_lag: Mutex<BTreeMap<(String, i32), PartitionLag>>,
    /// Source: per source partition (by its JSON text), the partition and the last offset
    /// committed for it by this run of the task (updated at each offset commit).
    pub source_offsets: Mutex<BTreeMap<String, (Arc<OffsetMap>, OffsetMap)>>,
    /// Source: the task's snapshot, when it takes one (the same handle the task reports to).
    pub snapshot: SnapshotProgress,
}

/// A sink partition's consumer position and lag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionLag {
    /// The offset of the next record the consumer reads.
    pub position: i64,
    /// Records after the position, up to the end of the partition.
    pub lag: i64,
}

impl TaskMetrics {
    pub fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Notes offsets just committed for source partitions.
    pub fn committed_source_offsets(&self, committed: &[(Arc<OffsetMap>, OffsetMap)]) {
        let mut offsets = self
            .source_offsets
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for (partition, offset) in committed {
            let key = serde_json::Value::Object((**partition).clone()).to_string();
            offsets.insert(key, (partition.clone(), offset.clone()));
        }
    }

    /// The last committed offset of each source partition, in the order of their JSON text.
    pub fn source_offsets(&self) -> Vec<(Arc<OffsetMap>, OffsetMap)> {
        self.source_offsets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    pub fn partition_lag(&self) -> BTreeMap<(String, i32), PartitionLag> {
        self.partition_lag
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Counts of the worker as a whole.
#[derive(Default)]
pub struct WorkerMetrics {
    pub connector_startup_success_total: AtomicU64,
    pub connector_startup_failure_total: AtomicU64,
    pub task_startup_success_total: AtomicU64,
    pub task_startup_failure_total: AtomicU64,
    /// Distributed: rebalances this worker took part in.
    pub rebalance_total: AtomicU64,
    /// Distributed: from starting to (re)join the group to the assignment being applied.
    pub rebalance_time: Timing,
    /// Distributed: whether a rebalance is under way.
    pub rebalancing: AtomicBool,
    /// Distributed: when the last rebalance completed, in milliseconds since the epoch (0: never).
    pub last_rebalance_ms: AtomicU64,
}

impl WorkerMetrics {
    /// A rebalance starts (a second call before it completes changes nothing).
    pub fn rebalance_started(&self) {
        self.rebalancing.store(true, Ordering::Relaxed);
    }

    /// A rebalance that took `took` completed.
    pub fn rebalance_completed(&self, took: Duration) {
        self.rebalance_time.record(took);
        self.rebalance_total.fetch_add(1, Ordering::Relaxed);
        self.rebalancing.store(false, Ordering::Relaxed);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self.last_rebalance_ms.store(now, Ordering::Relaxed);
    }
}

#[derive(Default)]
pub struct Metrics {
    tasks: Mutex<BTreeMap<(String, u32), Arc<TaskMetrics>>>,
    pub worker: WorkerMetrics,
}

impl Metrics {
    /// Fresh counters for a task that starts (a restarted task starts again from zero, as a
    /// Kafka task's metrics group is made anew).
    pub fn task_started(&self, connector: &str, task: u32, sink: bool) -> Arc<TaskMetrics> {
        let metrics = Arc::new(TaskMetrics {
            sink,
            ..TaskMetrics::default()
        });
        self.lock()
            .insert((connector.to_string(), task), metrics.clone());
        metrics
    }

    /// Forgets a task that stopped, unless another run of it registered since.
    pub fn task_stopped(&self, connector: &str, task: u32, metrics: &Arc<TaskMetrics>) {
        let mut tasks = self.lock();
        let key = (connector.to_string(), task);
        if tasks.get(&key).is_some_and(|m| Arc::ptr_eq(m, metrics)) {
            tasks.remove(&key);
        }
    }

    /// One running task's counters.
    pub fn task(&self, connector: &str, task: u32) -> Option<Arc<TaskMetrics>> {
        self.lock().get(&(connector.to_string(), task)).cloned()
    }

    /// Every running task's counters, by connector and task.
    pub fn tasks(&self) -> Vec<((String, u32), Arc<TaskMetrics>)> {
        self.lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, u32), Arc<TaskMetrics>>> {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The process's registry: one worker per process.
pub fn registry() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timings_average_and_keep_the_largest() {
        let t = Timing::default();
        assert_eq!(t.avg_ms(), None);
        t.record(Duration::from_millis(2));
        t.record(Duration::from_millis(4));
        assert_eq!(t.avg_ms(), Some(3.0));
        assert_eq!(t.max_ms(), Some(4.0));
        assert_eq!(t.count(), 2);
    }

    #[test]
    fn a_stopped_task_is_forgotten_but_not_its_successor() {
        let m = Metrics::default();
        let first = m.task_started("c", 0, false);
        let second = m.task_started("c", 0, false);
        m.task_stopped("c", 0, &first);
        assert_eq!(m.tasks().len(), 1);
        m.task_stopped("c", 0, &second);
        assert!(m.tasks().is_empty());
        assert!(m.task("c", 0).is_none());
    }

    #[test]
    fn the_last_committed_offset_of_each_source_partition_is_kept() {
        let t = TaskMetrics::default();
        let map = |k: &str, v: u64| {
            let mut m = OffsetMap::new();
            m.insert(k.into(), v.into());
            m
        };
        let a = Arc::new(map("file", 1));
        let b = Arc::new(map("file", 2));
        t.committed_source_offsets(&[(a.clone(), map("position", 10)), (b, map("position", 5))]);
        t.committed_source_offsets(&[(a, map("position", 30))]);
        let offsets = t.source_offsets();
        assert_eq!(offsets.len(), 2);
        assert_eq!(offsets[0].1, map("position", 30));
        assert_eq!(offsets[1].1, map("position", 5));
    }
}
