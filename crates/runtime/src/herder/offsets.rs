//! The offsets REST API (KIP-875) for both herders: source offsets from the offset store, sink
//! offsets from the consumer group, changed only while the connector is STOPPED.

use ferry_api::{Connector, ConnectorKind, OffsetMap, Props};

use crate::config::worker::WorkerConfig;
use crate::herder::{ConnectorOffset, ConnectorOffsets, HerderError, TargetState};
use crate::storage::offset_store::OffsetStore;
use crate::storage::sink_offsets;

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
            ConnectorKind::Sink => {
                tokio::task::block_in_place(|| sink_offsets::read(self.worker, self.name))?
            }
        };
        Ok(ConnectorOffsets { offsets })
    }

    /// Alters the offsets once the connector accepts them (Kafka's `Connector.alterOffsets`); a
    /// refusal is a 500 with the connector's words, as Kafka answers it.
    pub fn alter_checked(
        &self,
        connector: &dyn Connector,
        offsets: ConnectorOffsets,
    ) -> Result<String, HerderError> {
        if offsets.offsets.is_empty() {
            return Err(HerderError::BadRequest(NO_OFFSETS.into()));
        }
        let pairs: Vec<(OffsetMap, Option<OffsetMap>)> = offsets
            .offsets
            .iter()
            .map(|o| (o.partition.clone(), o.offset.clone()))
            .collect();
        let complete = connector
            .alter_offsets(self.config, &pairs)
            .map_err(|e| HerderError::Internal(e.to_string()))?;
        self.write(offsets)?;
        Ok(altered_message(complete))
    }

    fn write(&self, offsets: ConnectorOffsets) -> Result<(), HerderError> {
        if offsets.offsets.is_empty() {
            return Err(HerderError::BadRequest(NO_OFFSETS.into()));
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
        Ok(())
    }

    /// Resets the offsets once the connector accepts it: Kafka hands the connector every known
    /// partition with a null offset.
    pub async fn reset_checked(&self, connector: &dyn Connector) -> Result<String, HerderError> {
        let pairs: Vec<(OffsetMap, Option<OffsetMap>)> = self
            .read()?
            .offsets
            .into_iter()
            .map(|o| (o.partition, None))
            .collect();
        let complete = connector
            .alter_offsets(self.config, &pairs)
            .map_err(|e| HerderError::Internal(e.to_string()))?;
        self.clear().await?;
        Ok(reset_message(complete))
    }

    async fn clear(&self) -> Result<(), HerderError> {
        match self.kind {
            ConnectorKind::Source => {
                tokio::task::block_in_place(|| self.store.reset(self.name)).map_err(internal)?
            }
            ConnectorKind::Sink => sink_offsets::reset(self.worker, self.name, self.config).await?,
        }
        Ok(())
    }
}

/// Kafka's answer to an alter request without offsets.
const NO_OFFSETS: &str = "Partitions / offsets need to be provided for an alter offsets request";

/// Kafka's answer once offsets were altered; `complete` is the connector's own verdict.
fn altered_message(complete: bool) -> String {
    if complete {
        "The offsets for this connector have been altered successfully".into()
    } else {
        "The Connect framework-managed offsets for this connector have been altered successfully. However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses.".into()
    }
}

/// Kafka's answer once offsets were reset; `complete` is the connector's own verdict.
fn reset_message(complete: bool) -> String {
    if complete {
        "The offsets for this connector have been reset successfully".into()
    } else {
        "The Connect framework-managed offsets for this connector have been reset successfully. However, if this connector manages offsets externally, they will need to be manually reset in the system that the connector uses.".into()
    }
}
