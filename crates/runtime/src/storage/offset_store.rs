//! Where source offsets live: a file (standalone) or the offsets topic (distributed). Source
//! tasks and the offsets REST API see only this trait.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry_api::OffsetMap;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::Value as Json;

use crate::config::worker::WorkerConfig;
use crate::kafka::compacted_topic::KafkaLog;
use crate::kafka::{self, LoggingContext};
use crate::storage::offsets_file::{
    connector_entries, offset_key, FileOffsetStore, OffsetStoreError,
};

#[async_trait::async_trait]
pub trait OffsetStore: Send + Sync {
    /// Brings what `get` answers up to date with what other workers committed (a no-op for a
    /// store only this worker writes).
    async fn catch_up(&self) -> Result<(), String>;
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap>;
    /// Durably records offsets of acknowledged records.
    fn commit(
        &self,
        connector: &str,
        offsets: &[(Arc<OffsetMap>, OffsetMap)],
    ) -> Result<(), OffsetStoreError>;
    fn connector_offsets(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)>;
    /// Sets offsets; `None` removes a partition's offset.
    fn alter(
        &self,
        connector: &str,
        offsets: &[(OffsetMap, Option<OffsetMap>)],
    ) -> Result<(), OffsetStoreError>;
    fn reset(&self, connector: &str) -> Result<(), OffsetStoreError>;
}

#[async_trait::async_trait]
impl OffsetStore for FileOffsetStore {
    async fn catch_up(&self) -> Result<(), String> {
        Ok(())
    }
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap> {
        FileOffsetStore::get(self, connector, partition)
    }
    fn commit(
        &self,
        connector: &str,
        offsets: &[(Arc<OffsetMap>, OffsetMap)],
    ) -> Result<(), OffsetStoreError> {
        FileOffsetStore::commit(self, connector, offsets)
    }
    fn connector_offsets(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)> {
        FileOffsetStore::connector_offsets(self, connector)
    }
    fn alter(
        &self,
        connector: &str,
        offsets: &[(OffsetMap, Option<OffsetMap>)],
    ) -> Result<(), OffsetStoreError> {
        FileOffsetStore::alter(self, connector, offsets)
    }
    fn reset(&self, connector: &str) -> Result<(), OffsetStoreError> {
        FileOffsetStore::reset(self, connector)
    }
}

const FLUSH_TIMEOUT: Duration = Duration::from_secs(30);

/// Offsets in the offsets topic: key `["CONNECTOR",{partition}]`, value the offset (a tombstone
/// removes it). Writes wait for the broker; reads come from what was read of the topic.
pub struct KafkaOffsetStore {
    topic: String,
    producer: BaseProducer<LoggingContext>,
    log: tokio::sync::Mutex<KafkaLog>,
    data: Mutex<BTreeMap<String, Json>>,
}

impl KafkaOffsetStore {
    pub fn new(
        worker: &WorkerConfig,
        log: KafkaLog,
    ) -> Result<KafkaOffsetStore, rdkafka::error::KafkaError> {
        let mut props = worker.client_props("producer.");
        props.insert("enable.idempotence".into(), "true".into());
        props.insert("acks".into(), "all".into());
        let producer = kafka::create_client("producer", &props, LoggingContext)?;
        Ok(KafkaOffsetStore {
            topic: log.topic().to_string(),
            producer,
            log: tokio::sync::Mutex::new(log),
            data: Mutex::new(BTreeMap::new()),
        })
    }

    /// Reads what other workers wrote, so that a task taken over resumes where it was.
    pub async fn refresh(&self) -> Result<(), crate::kafka::compacted_topic::LogError> {
        let mut log = self.log.lock().await;
        let mut data = self.data.lock().unwrap_or_else(|p| p.into_inner());
        log.read_to_end(|r| {
            let key = String::from_utf8_lossy(&r.key).into_owned();
            match r
                .value
                .and_then(|v| serde_json::from_slice::<Json>(&v).ok())
            {
                Some(v) => {
                    data.insert(key, v);
                }
                None => {
                    data.remove(&key);
                }
            }
        })
    }

    fn write(&self, entries: Vec<(String, Option<Json>)>) -> Result<(), OffsetStoreError> {
        let err = |e: rdkafka::error::KafkaError| OffsetStoreError::Write {
            path: self.topic.clone(),
            source: std::io::Error::other(e.to_string()),
        };
        for (key, value) in &entries {
            let bytes = value.as_ref().map(|v| v.to_string());
            let mut record = BaseRecord::<str, str>::to(&self.topic).key(key.as_str());
            if let Some(b) = bytes.as_deref() {
                record = record.payload(b);
            }
            loop {
                match self.producer.send(record) {
                    Ok(()) => break,
                    Err((e, back)) => {
                        if !matches!(
                            e,
                            rdkafka::error::KafkaError::MessageProduction(
                                rdkafka::types::RDKafkaErrorCode::QueueFull
                            )
                        ) {
                            return Err(err(e));
                        }
                        record = back;
                        self.producer.poll(Duration::from_millis(10));
                    }
                }
            }
        }
        self.producer.flush(FLUSH_TIMEOUT).map_err(err)?;
        let mut data = self.data.lock().unwrap_or_else(|p| p.into_inner());
        for (key, value) in entries {
            match value {
                Some(v) => data.insert(key, v),
                None => data.remove(&key),
            };
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl OffsetStore for KafkaOffsetStore {
    async fn catch_up(&self) -> Result<(), String> {
        self.refresh().await.map_err(|e| e.to_string())
    }
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap> {
        let data = self.data.lock().unwrap_or_else(|p| p.into_inner());
        match data.get(&offset_key(connector, partition)) {
            Some(Json::Object(m)) => Some(m.clone()),
            _ => None,
        }
    }

    fn commit(
        &self,
        connector: &str,
        offsets: &[(Arc<OffsetMap>, OffsetMap)],
    ) -> Result<(), OffsetStoreError> {
        self.write(
            offsets
                .iter()
                .map(|(p, o)| (offset_key(connector, p), Some(Json::Object(o.clone()))))
                .collect(),
        )
    }

    fn connector_offsets(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)> {
        let data = self.data.lock().unwrap_or_else(|p| p.into_inner());
        connector_entries(&data, connector)
    }

    fn alter(
        &self,
        connector: &str,
        offsets: &[(OffsetMap, Option<OffsetMap>)],
    ) -> Result<(), OffsetStoreError> {
        self.write(
            offsets
                .iter()
                .map(|(p, o)| (offset_key(connector, p), o.clone().map(Json::Object)))
                .collect(),
        )
    }

    fn reset(&self, connector: &str) -> Result<(), OffsetStoreError> {
        let partitions: Vec<(String, Option<Json>)> = self
            .connector_offsets(connector)
            .into_iter()
            .map(|(p, _)| (offset_key(connector, &p), None))
            .collect();
        self.write(partitions)
    }
}
