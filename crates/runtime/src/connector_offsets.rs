//! The offsets REST API (KIP-875) for both herders: source offsets from the offset store, sink
//! offsets from the consumer group, changed only while the connector is STOPPED.

use ferry_api::{ConnectorKind, Props};

use crate::herder::{ConnectorOffset, ConnectorOffsets, HerderError, TargetState};
use crate::offset_store::OffsetStore;
use crate::sink_offsets;
use crate::worker_config::WorkerConfig;

/// One connector's offsets, and where they live.
pub struct Offsets<'a> {
    pub name: &'a str,
    pub kind: ConnectorKind,
    pub config: &'a Props,
    pub store: &'a dyn OffsetStore,
    pub worker: &'a WorkerConfig,
}

/// Offsets may be changed only for a stopped connector, as in Kafka.
pub fn require_stopped(name: &str, target: TargetState) -> Result<(), HerderError> {
    if target == TargetState::Stopped {
        return Ok(());
    }
    Err(HerderError::BadRequest(format!(
        "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
    )))
}

fn internal(e: impl std::fmt::Display) -> HerderError {
    HerderError::Internal(e.to_string())
}

impl Offsets<'_> {
    pub fn read(&self) -> Result<ConnectorOffsets, HerderError> {
        let offsets = match self.kind {
            ConnectorKind::Source => self
                .store
                .connector_offsets(self.name)
                .into_iter()
                .map(|(partition, offset)| ConnectorOffset {
                    partition,
                    offset: Some(offset),
                })
                .collect(),
            ConnectorKind::Sink => tokio::task::block_in_place(|| {
                sink_offsets::read(self.worker, self.name, self.config)
            })?,
        };
        Ok(ConnectorOffsets { offsets })
    }

    pub fn alter(&self, offsets: ConnectorOffsets) -> Result<String, HerderError> {
        if offsets.offsets.is_empty() {
            return Err(HerderError::BadRequest(
                "The offsets to be altered may not be null or empty".into(),
            ));
        }
        match self.kind {
            ConnectorKind::Source => {
                if offsets.offsets.iter().any(|o| o.partition.is_empty()) {
                    return Err(HerderError::BadRequest(
                        "Source partitions may not be null or empty".into(),
                    ));
                }
                let entries: Vec<_> = offsets
                    .offsets
                    .into_iter()
                    .map(|o| (o.partition, o.offset))
                    .collect();
                tokio::task::block_in_place(|| self.store.alter(self.name, &entries))
                    .map_err(internal)?;
            }
            ConnectorKind::Sink => {
                let parsed = sink_offsets::parse(&offsets.offsets)?;
                tokio::task::block_in_place(|| {
                    sink_offsets::write(self.worker, self.name, &parsed)
                })?;
            }
        }
        Ok("The offsets for this connector have been altered successfully".into())
    }

    pub async fn reset(&self) -> Result<String, HerderError> {
        match self.kind {
            ConnectorKind::Source => {
                tokio::task::block_in_place(|| self.store.reset(self.name)).map_err(internal)?
            }
            ConnectorKind::Sink => sink_offsets::reset(self.worker, self.name, self.config).await?,
        }
        Ok("The offsets for this connector have been reset successfully".into())
    }
}
