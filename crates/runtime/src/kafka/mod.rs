//! Kafka clients for the worker: configuration, logging of librdkafka into `tracing`, and topic
//! creation for sources writing to topics that do not exist yet.

pub mod compacted_topic;

pub mod topic_creation;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::ClientContext;
use rdkafka::config::{FromClientConfigAndContext, RDKafkaLogLevel};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::ClientConfig;
use tokio::sync::Mutex;

use crate::kafka::topic_creation::NewTopicSpec;

/// What a producer holds waiting to be sent when `buffer.memory` does not say: 4 MB, an eighth
/// of Java's 32 MB default. On a local broker it moved as many records a second as 1 GB did
/// (bench/results/mysql-cdc-2026-11-26*.md); a distant broker (long round trips) may want more.
const PRODUCER_QUEUE_KBYTES: u64 = 4 * 1024;

/// Builds a client, dropping (with a warning) settings librdkafka does not know — Java clients
/// accept keys librdkafka has no equivalent for, and an unknown key must not stop the worker.
pub fn create_client<T, C>(
    what: &str,
    props: &BTreeMap<String, String>,
    context: C,
) -> Result<T, KafkaError>
where
    T: FromClientConfigAndContext<C>,
    C: ClientContext + Clone,
{
    let mut props = props.clone();
    if what == "producer" {
        // Java's partitioner: a keyed record goes where a Java worker would have put it, so that
        // the keys of the offsets and status topics (and of source records) stay in one
        // partition across a migration or in a mixed cluster. librdkafka's default hashes
        // differently.
        props
            .entry("partitioner".to_string())
            .or_insert_with(|| "murmur2_random".to_string());
        // Java's `buffer.memory` (bytes) bounds what waits to be sent, as librdkafka's
        // `queue.buffering.max.kbytes` does. Unbounded by either, librdkafka holds up to 1 GB.
        let memory = props.remove("buffer.memory");
        if !props.contains_key("queue.buffering.max.kbytes") {
            let kbytes = memory
                .as_deref()
                .and_then(|b| b.trim().parse::<u64>().ok())
                .map(|bytes| bytes.div_ceil(1024).max(1))
                .unwrap_or(PRODUCER_QUEUE_KBYTES);
            props.insert("queue.buffering.max.kbytes".to_string(), kbytes.to_string());
        }
    }
    loop {
        let mut config = ClientConfig::new();
        for (k, v) in &props {
            config.set(k, v);
        }
        config.set_log_level(RDKafkaLogLevel::Info);
        match T::from_config_and_context(&config, context.clone()) {
            Ok(client) => return Ok(client),
            Err(KafkaError::ClientConfig(_, ref message, ref key, _))
                if message.contains("No such configuration property")
                    && props.contains_key(key) =>
            {
                tracing::warn!(
                    client = what,
                    key = key.as_str(),
                    "the Kafka client has no setting with this name; it is ignored"
                );
                props.remove(key.as_str());
            }
            Err(e) => return Err(e),
        }
    }
}

/// Sends librdkafka's own log lines to `tracing`, under the target `librdkafka`.
#[derive(Clone, Default)]
pub struct LoggingContext;

impl ClientContext for LoggingContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        log_librdkafka(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        log_librdkafka_error(&error, reason);
    }
}

pub fn log_librdkafka(level: RDKafkaLogLevel, fac: &str, message: &str) {
    match level {
        RDKafkaLogLevel::Emerg
        | RDKafkaLogLevel::Alert
        | RDKafkaLogLevel::Critical
        | RDKafkaLogLevel::Error => {
            tracing::error!(target: "librdkafka", facility = fac, "{message}")
        }
        RDKafkaLogLevel::Warning => {
            tracing::warn!(target: "librdkafka", facility = fac, "{message}")
        }
        RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
            tracing::info!(target: "librdkafka", facility = fac, "{message}")
        }
        RDKafkaLogLevel::Debug => {
            tracing::debug!(target: "librdkafka", facility = fac, "{message}")
        }
    }
}

pub fn log_librdkafka_error(error: &KafkaError, reason: &str) {
    if matches!(
        error.rdkafka_error_code(),
        Some(RDKafkaErrorCode::AllBrokersDown) | Some(RDKafkaErrorCode::BrokerTransportFailure)
    ) {
        tracing::warn!(target: "librdkafka", "cannot reach the Kafka broker, retrying: {reason}");
    } else {
        tracing::error!(target: "librdkafka", "Kafka client error: {error}: {reason}");
    }
}

/// Producers that only need to know a write succeeded (by flushing) use no delivery callback.
impl rdkafka::consumer::ConsumerContext for LoggingContext {}

impl rdkafka::producer::ProducerContext for LoggingContext {
    type DeliveryOpaque = ();

    fn delivery(&self, _result: &rdkafka::producer::DeliveryResult<'_>, _opaque: ()) {}
}

/// Creates topics that sources write to when the broker does not have them yet, with the
/// broker's default partition count and replication, as `auto.create.topics.enable` would.
pub struct TopicCreator {
    admin: AdminClient<LoggingContext>,
    known: Mutex<HashSet<String>>,
}

/// How long one admin request may take before it is retried.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(10);
const RETRY_EVERY: Duration = Duration::from_secs(3);

impl TopicCreator {
    pub fn new(admin_props: &BTreeMap<String, String>) -> Result<TopicCreator, KafkaError> {
        // Asking whether a topic exists must not create it with the broker's defaults
        // (`auto.create.topics.enable`) before the connector's own rules could apply.
        let mut props = admin_props.clone();
        props.insert("allow.auto.create.topics".into(), "false".into());
        let admin = create_client("admin", &props, LoggingContext)?;
        Ok(TopicCreator {
            admin,
            known: Mutex::new(HashSet::new()),
        })
    }

