//! Drives one source task: poll -> convert -> produce -> (broker ack) -> commit offsets.
//!
//! Offsets are committed only for records the broker acknowledged, per source partition, every
//! `offset.flush.interval.ms` and once more at shutdown. The periodic commits run beside the
//! task loop (at most one at a time), so polling never waits for the offset store's fsync and a
//! commit is not held back by a poll that waits for data.

pub mod submitted;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferry_api::{ConnectError, ConnectRecord, Props, SourceRecord, SourceTask, SourceTaskContext};
use ferry_transforms::TransformChain;
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use tokio::sync::watch;
use tracing::Instrument;

use crate::config::client_overrides;
use crate::config::connector::{transform_chain, TaskConverters};
use crate::config::worker::WorkerConfig;
use crate::errors::TaskError;
use crate::errors::{failure, ErrorPolicy, Failure, Stage};
use crate::kafka::topic_creation::TopicCreation;
use crate::kafka::{self, TopicCreator};
use crate::metrics::{registry, TaskMetrics};
use crate::storage::offset_store::OffsetStore;
use crate::storage::offsets_file::ConnectorOffsetReader;
use crate::worker::source::submitted::{RecordId, SubmittedRecords};

/// How often a lack of acknowledgements is reported while records are outstanding.
const STALL_REPORT_EVERY: Duration = Duration::from_secs(5);
/// How long the producer's metadata for a new topic is waited for before sending to it anyway.
const TOPIC_METADATA_WAIT: Duration = Duration::from_secs(2);

/// Receives the broker's acknowledgements on librdkafka's thread.
#[derive(Clone)]
struct DeliveryContext {
    submitted: Arc<Mutex<SubmittedRecords>>,
    acked: Arc<AtomicU64>,
    failure: Arc<Mutex<Option<String>>>,
    metrics: Arc<TaskMetrics>,
}

impl ClientContext for DeliveryContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        kafka::log_librdkafka(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        kafka::log_librdkafka_error(&error, reason);
    }
}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = RecordId;

    fn delivery(&self, result: &DeliveryResult<'_>, id: RecordId) {
        match result {
            Ok(_) => {
                self.submitted
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .ack(id);
                self.acked.fetch_add(1, Ordering::Relaxed);
                TaskMetrics::add(&self.metrics.source_record_write_total, 1);
            }
            Err((e, _)) => {
                let mut failure = self.failure.lock().unwrap_or_else(|p| p.into_inner());
                failure.get_or_insert_with(|| format!("the broker did not accept a record: {e}"));
            }
        }
    }
}

/// Producer settings Kafka Connect uses for sources: wait for every replica, retry forever, keep
/// order; a user's `producer.*` keys override them.
fn producer_props(
    worker: &WorkerConfig,
    connector: &str,
    connector_props: &Props,
    task: u32,
) -> std::collections::BTreeMap<String, String> {
    let mut props = std::collections::BTreeMap::from([
        ("enable.idempotence".to_string(), "true".to_string()),
        ("acks".to_string(), "all".to_string()),
        ("partitioner".to_string(), "murmur2_random".to_string()),
        ("message.timeout.ms".to_string(), "2147483647".to_string()),
        (
            "client.id".to_string(),
            format!("connector-producer-{connector}-{task}"),
        ),
    ]);
    props.extend(worker.client_props("producer."));
    props.extend(client_overrides::overrides(connector_props, "producer"));
    props
}

/// Everything a source task needs from the worker.
pub struct SourceTaskSetup {
    pub connector: String,
    pub task_id: u32,
    pub task_props: Props,
    pub connector_props: Props,
    pub worker: Arc<WorkerConfig>,
    pub offsets: Arc<dyn OffsetStore>,
    pub topics: Arc<TopicCreator>,
    /// A Java task: its records are Kafka's bytes already, converted and transformed by the
    /// plugin host.
    pub runs_in_java: bool,
}

