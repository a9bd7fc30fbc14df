//! Where a worker keeps what must outlive it: source offsets (a file or the offsets topic), sink
//! offsets (the consumer group), and a standalone worker's connectors. Each store owns its keys
//! and format.

pub mod atomic_file;
pub mod connector_store;
pub mod java_serialization;
pub mod offset_store;
pub mod offsets_file;
pub mod sink_offsets;