    /// Makes sure `topic` exists, retrying while the broker is unreachable. Returns when the topic
    /// exists or `stop` turns true.
    pub async fn ensure(
        &self,
        topic: &str,
        spec: &NewTopicSpec,
        stop: &tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), KafkaError> {
        // The set is held only to look and to note: a creation retrying while the broker is away
        // must not hold up every other task's first send to topics that exist.
        if self.known.lock().await.contains(topic) {
            return Ok(());
        }
        loop {
            match self.exists(topic).await {
                Ok(true) => break,
                Ok(false) => match self.create(topic, spec).await {
                    Ok(()) => break,
                    Err(e) if is_transient(&e) => {}
                    Err(e) => return Err(e),
                },
                Err(e) if is_transient(&e) => {}
                Err(e) => return Err(e),
            }
            tracing::warn!(
                topic,
                "cannot reach the Kafka broker to check the topic; retrying in {}s",
                RETRY_EVERY.as_secs()
            );
            if *stop.borrow() {
                return Ok(());
            }
            tokio::time::sleep(RETRY_EVERY).await;
        }
        self.known.lock().await.insert(topic.to_string());
        Ok(())
    }

    /// The Kafka cluster id, once the broker answers.
    pub async fn cluster_id(&self) -> Option<String> {
        tokio::task::block_in_place(|| self.admin.inner().fetch_cluster_id(ADMIN_TIMEOUT))
    }

    async fn exists(&self, topic: &str) -> Result<bool, KafkaError> {
        // librdkafka's metadata call blocks; keep it off the async worker threads' queue.
        let metadata = tokio::task::block_in_place(|| {
            self.admin
                .inner()
                .fetch_metadata(Some(topic), ADMIN_TIMEOUT)
        })?;
        Ok(metadata
            .topics()
            .iter()
            .any(|t| t.name() == topic && t.error().is_none() && !t.partitions().is_empty()))
    }

    async fn create(&self, topic: &str, spec: &NewTopicSpec) -> Result<(), KafkaError> {
        let options = AdminOptions::new().operation_timeout(Some(ADMIN_TIMEOUT));
        // -1 asks the broker for its defaults (KIP-464); brokers without that get one partition.
        let fallback = (spec.partitions.max(1), spec.replication.max(1));
        for (partitions, replication) in [(spec.partitions, spec.replication), fallback] {
            let mut new_topic =
                NewTopic::new(topic, partitions, TopicReplication::Fixed(replication));
            for (key, value) in &spec.configs {
                new_topic = new_topic.set(key, value);
            }
            let results = self.admin.create_topics([&new_topic], &options).await?;
            match results.into_iter().next() {
                Some(Ok(_)) | None => {
                    tracing::info!(
                        topic,
                        partitions,
                        replication,
                        "created the topic, which did not exist yet (-1: the broker's default)"
                    );
                    return Ok(());
                }
                Some(Err((_, RDKafkaErrorCode::TopicAlreadyExists))) => return Ok(()),
                Some(Err((_, code)))
                    if (partitions == -1 || replication == -1)
                        && matches!(
                            code,
                            RDKafkaErrorCode::InvalidPartitions
                                | RDKafkaErrorCode::InvalidReplicationFactor
                                | RDKafkaErrorCode::InvalidRequest
                                | RDKafkaErrorCode::UnsupportedVersion
                        ) =>
                {
                    tracing::debug!(
                        topic,
                        ?code,
                        "the broker has no default partition count; asking for one partition"
                    );
                }
                Some(Err((_, code))) => return Err(KafkaError::AdminOp(code)),
            }
        }
        Ok(())
    }
}

fn is_transient(e: &KafkaError) -> bool {
    matches!(
        e.rdkafka_error_code(),
        Some(RDKafkaErrorCode::OperationTimedOut)
            | Some(RDKafkaErrorCode::RequestTimedOut)
            | Some(RDKafkaErrorCode::AllBrokersDown)
            | Some(RDKafkaErrorCode::BrokerTransportFailure)
            | Some(RDKafkaErrorCode::NetworkException)
            | Some(RDKafkaErrorCode::BrokerNotAvailable)
            | Some(RDKafkaErrorCode::LeaderNotAvailable)
            | Some(RDKafkaErrorCode::NotController)
            | Some(RDKafkaErrorCode::CoordinatorNotAvailable)
            | Some(RDKafkaErrorCode::Resolve)
    ) || matches!(e, KafkaError::MetadataFetch(_) | KafkaError::Canceled)
}

/// The end of a partition as the client last heard it from a fetch (librdkafka's
/// `rd_kafka_get_watermark_offsets`): no request to the broker, so it can be read often.
/// rdkafka has no safe wrapper for it.
pub fn cached_high_watermark<C: ClientContext>(
    client: &rdkafka::client::Client<C>,
    topic: &str,
    partition: i32,
) -> Option<i64> {
    let topic = std::ffi::CString::new(topic).ok()?;
    let (mut low, mut high) = (-1i64, -1i64);
    // SAFETY: the client pointer is valid while `client` is borrowed; the topic is a
    // NUL-terminated string that outlives the call; librdkafka only writes the two i64s.
    let error = unsafe {
        rdkafka::bindings::rd_kafka_get_watermark_offsets(
            client.native_ptr(),
            topic.as_ptr(),
            partition,
            &mut low,
            &mut high,
        )
    };
    (error == rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0)
        .then_some(high)
}