/// A record ready for the producer.
struct Converted {
    topic: String,
    partition: Option<i32>,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Option<OwnedHeaders>,
    timestamp: Option<i64>,
}

pub struct SourceTaskRunner {
    task: Box<dyn SourceTask>,
    out: Outbound,
}

/// Everything on the way from a polled record to the broker and the offset store. Kept apart
/// from the task so that sending never needs to share the (non-`Sync`) task across threads.
struct Outbound {
    setup: SourceTaskSetup,
    converters: TaskConverters,
    /// The connector's transforms, applied between `poll` and the converters.
    transforms: TransformChain,
    producer: ThreadedProducer<DeliveryContext>,
    context: DeliveryContext,
    known_topics: HashSet<String>,
    /// The topic of the last record sent, known to exist.
    last_topic: Option<String>,
    /// The tracker's ids of a batch's records (kept to reuse its allocation).
    ids: Vec<RecordId>,
    stop: watch::Receiver<bool>,
    errors: ErrorPolicy,
    /// How the topics this task writes to are created when missing (KIP-158).
    topic_creation: TopicCreation,
}

impl SourceTaskRunner {
    pub fn new(
        setup: SourceTaskSetup,
        task: Box<dyn SourceTask>,
        stop: watch::Receiver<bool>,
    ) -> Result<SourceTaskRunner, TaskError> {
        let (converters, transforms) = if setup.runs_in_java {
            (TaskConverters::bytes()?, TransformChain::default())
        } else {
            (
                TaskConverters::new(&setup.worker, &setup.connector_props)?,
                transform_chain(&setup.connector_props)?,
            )
        };
        let worker_allows = setup
            .worker
            .originals()
            .get("topic.creation.enable")
            .is_none_or(|v| !v.trim().eq_ignore_ascii_case("false"));
        let topic_creation = TopicCreation::from_config(worker_allows, &setup.connector_props)
            .map_err(|e| TaskError::Connect(ConnectError::Config(e)))?;
        let errors = ErrorPolicy::without_dead_letter_queue(
            &setup.connector,
            setup.task_id,
            &setup.connector_props,
        );
        let metrics = registry().task_started(&setup.connector, setup.task_id, false);
        let mut errors = errors;
        errors.metrics = metrics.clone();
        let context = DeliveryContext {
            submitted: Arc::new(Mutex::new(SubmittedRecords::default())),
            acked: Arc::new(AtomicU64::new(0)),
            failure: Arc::new(Mutex::new(None)),
            metrics,
        };
        let props = producer_props(
            &setup.worker,
            &setup.connector,
            &setup.connector_props,
            setup.task_id,
        );
        let producer = kafka::create_client("producer", &props, context.clone())
            .map_err(|e| TaskError::Kafka("cannot create the producer".into(), e))?;
        Ok(SourceTaskRunner {
            task,
            out: Outbound {
                setup,
                converters,
                transforms,
                producer,
                context,
                known_topics: HashSet::new(),
                last_topic: None,
                ids: Vec::new(),
                stop,
                errors,
                topic_creation,
            },
        })
    }

    /// Runs until stopped or failed. Stopping flushes the producer and commits acknowledged offsets.
    pub async fn run(mut self, on_running: impl FnOnce()) -> Result<(), TaskError> {
        let reader = ConnectorOffsetReader {
            store: self.out.setup.offsets.clone(),
            connector: self.out.setup.connector.clone(),
        };
        let context = SourceTaskContext {
            offsets: Arc::new(reader),
            snapshot: self.out.context.metrics.snapshot.clone(),
        };
        if !self.catch_up_offsets().await {
            return Ok(());
        }
        self.task
            .start(&self.out.setup.task_props, context)
            .await
            .map_err(TaskError::Connect)?;
        on_running();
        tracing::info!("source task started");
        let committer = Committer::start(&self.out);
        let result = self.poll_until_stopped(&committer).await;
        let stopped = self.task.stop().await;
        // No periodic commit may run beside the last one.
        let background = committer.finish().await;
        self.out.flush_producer().await;
        let committed = self.commit_offsets().await;
        registry().task_stopped(
            &self.out.setup.connector,
            self.out.setup.task_id,
            &self.out.context.metrics,
        );
        result?;
        stopped.map_err(TaskError::Connect)?;
        background?;
        committed
    }

