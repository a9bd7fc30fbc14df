//! A compacted internal topic read from the beginning and written to (Kafka's `KafkaBasedLog`):
//! the config, offsets and status topics of distributed mode all use it.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use crate::config::worker::WorkerConfig;
use crate::kafka::{self, LoggingContext};

const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("internal topic {topic}: {what}: {source}")]
    Kafka {
        topic: String,
        what: String,
        #[source]
        source: Box<KafkaError>,
    },
    #[error("internal topic {topic}: {message}")]
    Other { topic: String, message: String },
}

/// One record as read back: key, value (`None` for a tombstone), and its offset.
pub struct LogRecord {
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
    pub partition: i32,
    pub offset: i64,
}

impl LogRecord {
    fn of(m: &rdkafka::message::BorrowedMessage<'_>) -> LogRecord {
        LogRecord {
            key: m.key().unwrap_or_default().to_vec(),
            value: m.payload().map(<[u8]>::to_vec),
            partition: m.partition(),
            offset: m.offset(),
        }
    }
}

pub struct KafkaLog {
    topic: String,
    producer: FutureProducer<LoggingContext>,
    consumer: BaseConsumer<LoggingContext>,
    /// Asks for end offsets on connections of its own: a broker answers a connection's requests
    /// in order, so on the reader's they would wait behind its fetch long-poll (up to
    /// `fetch.wait.max.ms`, half a second).
    offsets_client: BaseConsumer<LoggingContext>,
    /// The settings `offsets_client` was made with: it is made anew when it cannot answer, as
    /// librdkafka can keep answering from stale metadata after the partition's leader died.
    offsets_props: BTreeMap<String, String>,
    partitions: Vec<i32>,
    /// Next offset to read, per partition.
    positions: BTreeMap<i32, i64>,
}

/// How to create the topic when it is missing.
pub struct TopicSpec {
    pub name: String,
    pub partitions: i32,
    pub replication: i32,
}

