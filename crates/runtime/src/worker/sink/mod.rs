//! Drives one sink task: consume (group `connect-NAME`) -> convert -> transform -> put ->
//! flush -> commit.
//!
//! Consumer offsets are committed only after the task's `pre_commit` (by default a flush)
//! succeeded, so a committed record has reached the external system; at a rebalance, what was
//! put is committed before partitions go to another member (see [`rebalance`]). The task is
//! also flushed, without a commit, whenever the stream goes idle, so its output does not wait
//! for the commit interval.

mod consumer;
mod rebalance;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferry_api::{ConnectRecord, Props, SinkRecord, SinkTask, SinkTaskContext, TopicPartition};
use ferry_transforms::TransformChain;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

use self::consumer::{consumer_props, Subscription};
use self::rebalance::{lock, Delivery, SinkConsumerContext};
use crate::config::connector::{transform_chain, TaskConverters};
use crate::config::worker::WorkerConfig;
use crate::errors::{
    failure, Consumed, ErrantReporter, ErrorPolicy, Failure, Original, RetryPolicy, Stage,
    TaskError,
};
use crate::kafka;
use crate::metrics::{registry, PartitionLag, TaskMetrics};
use crate::worker::task_control::TaskSignals;

/// Records handed to one `put` at most (Kafka's `max.poll.records` default).
const MAX_BATCH: usize = 500;
/// How long one poll waits for the first record of a batch.
const POLL_WAIT: Duration = Duration::from_millis(100);
/// The pause before records a task refused with a retriable error come again, doubling up to
/// the maximum (unless the task set its own through its context).
const RETRY_FIRST_DELAY: Duration = Duration::from_millis(100);
const RETRY_MAX_DELAY: Duration = Duration::from_secs(10);
const SEEK_TIMEOUT: Duration = Duration::from_secs(10);

pub struct SinkTaskSetup {
    pub connector: String,
    pub task_id: u32,
    pub task_props: Props,
    pub connector_props: Props,
    pub worker: Arc<WorkerConfig>,
    /// A Java task: it takes Kafka's bytes, the plugin host converting and transforming them.
    pub runs_in_java: bool,
}

/// What one round of polling read.
#[derive(Default)]
struct Batch {
    /// The records for `put`, converted and transformed.
    records: Vec<SinkRecord>,
    /// For each of `records`, the index in `read` of the message it came from (a transform may
    /// have given it another topic or partition).
    origins: Vec<usize>,
    /// Every message read — put, dropped by a transform or skipped under
    /// `errors.tolerance=all` — as topic, partition, offset: that is what is consumed.
    read: Vec<(String, i32, i64)>,
}

pub struct SinkTaskRunner {
    setup: SinkTaskSetup,
    /// The task and what it was given, shared with the rebalance hooks.
    delivery: Arc<tokio::sync::Mutex<Delivery>>,
    context: SinkTaskContext,
    converters: TaskConverters,
    /// The connector's transforms, applied between the converters and `put`.
    transforms: TransformChain,
    consumer: BaseConsumer<SinkConsumerContext>,
    signals: TaskSignals,
    /// Whether the worker paused the consumer's partitions.
    consumer_paused: bool,
    last_topic: String,
    errors: Arc<Mutex<ErrorPolicy>>,
    /// `errors.retry.*`, kept out of the lock: it is consulted for every record.
    retry: RetryPolicy,
    metrics: Arc<TaskMetrics>,
}

