//! Distributed mode: workers coordinated through Kafka, with Kafka Connect's internal topics and
//! group protocol.

pub mod assignor;
pub mod config_state;
pub mod heartbeat;
pub mod herder;
pub mod membership;
pub mod protocol;
pub mod session_key;
pub mod settings;
pub mod status_state;