    async fn poll_until_stopped(&mut self, committer: &Committer) -> Result<(), TaskError> {
        let mut stall = StallWatch::new(self.out.context.acked.load(Ordering::Relaxed));
        // One batch allocation for the whole run; `send` empties it.
        let mut records = Vec::new();
        while !*self.out.stop.borrow() {
            self.out.check_delivery_failure()?;
            if committer.take_committed()? {
                self.task.commit().await.map_err(TaskError::Connect)?;
            }
            stall.check(&self.out.context);
            let polling = Instant::now();
            self.task
                .poll_into(&mut records)
                .await
                .map_err(TaskError::Connect)?;
            if records.is_empty() {
                continue;
            }
            let metrics = &self.out.context.metrics;
            metrics.poll_batch.record(polling.elapsed());
            TaskMetrics::add(&metrics.source_record_poll_total, records.len());
            self.out.send(&mut records).await?;
            // A file's lines are read without ever waiting: let other tasks on this thread run
            // now and then.
            tokio::task::consume_budget().await;
        }
        Ok(())
    }

    /// Writes the acknowledged offsets to the store, then tells the task.
    /// Reads what was committed before the task starts, so that a task taken over from another
    /// worker resumes where that one stopped. While the store cannot be read (its partition's
    /// leader being elected), the task waits rather than start from an unknown position.
    /// Returns false when stopped while waiting.
    async fn catch_up_offsets(&mut self) -> bool {
        let mut waited = false;
        loop {
            match self.out.setup.offsets.catch_up().await {
                Ok(()) => {
                    if waited {
                        tracing::info!("read the committed offsets; the task starts");
                    }
                    return true;
                }
                Err(e) => tracing::warn!(
                    "cannot read the committed offsets yet; the task waits to start rather than resume from an unknown position: {e}"
                ),
            }
            waited = true;
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                changed = self.out.stop.changed() => if changed.is_err() { return false },
            }
            if *self.out.stop.borrow() {
                return false;
            }
        }
    }

    async fn commit_offsets(&mut self) -> Result<(), TaskError> {
        let out = &self.out;
        if persist_offsets(
            &out.context.submitted,
            &out.setup.offsets,
            &out.setup.connector,
            &out.context.metrics,
        )
        .await?
        {
            self.task.commit().await.map_err(TaskError::Connect)?;
        }
        Ok(())
    }
}

/// Commits acknowledged offsets every `offset.flush.interval.ms`, beside the task loop.
struct Committer {
    shared: Arc<CommitState>,
    stop: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct CommitState {
    /// Offsets were committed since the task was last told.
    committed: AtomicBool,
    /// Why a commit failed; the task fails with it.
    failure: Mutex<Option<String>>,
}

impl Committer {
    fn start(out: &Outbound) -> Committer {
        let shared = Arc::new(CommitState::default());
        let (stop, mut stopped) = watch::channel(false);
        // tokio's intervals need a period above zero.
        let interval = out
            .setup
            .worker
            .offset_flush_interval()
            .max(Duration::from_millis(1));
        let submitted = out.context.submitted.clone();
        let metrics = out.context.metrics.clone();
        let store = out.setup.offsets.clone();
        let connector = out.setup.connector.clone();
        let state = shared.clone();
        let handle = tokio::spawn(
            async move {
                let mut ticks =
                    tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        _ = ticks.tick() => {}
                        _ = stopped.changed() => return,
                    }
                    match persist_offsets(&submitted, &store, &connector, &metrics).await {
                        Ok(true) => state.committed.store(true, Ordering::Release),
                        Ok(false) => {}
                        Err(e) => {
                            *state.failure.lock().unwrap_or_else(|p| p.into_inner()) =
                                Some(e.to_string());
                            return;
                        }
                    }
                }
            }
            .in_current_span(),
        );
        Committer {
            shared,
            stop,
            handle,
        }
    }

    /// Whether offsets were committed since the last call; a failed commit is an error.
    fn take_committed(&self) -> Result<bool, TaskError> {
        if let Some(e) = self
            .shared
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            return Err(TaskError::Internal(e));
        }
        Ok(self.shared.committed.swap(false, Ordering::Acquire))
    }

    /// Stops the periodic commits, waiting for one that is under way.
    async fn finish(mut self) -> Result<(), TaskError> {
        let _ = self.stop.send(true);
        let _ = (&mut self.handle).await;
        self.take_committed().map(|_| ())
    }
}

