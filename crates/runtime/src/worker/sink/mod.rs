//! Drives one sink task: consume (group `connect-NAME`) -> convert -> put -> flush -> commit.
//!
//! Consumer offsets are committed only after the task's `flush` succeeded, so a committed record
//! has reached the external system. The task is also flushed, without a commit, whenever the
//! stream goes idle, so its output does not wait for the commit interval.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferry_api::{ConnectError, ConnectRecord, Props, SinkRecord, SinkTask, TopicPartition};
use ferry_transforms::TransformChain;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

use crate::config::client_overrides;
use crate::config::connector::{transform_chain, TaskConverters, TOPICS, TOPICS_REGEX};
use crate::config::worker::WorkerConfig;
use crate::errors::TaskError;
use crate::errors::{failure, Consumed, ErrorPolicy, Failure, Stage};
use crate::kafka::{self, LoggingContext};
use crate::worker::task_control::TaskSignals;

/// Records handed to one `put` at most (Kafka's `max.poll.records` default).
const MAX_BATCH: usize = 500;
/// How long one poll waits for the first record of a batch.
const POLL_WAIT: Duration = Duration::from_millis(100);
/// The pause before records a task refused with a retriable error come again, doubling up to
/// the maximum.
const RETRY_FIRST_DELAY: Duration = Duration::from_millis(100);
const RETRY_MAX_DELAY: Duration = Duration::from_secs(10);
const SEEK_TIMEOUT: Duration = Duration::from_secs(10);

impl ConsumerContext for LoggingContext {}

pub struct SinkTaskSetup {
    pub connector: String,
    pub task_id: u32,
    pub task_props: Props,
    pub connector_props: Props,
    pub worker: Arc<WorkerConfig>,
}

/// What the consumer subscribes to: a list of topics or a pattern.
enum Subscription {
    Topics(Vec<String>),
    Pattern(String),
}

