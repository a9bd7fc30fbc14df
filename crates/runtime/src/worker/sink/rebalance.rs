//! A sink task's part in its consumer group's rebalances, as Kafka's `WorkerSinkTask` plays it.
//!
//! Before partitions are taken away, everything put so far is flushed (`pre_commit`) and its
//! offsets committed, then the task closes them: the member that gets them next starts after the
//! last record this task wrote, so nothing it flushed is delivered twice. Newly given
//! partitions are opened before any record of theirs is put.
//!
//! librdkafka calls these hooks from inside `poll`, which the task loop runs in
//! `block_in_place`; the task is async, so the hooks wait for it on the runtime's handle. The
//! state they share with the loop sits behind a lock the loop never holds while it polls.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use ferry_api::{SinkTask, SinkTaskContext, TopicPartition};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use crate::errors::{ErrorPolicy, TaskError};
use crate::kafka::{log_librdkafka, log_librdkafka_error};

/// What the task loop and the rebalance hooks both act on.
pub(super) struct Delivery {
    pub task: Box<dyn SinkTask>,
    /// Per partition, the offset after the last record put, dropped or skipped (Kafka's
    /// `currentOffsets`).
    pub consumed: HashMap<TopicPartition, i64>,
    /// What was last committed per partition, to skip commits that would change nothing.
    committed: HashMap<TopicPartition, i64>,
    /// Whether records were put since the task's last flush.
    pub unflushed: bool,
}

impl Delivery {
    pub fn new(task: Box<dyn SinkTask>) -> Delivery {
        Delivery {
            task,
            consumed: HashMap::new(),
            committed: HashMap::new(),
            unflushed: false,
        }
    }

    /// Flushes the task with the offsets of everything put so far.
    pub async fn flush(&mut self) -> Result<(), TaskError> {
        let offsets: Vec<(TopicPartition, i64)> = self
            .consumed
            .iter()
            .map(|(tp, o)| (tp.clone(), *o))
            .collect();
        self.task.flush(&offsets).await?;
        self.unflushed = false;
        Ok(())
    }

    /// Asks the task what may be committed (by default it flushes everything put) and makes
    /// sure records skipped to the dead letter queue are there first. `None` when nothing
    /// changed since the last commit.
    pub async fn prepare_commit(
        &mut self,
        errors: &Mutex<ErrorPolicy>,
    ) -> Result<Option<Vec<(TopicPartition, i64)>>, TaskError> {
        if self.consumed.is_empty() {
            return Ok(None);
        }
        let offsets: Vec<(TopicPartition, i64)> = self
            .consumed
            .iter()
            .map(|(tp, o)| (tp.clone(), *o))
            .collect();
        let ready = self.task.pre_commit(&offsets).await?;
        self.unflushed = false;
        lock(errors).flush()?;
        let changed: Vec<(TopicPartition, i64)> = ready
            .into_iter()
            .filter(|(tp, offset)| self.committed.get(tp) != Some(offset))
            .collect();
        Ok((!changed.is_empty()).then_some(changed))
    }

