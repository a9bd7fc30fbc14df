//! Drives one source task: poll -> convert -> produce -> (broker ack) -> commit offsets.
//!
//! Offsets are committed only for records the broker acknowledged, per source partition, every
//! `offset.flush.interval.ms` and once more at shutdown.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferry_api::{ConnectError, Props, SourceRecord, SourceTask, SourceTaskContext};
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use tokio::sync::watch;

use crate::connector_config::TaskConverters;
use crate::kafka::{self, TopicCreator};
use crate::offset_store::OffsetStore;
use crate::offsets::ConnectorOffsetReader;
use crate::submitted::{RecordId, SubmittedRecords};
use crate::task::TaskError;
use crate::worker_config::WorkerConfig;

/// How often a lack of acknowledgements is reported while records are outstanding.
const STALL_REPORT_EVERY: Duration = Duration::from_secs(5);

/// Receives the broker's acknowledgements on librdkafka's thread.
#[derive(Clone)]
struct DeliveryContext {
    submitted: Arc<Mutex<SubmittedRecords>>,
    acked: Arc<AtomicU64>,
    failure: Arc<Mutex<Option<String>>>,
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
}

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
    producer: ThreadedProducer<DeliveryContext>,
    context: DeliveryContext,
    known_topics: HashSet<String>,
    stop: watch::Receiver<bool>,
}

impl SourceTaskRunner {
    pub fn new(
        setup: SourceTaskSetup,
        task: Box<dyn SourceTask>,
        stop: watch::Receiver<bool>,
    ) -> Result<SourceTaskRunner, TaskError> {
        let converters = TaskConverters::new(&setup.worker, &setup.connector_props)?;
        let context = DeliveryContext {
            submitted: Arc::new(Mutex::new(SubmittedRecords::default())),
            acked: Arc::new(AtomicU64::new(0)),
            failure: Arc::new(Mutex::new(None)),
        };
        let props = producer_props(&setup.worker, &setup.connector, setup.task_id);
        let producer = kafka::create_client("producer", &props, context.clone())
            .map_err(|e| TaskError::Kafka("cannot create the producer".into(), e))?;
        Ok(SourceTaskRunner {
            task,
            out: Outbound {
                setup,
                converters,
                producer,
                context,
                known_topics: HashSet::new(),
                stop,
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
        };
        self.task
            .start(&self.out.setup.task_props, context)
            .await
            .map_err(TaskError::Connect)?;
        on_running();
        tracing::info!("source task started");
        let result = self.poll_until_stopped().await;
        let stopped = self.task.stop().await;
        self.out.flush_producer().await;
        let committed = self.commit_offsets().await;
        result?;
        stopped.map_err(TaskError::Connect)?;
        committed
    }

    async fn poll_until_stopped(&mut self) -> Result<(), TaskError> {
        let interval = self.out.setup.worker.offset_flush_interval();
        let mut next_commit = Instant::now() + interval;
        let mut stall = StallWatch::new(self.out.context.acked.load(Ordering::Relaxed));
        while !*self.out.stop.borrow() {
            self.out.check_delivery_failure()?;
            if Instant::now() >= next_commit {
                self.commit_offsets().await?;
                next_commit = Instant::now() + interval;
            }
            stall.check(&self.out.context);
            let records = self.task.poll().await.map_err(TaskError::Connect)?;
            if records.is_empty() {
                continue;
            }
            self.out.send(records).await?;
        }
        Ok(())
    }

    /// Writes the acknowledged offsets to the store, then tells the task.
    async fn commit_offsets(&mut self) -> Result<(), TaskError> {
        if self.out.persist_offsets().await? {
            self.task.commit().await.map_err(TaskError::Connect)?;
        }
        Ok(())
    }
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

    fn convert(&self, record: SourceRecord) -> Result<Converted, ConnectError> {
        let topic = record.topic;
        let key = self.converters.key.from_connect(
            &topic,
            record.key_schema.as_deref(),
            record.key.as_ref(),
        )?;
        let value = self.converters.value.from_connect(
            &topic,
            record.value_schema.as_deref(),
            record.value.as_ref(),
        )?;
        let headers = if record.headers.is_empty() {
            None
        } else {
            let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
            for h in &record.headers {
                let bytes = self.converters.header.from_connect_header(
                    &topic,
                    &h.key,
                    h.schema.as_deref(),
                    &h.value,
                )?;
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

    /// Converts a batch, registers every record with the offset tracker, and hands it to the producer.
    async fn send(&mut self, records: Vec<SourceRecord>) -> Result<(), TaskError> {
        let mut batch = Vec::with_capacity(records.len());
        let mut positions = Vec::with_capacity(records.len());
        for mut record in records {
            let offset = std::mem::take(&mut record.source_offset);
            positions.push((record.source_partition.clone(), offset));
            batch.push(self.convert(record).map_err(TaskError::Connect)?);
        }
        let mut previous: Option<&str> = None;
        for converted in &batch {
            if previous == Some(converted.topic.as_str()) {
                continue;
            }
            previous = Some(&converted.topic);
            if !self.known_topics.contains(&converted.topic) {
                self.setup
                    .topics
                    .ensure(&converted.topic, &self.stop)
                    .await
                    .map_err(|e| {
                        TaskError::Kafka(format!("cannot create topic {}", converted.topic), e)
                    })?;
                self.known_topics.insert(converted.topic.clone());
            }
        }
        let ids: Vec<RecordId> = {
            let mut submitted = self
                .context
                .submitted
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            submitted.begin_batch();
            positions
                .into_iter()
                .map(|(p, o)| submitted.submit(&p, o))
                .collect()
        };
        for (converted, id) in batch.into_iter().zip(ids) {
            self.produce(converted, id).await?;
        }
        Ok(())
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

    /// Persists the offsets of the acknowledged prefix; `false` when there was nothing new.
    async fn persist_offsets(&self) -> Result<bool, TaskError> {
        let committable = self
            .context
            .submitted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take_committable();
        if committable.is_empty() {
            return Ok(false);
        }
        let store = self.setup.offsets.clone();
        let connector = self.setup.connector.clone();
        tokio::task::spawn_blocking(move || store.commit(&connector, &committable))
            .await
            .map_err(|e| TaskError::Internal(format!("offset commit did not finish: {e}")))?
            .map_err(|e| TaskError::Internal(e.to_string()))?;
        tracing::debug!("committed source offsets");
        Ok(true)
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