impl Subscription {
    fn from_config(props: &Props) -> Result<Subscription, ConnectError> {
        let regex = props
            .get(TOPICS_REGEX)
            .map(|r| r.trim())
            .filter(|r| !r.is_empty());
        if let Some(pattern) = regex {
            regex::Regex::new(pattern).map_err(|e| {
                ConnectError::Config(format!(
                    "topics.regex '{pattern}' is not a valid regular expression: {e}"
                ))
            })?;
            // librdkafka treats a subscription starting with '^' as a pattern; Kafka matches whole names.
            return Ok(Subscription::Pattern(format!("^({pattern})$")));
        }
        let topics: Vec<String> = props
            .get(TOPICS)
            .map(|t| {
                t.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if topics.is_empty() {
            return Err(ConnectError::Config(
                "Must configure one of topics or topics.regex".into(),
            ));
        }
        Ok(Subscription::Topics(topics))
    }
}

fn consumer_props(
    worker: &WorkerConfig,
    connector: &str,
    connector_props: &Props,
    task: u32,
) -> BTreeMap<String, String> {
    let mut props = BTreeMap::from([
        ("group.id".to_string(), format!("connect-{connector}")),
        ("enable.auto.commit".to_string(), "false".to_string()),
        ("auto.offset.reset".to_string(), "earliest".to_string()),
        (
            "client.id".to_string(),
            format!("connector-consumer-{connector}-{task}"),
        ),
        // librdkafka prefetches until 100,000 records wait locally, then holds fetching for a
        // second (`fetch.queue.backoff.ms`): a sink that is busier than a bare consumer sat
        // idle for most of that second. Fetch again as soon as there is room, and keep fewer
        // records waiting (a sink hands them on in batches anyway): 4x the throughput at half
        // the memory on a one-partition backlog. `consumer.*` keys still override both.
        ("fetch.queue.backoff.ms".to_string(), "10".to_string()),
        ("queued.min.messages".to_string(), "20000".to_string()),
    ]);
    props.extend(worker.client_props("consumer."));
    props.extend(client_overrides::overrides(connector_props, "consumer"));
    props
}

pub struct SinkTaskRunner {
    setup: SinkTaskSetup,
    task: Box<dyn SinkTask>,
    converters: TaskConverters,
    /// The connector's transforms, applied between the converters and `put`.
    transforms: TransformChain,
    consumer: BaseConsumer<LoggingContext>,
    /// Next offset to commit per partition: one past the last record handed to `put`.
    consumed: HashMap<TopicPartition, i64>,
    /// Whether records were put since the task's last flush.
    unflushed: bool,
    signals: TaskSignals,
    /// Whether the consumer's partitions are paused.
    consumer_paused: bool,
    last_topic: String,
    errors: ErrorPolicy,
}

impl SinkTaskRunner {
    pub async fn new(
        setup: SinkTaskSetup,
        task: Box<dyn SinkTask>,
        signals: TaskSignals,
    ) -> Result<SinkTaskRunner, TaskError> {
        let converters = TaskConverters::new(&setup.worker, &setup.connector_props)?;
        let transforms = transform_chain(&setup.connector_props)?;
        let errors = ErrorPolicy::new(
            &setup.worker,
            &setup.connector,
            setup.task_id,
            &setup.connector_props,
        )
        .await?;
        let props = consumer_props(
            &setup.worker,
            &setup.connector,
            &setup.connector_props,
            setup.task_id,
        );
        let consumer = kafka::create_client("consumer", &props, LoggingContext)
            .map_err(|e| TaskError::Kafka("cannot create the consumer".into(), e))?;
        Ok(SinkTaskRunner {
            setup,
            task,
            converters,
            transforms,
            consumer,
            consumed: HashMap::new(),
            unflushed: false,
            signals,
            consumer_paused: false,
            last_topic: String::new(),
            errors,
        })
    }

    pub async fn run(mut self, on_running: impl FnOnce()) -> Result<(), TaskError> {
        let subscription = Subscription::from_config(&self.setup.connector_props)?;
        match &subscription {
            Subscription::Topics(topics) => {
                let names: Vec<&str> = topics.iter().map(String::as_str).collect();
                self.consumer.subscribe(&names)
            }
            Subscription::Pattern(p) => self.consumer.subscribe(&[p.as_str()]),
        }
        .map_err(|e| TaskError::Kafka("cannot subscribe".into(), e))?;
        self.task.start(&self.setup.task_props).await?;
        on_running();
        tracing::info!(group = %format!("connect-{}", self.setup.connector), "sink task started");
        let result = self.consume_until_stopped().await;
        let committed = if result.is_ok() {
            self.flush_and_commit(CommitMode::Sync).await
        } else {
            Ok(())
        };
        let stopped = self.task.stop().await;
        result?;
        committed?;
        stopped.map_err(TaskError::Connect)
    }

    async fn consume_until_stopped(&mut self) -> Result<(), TaskError> {
        let interval = self.setup.worker.offset_flush_interval();
        let mut next_commit = Instant::now() + interval;
        let mut retry_delay = RETRY_FIRST_DELAY;
        while !*self.signals.stop.borrow() {
            self.follow_pause()?;
            let (batch, read) = tokio::task::block_in_place(|| self.take_batch())?;
            if !batch.is_empty() {
                // Where each partition of the poll starts, to read it again should `put` ask.
                let starts = read_starts(&read);
                let done = positions(&read);
                match self.task.put(batch).await {
                    Ok(()) => retry_delay = RETRY_FIRST_DELAY,
                    Err(e) if e.is_retriable() => {
                        // As Kafka does: the same records come again, after a pause that grows
                        // up to a limit; nothing of them counts as consumed meanwhile.
                        tracing::warn!(
                            retry_in_ms = retry_delay.as_millis() as u64,
                            "the sink task asked for its records again: {}",
                            e.trace()
                        );
                        self.rewind(&starts)?;
                        tokio::select! {
                            _ = tokio::time::sleep(retry_delay) => {}
                            _ = self.signals.stop.changed() => {}
                        }
                        retry_delay = (retry_delay * 2).min(RETRY_MAX_DELAY);
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
                self.note_consumed(done);
                self.unflushed = true;
            } else if !read.is_empty() {
                // Everything read was dropped by the transforms or skipped: consumed all the same.
                self.note_consumed(positions(&read));
            } else if self.unflushed {
                // The stream is idle: flush now so the last records reach the output promptly
                // rather than at the next commit. Committing stays on its interval.
                self.flush().await?;
            }
            if Instant::now() >= next_commit {
                self.flush_and_commit(CommitMode::Async).await?;
                next_commit = Instant::now() + interval;
            }
        }
        Ok(())
    }

    /// Pauses or resumes fetching as the worker asks. A paused consumer stays in its group (polls
    /// go on, so rebalances are served) but gets no records; newly assigned partitions are paused too.
    fn follow_pause(&mut self) -> Result<(), TaskError> {
        let paused = *self.signals.paused.borrow();
        if !paused && !self.consumer_paused {
            return Ok(());
        }
        let assignment = self
            .consumer
            .assignment()
            .map_err(|e| TaskError::Kafka("cannot read the assignment".into(), e))?;
        if paused {
            self.consumer
                .pause(&assignment)
                .map_err(|e| TaskError::Kafka("cannot pause the consumer".into(), e))?;
            if !self.consumer_paused {
                tracing::info!("sink task paused");
            }
        } else {
            self.consumer
                .resume(&assignment)
                .map_err(|e| TaskError::Kafka("cannot resume the consumer".into(), e))?;
            tracing::info!("sink task resumed");
        }
        self.consumer_paused = paused;
        Ok(())
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
    /// it once per record cost more than the records themselves. Also returns where every
    /// record read came from — put, dropped by a transform or skipped under
    /// `errors.tolerance=all` — as that is what is consumed, whatever topic a transform gave it.
    #[allow(clippy::type_complexity)]
    fn take_batch(&mut self) -> Result<(Vec<SinkRecord>, Vec<(String, i32, i64)>), TaskError> {
        let mut batch = Vec::new();
        let mut read = Vec::new();
        let mut wait = POLL_WAIT;
        while read.len() < MAX_BATCH {
            let polled = self.consumer.poll(wait);
            wait = Duration::ZERO;
            match polled {
                None => break,
                Some(Ok(message)) => {
                    read.push((
                        message.topic().to_string(),
                        message.partition(),
                        message.offset(),
                    ));
                    let record = match self
                        .convert(&message)
                        .and_then(|r| transform(&mut self.transforms, r))
                    {
                        Ok(Some(record)) => record,
                        Ok(None) => continue,
                        Err(failure) => {
                            let consumed = Consumed {
                                topic: message.topic(),
                                partition: message.partition(),
                                offset: message.offset(),
                                message: &message,
                            };
                            self.errors.sink_failure(failure, &consumed)?;
                            continue;
                        }
                    };
                    if record.topic != self.last_topic {
                        self.signals.topics.record(&record.topic);
                        self.last_topic.clone_from(&record.topic);
                    }
                    batch.push(record);
                }
                Some(Err(e)) => {
                    tracing::warn!("the consumer reported an error and keeps going: {e}");
                    break;
                }
            }
        }
        Ok((batch, read))
    }

    /// Remembers, per partition, the offset after the last record of a poll that was put or
    /// skipped (see `positions`).
    fn note_consumed(&mut self, positions: Vec<(TopicPartition, i64)>) {
        for (tp, next) in positions {
            self.consumed.insert(tp, next);
        }
    }

    /// The record in the Connect data model, or the stage that failed and why.
    fn convert(&self, message: &BorrowedMessage<'_>) -> Result<SinkRecord, Failure> {
        let topic = message.topic();
        // The failure is built only when there is one: no allocation per record.
        let c = &self.converters;
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

    /// Flushes the task with the offsets of everything put so far; returns them.
    async fn flush(&mut self) -> Result<Vec<(TopicPartition, i64)>, TaskError> {
        let offsets: Vec<(TopicPartition, i64)> = self
            .consumed
            .iter()
            .map(|(tp, o)| (tp.clone(), *o))
            .collect();
        self.task.flush(&offsets).await?;
        self.unflushed = false;
        Ok(offsets)
    }

    async fn flush_and_commit(&mut self, mode: CommitMode) -> Result<(), TaskError> {
        if self.consumed.is_empty() {
            return Ok(());
        }
        // Always flushed right before committing, even if an idle flush already covered these;
        // records skipped to the dead letter queue are acknowledged there first.
        let offsets = self.flush().await?;
        self.errors.flush()?;
        let mut list = TopicPartitionList::new();
        for (tp, offset) in &offsets {
            list.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*offset))
                .map_err(|e| TaskError::Kafka("bad offset".into(), e))?;
        }
        let committed = tokio::task::block_in_place(|| self.consumer.commit(&list, mode));
        match committed {
            Ok(()) => {
                self.consumed.clear();
                tracing::debug!(partitions = offsets.len(), "committed consumer offsets");
            }
            // A failed commit is retried at the next flush; the records may be delivered again.
            Err(e) => tracing::warn!("could not commit consumer offsets, will retry: {e}"),
        }
        Ok(())
    }
}

/// The connector's transforms on one record: `None` when one of them drops it.
fn transform(
    chain: &mut TransformChain,
    record: SinkRecord,
) -> Result<Option<SinkRecord>, Failure> {
    if chain.is_empty() {
        return Ok(Some(record));
    }
    match chain.apply(ConnectRecord::Sink(record)) {
        Ok(kept) => Ok(kept.and_then(ConnectRecord::into_sink)),
        Err(failed) => Err(Failure {
            stage: Stage::Transformation,
            class: failed.class.to_string(),
            error: failed.error,
        }),
    }
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