/// Persists the offsets of the acknowledged prefix; `false` when there was nothing new.
async fn persist_offsets(
    submitted: &Mutex<SubmittedRecords>,
    store: &Arc<dyn OffsetStore>,
    connector: &str,
    metrics: &TaskMetrics,
) -> Result<bool, TaskError> {
    let committable = submitted
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take_committable();
    if committable.is_empty() {
        TaskMetrics::add(&metrics.offset_commit_skip_total, 1);
        return Ok(false);
    }
    let started = Instant::now();
    let store = store.clone();
    let connector = connector.to_string();
    let committed = tokio::task::spawn_blocking(move || {
        store.commit(&connector, &committable).map(|()| committable)
    })
    .await
    .map_err(|e| TaskError::Internal(format!("offset commit did not finish: {e}")))?
    .map_err(|e| TaskError::Internal(e.to_string()))?;
    metrics.offset_commit.record(started.elapsed());
    metrics.committed_source_offsets(&committed);
    tracing::debug!("committed source offsets");
    Ok(true)
}

impl Outbound {
    fn check_delivery_failure(&self) -> Result<(), TaskError> {
        let failure = self
            .context
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        match failure {
            Some(message) => Err(TaskError::Connect(ConnectError::Other(message))),
            None => Ok(()),
        }
    }

    /// The record in bytes for the producer, or the stage that failed and why (with the
    /// record's topic). Nothing is allocated for the failure unless there is one.
    fn convert(&self, record: SourceRecord) -> Result<Converted, (Failure, String)> {
        let topic = record.topic;
        let c = &self.converters;
        let key = match c
            .key
            .from_connect_owned(&topic, record.key_schema.as_deref(), record.key)
        {
            Ok(key) => key,
            Err(error) => return Err((failure(Stage::KeyConverter, &c.key_class, error), topic)),
        };
        let value =
            match c
                .value
                .from_connect_owned(&topic, record.value_schema.as_deref(), record.value)
            {
                Ok(value) => value,
                Err(error) => {
                    return Err((failure(Stage::ValueConverter, &c.value_class, error), topic))
                }
            };
        let headers = if record.headers.is_empty() {
            None
        } else {
            let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
            for h in &record.headers {
                let bytes = match c.header.from_connect_header(
                    &topic,
                    &h.key,
                    h.schema.as_deref(),
                    &h.value,
                ) {
                    Ok(bytes) => bytes,
                    Err(error) => {
                        let f = failure(Stage::HeaderConverter, &c.header_class, error);
                        return Err((f, topic));
                    }
                };
                headers = headers.insert(Header {
                    key: &h.key,
                    value: bytes.as_deref(),
                });
            }
            Some(headers)
        };
        Ok(Converted {
            topic,
            partition: record.kafka_partition,
            key,
            value,
            headers,
            timestamp: record.timestamp,
        })
    }

