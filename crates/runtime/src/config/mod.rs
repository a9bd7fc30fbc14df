//! Configurations: the worker's, each connector's (parsed once into typed values the task loops
//! use), config providers that fill in placeholders, and per-connector client overrides.

pub mod client_overrides;
pub mod connector;
pub mod properties;
pub mod providers;
pub mod worker;