impl SinkTaskRunner {
    pub async fn new(
        setup: SinkTaskSetup,
        mut task: Box<dyn SinkTask>,
        signals: TaskSignals,
    ) -> Result<SinkTaskRunner, TaskError> {
        let (converters, transforms) = if setup.runs_in_java {
            (TaskConverters::bytes()?, TransformChain::default())
        } else {
            (
                TaskConverters::new(&setup.worker, &setup.connector_props)?,
                transform_chain(&setup.connector_props)?,
            )
        };
        let mut errors = ErrorPolicy::new(
            &setup.worker,
            &setup.connector,
            setup.task_id,
            &setup.connector_props,
        )
        .await?;
        let metrics = registry().task_started(&setup.connector, setup.task_id, true);
        errors.metrics = metrics.clone();
        let retry = errors.retry;
        let errors = Arc::new(Mutex::new(errors));
        let context = SinkTaskContext::new();
        let task_class = setup
            .task_props
            .get("task.class")
            .cloned()
            .unwrap_or_default();
        // A Java task's records are the consumed bytes: they go to the queue as they are.
        let errant_converters = if setup.runs_in_java {
            TaskConverters::bytes()?
        } else {
            TaskConverters::new(&setup.worker, &setup.connector_props)?
        };
        context.set_errant_record_reporter(Arc::new(ErrantReporter::new(
            errors.clone(),
            errant_converters,
            task_class,
        )));
        task.initialize(context.clone());
        let delivery = Arc::new(tokio::sync::Mutex::new(Delivery::new(task)));
        let props = consumer_props(
            &setup.worker,
            &setup.connector,
            &setup.connector_props,
            setup.task_id,
        );
        let hooks = SinkConsumerContext::new(
            delivery.clone(),
            errors.clone(),
            context.clone(),
            signals.paused.clone(),
        );
        let consumer = kafka::create_client("consumer", &props, hooks)
            .map_err(|e| TaskError::Kafka("cannot create the consumer".into(), e))?;
        Ok(SinkTaskRunner {
            setup,
            delivery,
            context,
            converters,
            transforms,
            consumer,
            signals,
            consumer_paused: false,
            last_topic: String::new(),
            errors,
            retry,
            metrics,
        })
    }

    pub async fn run(mut self, on_running: impl FnOnce()) -> Result<(), TaskError> {
        let subscription = Subscription::from_config(&self.setup.connector_props)?;
        self.delivery
            .lock()
            .await
            .task
            .start(&self.setup.task_props)
            .await?;
        match &subscription {
            Subscription::Topics(topics) => {
                let names: Vec<&str> = topics.iter().map(String::as_str).collect();
                self.consumer.subscribe(&names)
            }
            Subscription::Pattern(p) => self.consumer.subscribe(&[p.as_str()]),
        }
        .map_err(|e| TaskError::Kafka("cannot subscribe".into(), e))?;
        on_running();
        tracing::info!(group = %format!("connect-{}", self.setup.connector), "sink task started");
        let result = self.consume_until_stopped().await;
        // From here on the consumer's close revokes everything with nothing left to do.
        self.consumer.context().close();
        let committed = if result.is_ok() {
            self.commit(CommitMode::Sync).await
        } else {
            Ok(())
        };
        let mut delivery = self.delivery.lock().await;
        let closed = delivery.task.close(&self.context.assignment()).await;
        let stopped = delivery.task.stop().await;
        registry().task_stopped(&self.setup.connector, self.setup.task_id, &self.metrics);
        result?;
        committed?;
        closed?;
        stopped.map_err(TaskError::Connect)
    }