    /// Makes sure the topic exists before the first record goes to it, and has the producer
    /// learn where it lives: librdkafka's idempotent producer asks for its producer id when
    /// metadata arrives (otherwise on a 500 ms timer) and sends nothing before it has one.
    async fn prepare_topic(&mut self, topic: &str) -> Result<(), TaskError> {
        if self.known_topics.contains(topic) {
            return Ok(());
        }
        let spec = self.topic_creation.spec_for(topic);
        self.setup
            .topics
            .ensure(topic, &spec, &self.stop)
            .await
            .map_err(|e| TaskError::Kafka(format!("cannot create topic {topic}"), e))?;
        let producer = &self.producer;
        let metadata = tokio::task::block_in_place(|| {
            producer
                .client()
                .fetch_metadata(Some(topic), TOPIC_METADATA_WAIT)
        });
        if let Err(e) = metadata {
            tracing::debug!(topic, "no metadata for the topic yet ({e}); sending anyway");
        }
        self.known_topics.insert(topic.to_string());
        Ok(())
    }

    /// Registers a batch's records with the offset tracker, converts them and hands them to the
    /// producer. Should a record fail to convert, the task fails: the records before it are sent,
    /// but no offset at or after their batch is committed, so after a restart they come again.
    /// With transforms, a record goes through them first (a dropped record counts as delivered,
    /// so its offset is committed, as in Kafka), and the topics are those they give.
    async fn send(&mut self, records: &mut Vec<SourceRecord>) -> Result<(), TaskError> {
        if self.transforms.is_empty() {
            for record in records.iter() {
                if self.last_topic.as_deref() != Some(record.topic.as_str()) {
                    self.prepare_topic(&record.topic).await?;
                    self.last_topic = Some(record.topic.clone());
                }
            }
        }
        let mut ids = std::mem::take(&mut self.ids);
        ids.clear();
        {
            let mut submitted = self
                .context
                .submitted
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            submitted.begin_batch();
            ids.extend(records.iter_mut().map(|r| {
                submitted.submit(&r.source_partition, std::mem::take(&mut r.source_offset))
            }));
            self.context
                .metrics
                .source_record_active_count
                .store(submitted.outstanding() as u64, Ordering::Relaxed);
        }
        let mut sent = Ok(());
        for (record, id) in records.drain(..).zip(ids.iter().copied()) {
            let record = if self.transforms.is_empty() {
                record
            } else {
                match self.transform(record, id).await {
                    Ok(Some(record)) => record,
                    Ok(None) => continue,
                    Err(e) => {
                        sent = Err(e);
                        break;
                    }
                }
            };
            let converted = if self.errors.retry.enabled() {
                // Kept for another attempt should a converter fail with a retriable error.
                self.errors
                    .retry
                    .run(&self.stop, || self.convert(record.clone()))
            } else {
                self.convert(record)
            };
            sent = match converted {
                Ok(converted) => self.produce(converted, id).await,
                Err((failure, topic)) => self.errors.source_failure(failure, &topic).map(|()| {
                    // Skipped: its offset counts as delivered.
                    self.context
                        .submitted
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .ack(id);
                }),
            };
            if sent.is_err() {
                break;
            }
        }
        records.clear();
        self.ids = ids;
        sent
    }

    /// Runs the transform chain on a record. A record a transform drops, or that fails in one
    /// under `errors.tolerance=all`, is acknowledged at once; the topic of a kept record is made
    /// ready for the producer.
    async fn transform(
        &mut self,
        record: SourceRecord,
        id: RecordId,
    ) -> Result<Option<SourceRecord>, TaskError> {
        let topic = record.topic.clone();
        let applied = if self.errors.retry.enabled() {
            let transforms = &mut self.transforms;
            self.errors.retry.run(&self.stop, || {
                transforms
                    .apply(ConnectRecord::Source(record.clone()))
                    .map_err(Failure::from)
            })
        } else {
            self.transforms
                .apply(ConnectRecord::Source(record))
                .map_err(Failure::from)
        };
        let kept = match applied {
            Ok(kept) => kept.and_then(ConnectRecord::into_source),
            Err(failure) => {
                self.errors.source_failure(failure, &topic)?;
                None
            }
        };
        let Some(record) = kept else {
            self.context
                .submitted
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .ack(id);
            return Ok(None);
        };
        if self.last_topic.as_deref() != Some(record.topic.as_str()) {
            self.prepare_topic(&record.topic).await?;
            self.last_topic = Some(record.topic.clone());
        }
        Ok(Some(record))
    }

