//! The worker keys only distributed mode reads, declared in one `ConfigDef`.

use std::time::Duration;

use ferry_api::config::validators;
use ferry_api::{ConfigDef, ConfigType, Importance, ParsedConfig};

use super::protocol::Protocol;
use crate::config::worker::{WorkerConfig, WorkerConfigError};

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .required("group.id", ConfigType::String, Importance::High, "A unique string that identifies the Connect cluster group this worker belongs to.")
        .validate_with(validators::non_empty_string())
        .required("config.storage.topic", ConfigType::String, Importance::High, "The name of the Kafka topic where connector configurations are stored")
        .validate_with(validators::non_empty_string())
        .optional("config.storage.replication.factor", ConfigType::Short, Some("3"), Importance::Low, "Replication factor used when creating the configuration storage topic (-1: the broker's default)")
        .required("offset.storage.topic", ConfigType::String, Importance::High, "The name of the Kafka topic where source connector offsets are stored")
        .validate_with(validators::non_empty_string())
        .optional("offset.storage.partitions", ConfigType::Int, Some("25"), Importance::Low, "The number of partitions used when creating the offset storage topic")
        .optional("offset.storage.replication.factor", ConfigType::Short, Some("3"), Importance::Low, "Replication factor used when creating the offset storage topic")
        .required("status.storage.topic", ConfigType::String, Importance::High, "The name of the Kafka topic where connector and task status are stored")
        .validate_with(validators::non_empty_string())
        .optional("status.storage.partitions", ConfigType::Int, Some("5"), Importance::Low, "The number of partitions used when creating the status storage topic")
        .optional("status.storage.replication.factor", ConfigType::Short, Some("3"), Importance::Low, "Replication factor used when creating the status storage topic")
        .optional("connect.protocol", ConfigType::String, Some("sessioned"), Importance::Low, "Compatibility mode for Kafka Connect Protocol: eager, compatible or sessioned")
        .validate_with(validators::one_of(&["eager", "default", "compatible", "sessioned"]))
        .optional("scheduled.rebalance.max.delay.ms", ConfigType::Int, Some("300000"), Importance::Low, "The maximum delay that is scheduled in order to wait for the return of one or more departed workers before rebalancing and reassigning their connectors and tasks to the group.")
        .validate_with(validators::at_least(0))
        .optional("session.timeout.ms", ConfigType::Int, Some("10000"), Importance::High, "The timeout used to detect worker failures.")
        .optional("heartbeat.interval.ms", ConfigType::Int, Some("3000"), Importance::High, "The expected time between heartbeats to the group coordinator.")
        .optional("rebalance.timeout.ms", ConfigType::Int, Some("60000"), Importance::High, "The maximum allowed time for each worker to join the group once a rebalance has begun.")
        .optional("inter.worker.key.ttl.ms", ConfigType::Int, Some("3600000"), Importance::Low, "The TTL of generated session keys used for internal request validation (in milliseconds)")
        .validate_with(validators::at_least(0))
        .optional("inter.worker.signature.algorithm", ConfigType::String, Some("HmacSHA256"), Importance::Low, "The algorithm used to sign internal requests")
        .validate_with(validators::one_of(&["HmacSHA256"]))
        .optional("inter.worker.verification.algorithms", ConfigType::String, Some("HmacSHA256"), Importance::Low, "A list of permitted algorithms for verifying internal requests")
        .validate_with(validators::one_of(&["HmacSHA256"]))
        .optional("inter.worker.key.generation.algorithm", ConfigType::String, Some("HmacSHA256"), Importance::Low, "The algorithm to use for generating internal request keys")
        .validate_with(validators::one_of(&["HmacSHA256"]))
        .optional("worker.sync.timeout.ms", ConfigType::Int, Some("3000"), Importance::Medium, "How long a worker waits to catch up with the config topic before giving up its work.")
}

/// Distributed mode's settings, parsed.
#[derive(Debug, Clone)]
pub struct DistributedSettings {
    pub group_id: String,
    pub config_topic: String,
    pub config_replication: i32,
    pub offset_topic: String,
    pub offset_partitions: i32,
    pub offset_replication: i32,
    pub status_topic: String,
    pub status_partitions: i32,
    pub status_replication: i32,
    pub protocol: Protocol,
    pub scheduled_rebalance_max_delay: Duration,
    pub session_timeout: Duration,
    pub heartbeat_interval: Duration,
    pub rebalance_timeout: Duration,
    /// How long a session key is used before the leader writes a new one.
    pub key_ttl: Duration,
}

fn millis(p: &ParsedConfig, key: &str) -> Duration {
    Duration::from_millis(p.int(key).unwrap_or(0).max(0) as u64)
}

impl DistributedSettings {
    pub fn new(worker: &WorkerConfig) -> Result<DistributedSettings, WorkerConfigError> {
        let p = config_def()
            .parse(worker.originals())
            .map_err(|problems| WorkerConfigError {
                problems: problems.into_iter().map(|p| p.message).collect(),
            })?;
        let s = |k: &str| p.string(k).unwrap_or_default().to_string();
        let i = |k: &str| p.int(k).unwrap_or(0);
        Ok(DistributedSettings {
            group_id: s("group.id"),
            config_topic: s("config.storage.topic"),
            config_replication: i("config.storage.replication.factor"),
            offset_topic: s("offset.storage.topic"),
            offset_partitions: i("offset.storage.partitions"),
            offset_replication: i("offset.storage.replication.factor"),
            status_topic: s("status.storage.topic"),
            status_partitions: i("status.storage.partitions"),
            status_replication: i("status.storage.replication.factor"),
            protocol: Protocol::from_name(p.string("connect.protocol").unwrap_or("sessioned"))
                .unwrap_or(Protocol::Sessioned),
            scheduled_rebalance_max_delay: millis(&p, "scheduled.rebalance.max.delay.ms"),
            session_timeout: millis(&p, "session.timeout.ms"),
            heartbeat_interval: millis(&p, "heartbeat.interval.ms"),
            rebalance_timeout: millis(&p, "rebalance.timeout.ms"),
            key_ttl: millis(&p, "inter.worker.key.ttl.ms"),
        })
    }
}