    async fn consume_until_stopped(&mut self) -> Result<(), TaskError> {
        let interval = self.setup.worker.offset_flush_interval();
        let mut next_commit = Instant::now() + interval;
        let mut retry_delay = RETRY_FIRST_DELAY;
        while !*self.signals.stop.borrow() {
            self.follow_pause()?;
            let commit_asked = self.follow_task_requests().await?;
            let batch = tokio::task::block_in_place(|| self.take_batch())?;
            // A rebalance during the poll may have taken partitions of records in the batch.
            let Batch { records, read, .. } = self.follow_rebalances(batch)?;
            TaskMetrics::add(&self.metrics.sink_record_read_total, read.len());
            if !records.is_empty() {
                // Where each partition of the poll starts, to read it again should `put` ask.
                let starts = read_starts(&read);
                let mut delivery = self.delivery.lock().await;
                let (count, putting) = (records.len(), Instant::now());
                match delivery.task.put(records).await {
                    Ok(()) => {
                        self.metrics.put_batch.record(putting.elapsed());
                        TaskMetrics::add(&self.metrics.sink_record_send_total, count);
                        retry_delay = RETRY_FIRST_DELAY;
                    }
                    Err(e) if e.is_retriable() => {
                        drop(delivery);
                        // As Kafka does: the same records come again, after a pause that grows
                        // up to a limit; nothing of them counts as consumed meanwhile.
                        let wait = self.context.retry_timeout().unwrap_or(retry_delay);
                        tracing::warn!(
                            retry_in_ms = wait.as_millis() as u64,
                            "the sink task asked for its records again: {}",
                            e.trace()
                        );
                        self.rewind(&starts)?;
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            _ = self.signals.stop.changed() => {}
                        }
                        retry_delay = (retry_delay * 2).min(RETRY_MAX_DELAY);
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
                delivery.consumed.extend(positions(&read));
                delivery.unflushed = true;
            } else if !read.is_empty() {
                // Everything read was dropped by the transforms or skipped: consumed all the same.
                self.delivery.lock().await.consumed.extend(positions(&read));
            } else {
                let mut delivery = self.delivery.lock().await;
                if delivery.unflushed {
                    // The stream is idle: flush now so the last records reach the output
                    // promptly rather than at the next commit. Committing stays on its interval.
                    delivery.flush().await?;
                }
            }
            if commit_asked || Instant::now() >= next_commit {
                self.commit(CommitMode::Async).await?;
                next_commit = Instant::now() + interval;
            }
        }
        Ok(())
    }

    /// Flushes what was put (through `pre_commit`) and commits its offsets.
    async fn commit(&mut self, mode: CommitMode) -> Result<(), TaskError> {
        let started = Instant::now();
        let mut delivery = self.delivery.lock().await;
        match delivery.prepare_commit(&self.errors).await? {
            Some(offsets) => {
                tokio::task::block_in_place(|| delivery.commit(&self.consumer, offsets, mode))?;
                self.metrics.offset_commit.record(started.elapsed());
            }
            None => TaskMetrics::add(&self.metrics.offset_commit_skip_total, 1),
        }
        drop(delivery);
        self.note_lag();
        Ok(())
    }

    /// Each assigned partition's lag (the end of the partition less the consumer's position),
    /// from what the consumer already knows: no request to the broker.
    fn note_lag(&self) {
        let Ok(positions) = self.consumer.position() else {
            return;
        };
        let mut lag = BTreeMap::new();
        for tp in positions.elements() {
            let (Some(position), Some(high)) = (
                tp.offset().to_raw(),
                kafka::cached_high_watermark(self.consumer.client(), tp.topic(), tp.partition()),
            ) else {
                continue;
            };
            if position >= 0 && high >= 0 {
                lag.insert(
                    (tp.topic().to_string(), tp.partition()),
                    PartitionLag {
                        position,
                        lag: (high - position).max(0),
                    },
                );
            }
        }
        *self
            .metrics
            .partition_lag
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = lag;
    }

    /// Acts on what rebalances did while the batch was read: fails the task if it failed in
    /// them; drops records of partitions taken away (the member that has them now, or this
    /// task if they came back, reads them again from the offset committed at the revocation).
    fn follow_rebalances(&mut self, mut batch: Batch) -> Result<Batch, TaskError> {
        if !self.consumer.context().has_news() {
            return Ok(batch);
        }
        let news = self.consumer.context().take_news();
        if let Some(failure) = news.failure {
            return Err(failure);
        }
        if !news.revoked.is_empty() {
            let revoked: BTreeSet<(&str, i32)> = news
                .revoked
                .iter()
                .map(|tp| (tp.topic.as_str(), tp.partition))
                .collect();
            let keep: Vec<bool> = batch
                .read
                .iter()
                .map(|(t, p, _)| !revoked.contains(&(t.as_str(), *p)))
                .collect();
            let records = std::mem::take(&mut batch.records);
            batch.records = records
                .into_iter()
                .zip(&batch.origins)
                .filter(|(_, origin)| keep[**origin])
                .map(|(record, _)| record)
                .collect();
            batch.read = std::mem::take(&mut batch.read)
                .into_iter()
                .zip(keep)
                .filter(|(_, kept)| *kept)
                .map(|(read, _)| read)
                .collect();
            batch.origins.clear();
        }
        Ok(batch)
    }

    /// Pauses or resumes fetching as the worker asks. A paused consumer stays in its group (polls
    /// go on, so rebalances are served) but gets no records. Partitions the task paused itself
    /// stay paused when the worker resumes.
    fn follow_pause(&mut self) -> Result<(), TaskError> {
        let paused = *self.signals.paused.borrow();
        if paused == self.consumer_paused {
            return Ok(());
        }
        let assignment = self.context.assignment();
        if paused {
            self.set_paused(&assignment, true)?;
            tracing::info!("sink task paused");
        } else {
            let paused_by_task = self.context.paused_by_task();
            let resumed: Vec<TopicPartition> = assignment
                .into_iter()
                .filter(|tp| !paused_by_task.contains(tp))
                .collect();
            self.set_paused(&resumed, false)?;
            tracing::info!("sink task resumed");
        }
        self.consumer_paused = paused;
        Ok(())
    }

    /// Does what the task asked through its context: rewinds, pauses, resumes; returns whether
    /// it asked for a commit.
    async fn follow_task_requests(&mut self) -> Result<bool, TaskError> {
        if !self.context.has_requests() {
            return Ok(false);
        }
        let requests = self.context.take_requests();
        for (tp, offset) in &requests.offsets {
            tokio::task::block_in_place(|| {
                self.consumer.seek(
                    &tp.topic,
                    tp.partition,
                    Offset::Offset(*offset),
                    SEEK_TIMEOUT,
                )
            })
            .map_err(|e| {
                TaskError::Kafka(
                    format!(
                        "cannot move {}-{} to offset {offset} as the task asked",
                        tp.topic, tp.partition
                    ),
                    e,
                )
            })?;
            tracing::info!(
                "the sink task moved {}-{} to offset {offset}",
                tp.topic,
                tp.partition
            );
        }
        if !requests.offsets.is_empty() {
            self.delivery.lock().await.consumed.extend(requests.offsets);
        }
        self.set_paused(&requests.pause, true)?;
        if !self.consumer_paused {
            self.set_paused(&requests.resume, false)?;
        }
        Ok(requests.commit)
    }

    fn set_paused(&self, partitions: &[TopicPartition], paused: bool) -> Result<(), TaskError> {
        let assigned: BTreeSet<TopicPartition> = self.context.assignment().into_iter().collect();
        let mut list = TopicPartitionList::new();
        for tp in partitions.iter().filter(|tp| assigned.contains(*tp)) {
            list.add_partition(&tp.topic, tp.partition);
        }
        if list.count() == 0 {
            return Ok(());
        }
        if paused {
            self.consumer
                .pause(&list)
                .map_err(|e| TaskError::Kafka("cannot pause the consumer".into(), e))
        } else {
            self.consumer
                .resume(&list)
                .map_err(|e| TaskError::Kafka("cannot resume the consumer".into(), e))
        }
    }

    /// Seeks each partition back to where the batch that `put` refused began.
    fn rewind(&mut self, starts: &[(String, i32, i64)]) -> Result<(), TaskError> {
        for (topic, partition, offset) in starts {
            tokio::task::block_in_place(|| {
                self.consumer
                    .seek(topic, *partition, Offset::Offset(*offset), SEEK_TIMEOUT)
            })
            .map_err(|e| TaskError::Kafka(format!("cannot read {topic}-{partition} again"), e))?;
        }
        Ok(())
    }

    /// Up to `MAX_BATCH` records, converted and transformed: waits briefly for the first, then
    /// takes what is already there. The whole batch is taken in one `block_in_place`: entering
    /// it once per record cost more than the records themselves.
    fn take_batch(&mut self) -> Result<Batch, TaskError> {
        let mut batch = Batch::default();
        let mut wait = POLL_WAIT;
        while batch.read.len() < MAX_BATCH {
            let polled = self.consumer.poll(wait);
            wait = Duration::ZERO;
            match polled {
                None => break,
                Some(Ok(message)) => {
                    batch.read.push((
                        message.topic().to_string(),
                        message.partition(),
                        message.offset(),
                    ));
                    let (converters, transforms) = (&self.converters, &mut self.transforms);
                    let passed = self.retry.run(&self.signals.stop, || {
                        convert(converters, &message).and_then(|r| transform(transforms, r))
                    });
                    let record = match passed {
                        Ok(Some(record)) => record,
                        Ok(None) => continue,
                        Err(failure) => {
                            let consumed = Consumed {
                                topic: message.topic(),
                                partition: message.partition(),
                                offset: message.offset(),
                                message: Original::Message(&message),
                            };
                            lock(&self.errors).sink_failure(failure, &consumed)?;
                            continue;
                        }
                    };
                    if record.topic != self.last_topic {
                        self.signals.topics.record(&record.topic);
                        self.last_topic.clone_from(&record.topic);
                    }
                    batch.origins.push(batch.read.len() - 1);
                    batch.records.push(record);
                }
                Some(Err(e)) => {
                    tracing::warn!("the consumer reported an error and keeps going: {e}");
                    break;
                }
            }
        }
        Ok(batch)
    }
}

/// The record in the Connect data model, or the stage that failed and why.
fn convert(c: &TaskConverters, message: &BorrowedMessage<'_>) -> Result<SinkRecord, Failure> {
    let topic = message.topic();
    // The failure is built only when there is one: no allocation per record.
    let key = c
        .key
        .to_connect(topic, message.key())
        .map_err(|e| failure(Stage::KeyConverter, &c.key_class, e))?;
    let value = c
        .value
        .to_connect(topic, message.payload())
        .map_err(|e| failure(Stage::ValueConverter, &c.value_class, e))?;
    let mut headers = Vec::new();
    if let Some(raw) = message.headers() {
        for h in raw.iter() {
            let converted = c
                .header
                .to_connect_header(topic, h.key, h.value)
                .map_err(|e| failure(Stage::HeaderConverter, &c.header_class, e))?;
            headers.push(ferry_api::Header {
                key: h.key.to_string(),
                schema: converted.schema,
                value: converted.value.unwrap_or(ferry_api::Value::Null),
            });
        }
    }
    Ok(SinkRecord {
        topic: topic.to_string(),
        kafka_partition: message.partition(),
        kafka_offset: message.offset(),
        key_schema: key.schema,
        key: key.value,
        value_schema: value.schema,
        value: value.value,
        timestamp: message.timestamp().to_millis(),
        headers,
    })
}

/// The connector's transforms on one record: `None` when one of them drops it.
fn transform(
    chain: &mut TransformChain,
    record: SinkRecord,
) -> Result<Option<SinkRecord>, Failure> {
    if chain.is_empty() {
        return Ok(Some(record));
    }
    chain
        .apply(ConnectRecord::Sink(record))
        .map(|kept| kept.and_then(ConnectRecord::into_sink))
        .map_err(Failure::from)
}

/// Per partition, the offset after the last record read in one poll: computed once per
/// partition and batch rather than once per record.
fn positions(read: &[(String, i32, i64)]) -> Vec<(TopicPartition, i64)> {
    let mut last: Vec<(&str, i32, i64)> = Vec::new();
    for (topic, partition, offset) in read.iter().rev() {
        match last
            .iter_mut()
            .find(|(t, p, _)| t == topic && p == partition)
        {
            Some(entry) => entry.2 = entry.2.max(*offset),
            None => last.push((topic, *partition, *offset)),
        }
    }
    last.into_iter()
        .map(|(topic, partition, offset)| {
            (
                TopicPartition {
                    topic: topic.to_string(),
                    partition,
                },
                offset + 1,
            )
        })
        .collect()
}

/// Per partition, the offset of the first record read in one poll.
fn read_starts(read: &[(String, i32, i64)]) -> Vec<(String, i32, i64)> {
    let mut starts: Vec<(String, i32, i64)> = Vec::new();
    for (topic, partition, offset) in read {
        match starts
            .iter_mut()
            .find(|(t, p, _)| t == topic && p == partition)
        {
            Some(entry) => entry.2 = entry.2.min(*offset),
            None => starts.push((topic.clone(), *partition, *offset)),
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(topic: &str, partition: i32) -> TopicPartition {
        TopicPartition {
            topic: topic.to_string(),
            partition,
        }
    }

    fn read(items: &[(&str, i32, i64)]) -> Vec<(String, i32, i64)> {
        items
            .iter()
            .map(|(t, p, o)| (t.to_string(), *p, *o))
            .collect()
    }

    #[test]
    fn a_poll_is_consumed_up_to_its_last_record_read() {
        let polled = read(&[
            ("a", 0, 5),
            ("b", 1, 7),
            ("a", 0, 6),
            ("a", 0, 8),
            ("c", 2, 3),
        ]);
        let mut got = positions(&polled);
        got.sort_by(|x, y| (&x.0.topic, x.0.partition).cmp(&(&y.0.topic, y.0.partition)));
        assert_eq!(got, vec![(tp("a", 0), 9), (tp("b", 1), 8), (tp("c", 2), 4)]);
    }

    #[test]
    fn a_refused_batch_is_read_again_from_its_first_record_per_partition() {
        let polled = read(&[("a", 0, 5), ("b", 1, 7), ("a", 0, 6)]);
        assert_eq!(
            read_starts(&polled),
            vec![("a".to_string(), 0, 5), ("b".to_string(), 1, 7)]
        );
    }
}