    async fn produce(&self, c: Converted, id: RecordId) -> Result<(), TaskError> {
        let mut record = BaseRecord::<[u8], [u8], RecordId>::with_opaque_to(&c.topic, id);
        if let Some(key) = c.key.as_deref() {
            record = record.key(key);
        }
        if let Some(value) = c.value.as_deref() {
            record = record.payload(value);
        }
        if let Some(p) = c.partition {
            record = record.partition(p);
        }
        if let Some(ts) = c.timestamp {
            record = record.timestamp(ts);
        }
        if let Some(headers) = c.headers {
            record = record.headers(headers);
        }
        let mut waiting_since: Option<Instant> = None;
        let mut reported: Option<Instant> = None;
        loop {
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    // The local queue is full: the broker is slow or away. Wait for room.
                    record = back;
                    let since = *waiting_since.get_or_insert_with(Instant::now);
                    if *self.stop.borrow()
                        && since.elapsed() > self.setup.worker.offset_flush_timeout()
                    {
                        return Ok(());
                    }
                    if since.elapsed() >= STALL_REPORT_EVERY
                        && reported.is_none_or(|r: Instant| r.elapsed() >= STALL_REPORT_EVERY)
                    {
                        tracing::warn!(
                            waited_s = since.elapsed().as_secs(),
                            "the producer's queue is full and the broker is not taking records; waiting"
                        );
                        reported = Some(Instant::now());
                    }
                    self.check_delivery_failure()?;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err((e, _)) => return Err(TaskError::Kafka("cannot send a record".into(), e)),
            }
        }
    }

    async fn flush_producer(&self) {
        let timeout = self.setup.worker.offset_flush_timeout();
        let flushed = tokio::task::block_in_place(|| self.producer.flush(timeout));
        if let Err(e) = flushed {
            let outstanding = self
                .context
                .submitted
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .outstanding();
            tracing::warn!(
                outstanding,
                "not every record was acknowledged within offset.flush.timeout.ms ({e}); their offsets are not committed and they will be sent again after a restart"
            );
        }
    }
}

/// Notices when records wait for acknowledgement and nothing arrives, and says so every few seconds.
struct StallWatch {
    last_acked: u64,
    last_progress: Instant,
    last_report: Instant,
}

impl StallWatch {
    fn new(acked: u64) -> StallWatch {
        let now = Instant::now();
        StallWatch {
            last_acked: acked,
            last_progress: now,
            last_report: now,
        }
    }

    fn check(&mut self, context: &DeliveryContext) {
        let acked = context.acked.load(Ordering::Relaxed);
        let now = Instant::now();
        if acked != self.last_acked {
            if now.duration_since(self.last_progress) >= STALL_REPORT_EVERY {
                tracing::info!("the broker is acknowledging records again");
            }
            self.last_acked = acked;
            self.last_progress = now;
            return;
        }
        let outstanding = context
            .submitted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .outstanding();
        if outstanding == 0 {
            self.last_progress = now;
            return;
        }
        let waited = now.duration_since(self.last_progress);
        if waited >= STALL_REPORT_EVERY
            && now.duration_since(self.last_report) >= STALL_REPORT_EVERY
        {
            tracing::warn!(
                outstanding,
                waited_s = waited.as_secs(),
                "records are waiting for the broker to acknowledge them; the producer keeps retrying"
            );
            self.last_report = now;
        }
    }
}