    /// Commits offsets prepared by [`prepare_commit`](Self::prepare_commit). A failed commit
    /// is retried at the next one; its records may then be delivered again.
    pub fn commit<C: ConsumerContext>(
        &mut self,
        consumer: &BaseConsumer<C>,
        offsets: Vec<(TopicPartition, i64)>,
        mode: CommitMode,
    ) -> Result<(), TaskError> {
        let mut list = TopicPartitionList::new();
        for (tp, offset) in &offsets {
            list.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*offset))
                .map_err(|e| TaskError::Kafka("bad offset".into(), e))?;
        }
        match consumer.commit(&list, mode) {
            Ok(()) => {
                tracing::debug!(partitions = offsets.len(), "committed consumer offsets");
                self.committed.extend(offsets);
            }
            Err(e) => tracing::warn!("could not commit consumer offsets, will retry: {e}"),
        }
        Ok(())
    }

    /// Forgets partitions this task no longer has.
    fn forget(&mut self, partitions: &[TopicPartition]) {
        for tp in partitions {
            self.consumed.remove(tp);
            self.committed.remove(tp);
        }
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What happened in rebalances since the loop last looked.
#[derive(Default)]
pub(super) struct RebalanceNews {
    /// Partitions taken away: records of theirs the loop still holds must not be put.
    pub revoked: Vec<TopicPartition>,
    /// The task failed in `pre_commit`, `open` or `close`.
    pub failure: Option<TaskError>,
}

/// The consumer's context: librdkafka's logs, and the rebalance hooks. Clones share one state.
#[derive(Clone)]
pub(super) struct SinkConsumerContext {
    delivery: Arc<tokio::sync::Mutex<Delivery>>,
    errors: Arc<Mutex<ErrorPolicy>>,
    context: SinkTaskContext,
    /// Whether the worker has the task paused.
    paused: tokio::sync::watch::Receiver<bool>,
    handle: tokio::runtime::Handle,
    /// Set once the task loop is over: closing the consumer revokes everything, and the task
    /// has already committed and closed.
    closing: Arc<AtomicBool>,
    /// Whether `news` holds anything (read once per record polled, so kept cheap).
    pending: Arc<AtomicBool>,
    news: Arc<Mutex<RebalanceNews>>,
}

impl SinkConsumerContext {
    pub fn new(
        delivery: Arc<tokio::sync::Mutex<Delivery>>,
        errors: Arc<Mutex<ErrorPolicy>>,
        context: SinkTaskContext,
        paused: tokio::sync::watch::Receiver<bool>,
    ) -> SinkConsumerContext {
        SinkConsumerContext {
            delivery,
            errors,
            context,
            paused,
            handle: tokio::runtime::Handle::current(),
            closing: Arc::new(AtomicBool::new(false)),
            pending: Arc::new(AtomicBool::new(false)),
            news: Arc::new(Mutex::new(RebalanceNews::default())),
        }
    }

    pub fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
    }

    /// Whether a rebalance happened since [`take_news`](Self::take_news) was last called.
    pub fn has_news(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    pub fn take_news(&self) -> RebalanceNews {
        self.pending.store(false, Ordering::Release);
        std::mem::take(&mut *lock(&self.news))
    }

    fn tell(&self, update: impl FnOnce(&mut RebalanceNews)) {
        update(&mut lock(&self.news));
        self.pending.store(true, Ordering::Release);
    }

    /// Runs the task's side of a rebalance to its end, from inside librdkafka's callback.
    fn wait_for<T>(&self, work: impl std::future::Future<Output = T>) -> T {
        tokio::task::block_in_place(|| self.handle.block_on(work))
    }

    fn on_revoke(&self, consumer: &BaseConsumer<Self>, partitions: Vec<TopicPartition>) {
        let result = self.wait_for(async {
            let mut delivery = self.delivery.lock().await;
            if let Some(offsets) = delivery.prepare_commit(&self.errors).await? {
                delivery.commit(consumer, offsets, CommitMode::Sync)?;
            }
            delivery.task.close(&partitions).await?;
            delivery.forget(&partitions);
            Ok::<(), TaskError>(())
        });
        self.context.revoked(&partitions);
        tracing::info!(
            partitions = %names(&partitions),
            "partitions taken away by a rebalance of the consumer group; what was put is flushed and committed"
        );
        self.tell(|news| {
            news.revoked.extend(partitions);
            if let Err(e) = result {
                news.failure.get_or_insert(e);
            }
        });
    }

    fn on_assign(&self, consumer: &BaseConsumer<Self>, partitions: Vec<TopicPartition>) {
        let opened = self.wait_for(async {
            let mut delivery = self.delivery.lock().await;
            delivery.task.open(&partitions).await
        });
        self.context.assigned(&partitions);
        tracing::info!(partitions = %names(&partitions), "partitions given by a rebalance of the consumer group");
        // Before any record of theirs is fetched: all of them while the worker has the task
        // paused, else those the task paused itself.
        let worker_paused = *self.paused.borrow();
        let paused_by_task = self.context.paused_by_task();
        let mut to_pause = TopicPartitionList::new();
        for tp in &partitions {
            if worker_paused || paused_by_task.contains(tp) {
                to_pause.add_partition(&tp.topic, tp.partition);
            }
        }
        let paused = if to_pause.count() > 0 {
            consumer
                .pause(&to_pause)
                .map_err(|e| TaskError::Kafka("cannot pause newly given partitions".into(), e))
        } else {
            Ok(())
        };
        self.tell(|news| {
            if let Err(e) = opened {
                news.failure.get_or_insert(e.into());
            }
            if let Err(e) = paused {
                news.failure.get_or_insert(e);
            }
        });
    }
}

fn partitions_of(list: &TopicPartitionList) -> Vec<TopicPartition> {
    list.elements()
        .iter()
        .map(|e| TopicPartition {
            topic: e.topic().to_string(),
            partition: e.partition(),
        })
        .collect()
}

fn names(partitions: &[TopicPartition]) -> String {
    let names: Vec<String> = partitions
        .iter()
        .map(|tp| format!("{}-{}", tp.topic, tp.partition))
        .collect();
    names.join(", ")
}

impl ClientContext for SinkConsumerContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        log_librdkafka(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        log_librdkafka_error(&error, reason);
    }
}

impl ConsumerContext for SinkConsumerContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if self.closing.load(Ordering::SeqCst) {
            return;
        }
        if let Rebalance::Revoke(list) = rebalance {
            let partitions = partitions_of(list);
            if !partitions.is_empty() {
                self.on_revoke(consumer, partitions);
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if self.closing.load(Ordering::SeqCst) {
            return;
        }
        if let Rebalance::Assign(list) = rebalance {
            let partitions = partitions_of(list);
            if !partitions.is_empty() {
                self.on_assign(consumer, partitions);
            }
        }
    }
}