impl KafkaLog {
    pub async fn open(
        worker: &WorkerConfig,
        spec: &TopicSpec,
        client_id: &str,
    ) -> Result<KafkaLog, LogError> {
        let err = |what: &str| {
            let topic = spec.name.clone();
            let what = what.to_string();
            move |source| LogError::Kafka {
                topic,
                what,
                source: Box::new(source),
            }
        };
        ensure_topic(worker, spec).await?;
        let mut producer_props = worker.client_props("producer.");
        producer_props.insert("enable.idempotence".into(), "true".into());
        producer_props.insert("acks".into(), "all".into());
        producer_props.insert(
            "client.id".into(),
            format!("{client_id}-{}-producer", spec.name),
        );
        let producer: FutureProducer<LoggingContext> =
            kafka::create_client("producer", &producer_props, LoggingContext)
                .map_err(err("cannot create a producer"))?;
        let mut consumer_props = worker.client_props("consumer.");
        consumer_props.insert("enable.auto.commit".into(), "false".into());
        consumer_props.insert("enable.auto.offset.store".into(), "false".into());
        consumer_props.insert(
            "group.id".into(),
            format!("{client_id}-{}-reader", spec.name),
        );
        let mut consumer_named = |role: &str| {
            consumer_props.insert(
                "client.id".into(),
                format!("{client_id}-{}-{role}", spec.name),
            );
            kafka::create_client::<BaseConsumer<LoggingContext>, _>(
                "consumer",
                &consumer_props,
                LoggingContext,
            )
            .map_err(err("cannot create a consumer"))
        };
        let consumer = consumer_named("consumer")?;
        let offsets_client = consumer_named("offsets")?;
        let offsets_props = consumer_props;
        let metadata =
            tokio::task::block_in_place(|| consumer.fetch_metadata(Some(&spec.name), TIMEOUT))
                .map_err(err("cannot read the topic's partitions"))?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .filter(|t| t.name() == spec.name)
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        if partitions.is_empty() {
            return Err(LogError::Other {
                topic: spec.name.clone(),
                message: "the topic has no partitions".into(),
            });
        }
        let mut list = TopicPartitionList::new();
        for p in &partitions {
            list.add_partition_offset(&spec.name, *p, Offset::Beginning)
                .map_err(err("cannot assign the partitions"))?;
        }
        consumer
            .assign(&list)
            .map_err(err("cannot assign the partitions"))?;
        Ok(KafkaLog {
            topic: spec.name.clone(),
            producer,
            consumer,
            offsets_client,
            offsets_props,
            positions: partitions.iter().map(|p| (*p, 0)).collect(),
            partitions,
        })
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Writes one record and waits for the broker's acknowledgement.
    pub async fn send(&self, key: &[u8], value: Option<&[u8]>) -> Result<(), LogError> {
        self.send_all(&[(key, value)]).await
    }

    /// Writes records in order, all handed to the producer at once (one round trip, not one per
    /// record), and waits until the broker acknowledged every one.
    pub async fn send_all(&self, records: &[(&[u8], Option<&[u8]>)]) -> Result<(), LogError> {
        let mut deliveries = Vec::with_capacity(records.len());
        for (key, value) in records {
            let mut record = FutureRecord::<[u8], [u8]>::to(&self.topic).key(*key);
            if let Some(v) = value {
                record = record.payload(*v);
            }
            let delivery = self
                .producer
                .send_result(record)
                .map_err(|(source, _)| self.kafka_error("cannot write", source))?;
            deliveries.push(delivery);
        }
        for delivery in deliveries {
            match delivery.await {
                Ok(Ok(_)) => {}
                Ok(Err((source, _))) => return Err(self.kafka_error("cannot write", source)),
                Err(_) => {
                    return Err(LogError::Other {
                        topic: self.topic.clone(),
                        message: "the producer went away before the write was acknowledged".into(),
                    })
                }
            }
        }
        Ok(())
    }

    /// Reads everything written so far (up to the high watermarks as of now) and hands each
    /// record to `apply`, in order within each partition.
    pub fn read_to_end(&mut self, mut apply: impl FnMut(LogRecord)) -> Result<(), LogError> {
        let ends = self.end_offsets_retrying()?;
        let behind = |positions: &BTreeMap<i32, i64>| {
            ends.iter()
                .any(|(p, end)| positions.get(p).copied().unwrap_or(0) < *end)
        };
        let deadline = std::time::Instant::now() + TIMEOUT * 3;
        while behind(&self.positions) {
            if std::time::Instant::now() > deadline {
                return Err(LogError::Other {
                    topic: self.topic.clone(),
                    message: "timed out reading to the end".into(),
                });
            }
            self.read_new(Duration::from_millis(200), &mut apply);
        }
        Ok(())
    }

    /// Waits up to `wait` for records past what was read, and hands those that came to `apply`
    /// (the config log's tail, followed as it grows).
    pub fn read_new(&mut self, wait: Duration, mut apply: impl FnMut(LogRecord)) {
        let mut timeout = wait;
        loop {
            let polled = tokio::task::block_in_place(|| self.consumer.poll(timeout));
            match polled {
                None => return,
                Some(Ok(m)) => {
                    self.positions.insert(m.partition(), m.offset() + 1);
                    apply(LogRecord::of(&m));
                }
                Some(Err(e)) => {
                    tracing::warn!(topic = %self.topic, "error reading the internal topic, retrying: {e}");
                    return;
                }
            }
            // Take what else is already there without waiting.
            timeout = Duration::ZERO;
        }
    }

    /// `end_offsets`, asked again for a while when the broker is busy electing a leader (a topic
    /// just created, a broker just restarted).
    /// When asking fails, the next attempt uses a new client (see `offsets_props`).
    fn end_offsets_retrying(&mut self) -> Result<BTreeMap<i32, i64>, LogError> {
        let deadline = std::time::Instant::now() + TIMEOUT;
        loop {
            let failure = match self.end_offsets() {
                Ok(ends) => return Ok(ends),
                Err(e) => e,
            };
            match kafka::create_client("consumer", &self.offsets_props, LoggingContext) {
                Ok(fresh) => self.offsets_client = fresh,
                Err(e) => {
                    tracing::warn!(topic = %self.topic, "cannot make a new client to ask for end offsets: {e}")
                }
            }
            if std::time::Instant::now() >= deadline {
                return Err(failure);
            }
            tracing::debug!(topic = %self.topic, "end offsets not available yet, asking again: {failure}");
            tokio::task::block_in_place(|| std::thread::sleep(Duration::from_millis(200)));
        }
    }

    /// The end offset of every partition, in one request (ListOffsets for "latest").
    fn end_offsets(&self) -> Result<BTreeMap<i32, i64>, LogError> {
        let mut list = TopicPartitionList::new();
        for p in &self.partitions {
            list.add_partition_offset(&self.topic, *p, Offset::End)
                .map_err(|source| self.kafka_error("cannot ask for the end offsets", source))?;
        }
        let answer =
            tokio::task::block_in_place(|| self.offsets_client.offsets_for_times(list, TIMEOUT))
                .map_err(|source| self.kafka_error("cannot read the end offsets", source))?;
        // A partition whose leader is unknown answers with an error, not an end: taking it as
        // 0 would make a reader believe it read everything.
        answer
            .elements()
            .iter()
            .map(|e| match (e.error(), e.offset()) {
                (Ok(()), Offset::Offset(end)) => Ok((e.partition(), end)),
                (Err(source), _) => Err(self.kafka_error("cannot read the end offsets", source)),
                (Ok(()), other) => Err(LogError::Other {
                    topic: self.topic.clone(),
                    message: format!(
                        "partition {} answered {other:?} for its end offset",
                        e.partition()
                    ),
                }),
            })
            .collect()
    }

    fn kafka_error(&self, what: &str, source: KafkaError) -> LogError {
        LogError::Kafka {
            topic: self.topic.clone(),
            what: what.to_string(),
            source: Box::new(source),
        }
    }

    /// The next offset to read in partition 0 (the config topic's "config offset").
    pub fn position(&self) -> i64 {
        self.positions.get(&0).copied().unwrap_or(0)
    }
}

/// Creates the internal topic, compacted, when it does not exist.
async fn ensure_topic(worker: &WorkerConfig, spec: &TopicSpec) -> Result<(), LogError> {
    let admin: AdminClient<LoggingContext> =
        kafka::create_client("admin", &worker.client_props("admin."), LoggingContext).map_err(
            |source| LogError::Kafka {
                topic: spec.name.clone(),
                what: "cannot create an admin client".into(),
                source: Box::new(source),
            },
        )?;
    let replication = if spec.replication < 0 {
        -1
    } else {
        spec.replication
    };
    let new_topic = NewTopic::new(
        &spec.name,
        spec.partitions,
        TopicReplication::Fixed(replication),
    )
    .set("cleanup.policy", "compact");
    let options = AdminOptions::new().operation_timeout(Some(TIMEOUT));
    loop {
        match admin.create_topics([&new_topic], &options).await {
            Ok(results) => match results.into_iter().next() {
                Some(Ok(_)) => {
                    tracing::info!(topic = %spec.name, partitions = spec.partitions, "created the internal topic");
                    return Ok(());
                }
                Some(Err((_, RDKafkaErrorCode::TopicAlreadyExists))) | None => return Ok(()),
                Some(Err((_, code))) => {
                    return Err(LogError::Kafka {
                        topic: spec.name.clone(),
                        what: "cannot create the topic".into(),
                        source: Box::new(KafkaError::AdminOp(code)),
                    })
                }
            },
            Err(e) => {
                tracing::warn!(topic = %spec.name, "cannot reach the broker to create the internal topic, retrying: {e}");
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
        }
    }
}
