//! The ferry worker: task loops, offset stores, herders and the plugin registry.

pub mod atomic_file;
pub mod client_overrides;
pub mod config_providers;
pub mod connector_config;
pub mod connector_offsets;
pub mod connector_store;
pub mod distributed;
pub mod error_handling;
pub mod herder;
pub mod java_serialization;
pub mod kafka;
pub mod offset_store;
pub mod offsets;
pub mod plugins;
pub mod properties;
pub mod sink_offsets;
pub mod sink_worker;
pub mod source_worker;
pub mod standalone;
pub mod status;
pub mod submitted;
pub mod task;
pub mod task_control;
pub mod validation;
pub mod worker;
pub mod worker_config;
