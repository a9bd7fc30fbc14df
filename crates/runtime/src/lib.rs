//! The ferry worker, laid out as Kafka Connect's runtime is:
//!
//! - [`config`]: worker and connector configurations, config providers, client overrides;
//! - [`plugins`]: the registry of connectors, converters, transforms and predicates, and their
//!   descriptions and validation for the REST API;
//! - [`worker`]: running connectors and tasks — the source and sink task loops;
//! - [`errors`]: what happens to a record that fails on its way (KIP-298);
//! - [`storage`]: where offsets and standalone connectors are kept;
//! - [`kafka`]: Kafka clients and topic creation;
//! - [`herder`]: the control plane the REST API talks to, and the standalone herder;
//! - [`distributed`]: the distributed herder, its group membership and internal topics.

pub mod config;
pub mod distributed;
pub mod entities;
pub mod errors;
pub mod herder;
pub mod kafka;
pub mod metrics;
pub mod plugins;
pub mod storage;
pub mod worker;
