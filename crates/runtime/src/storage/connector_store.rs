//! Connectors of a standalone worker, kept beside the offsets file so that connectors created,
//! changed, paused or stopped over REST survive a restart (Kafka's standalone mode forgets them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ferry_api::Props;
use serde::{Deserialize, Serialize};

use crate::entities::TargetState;
use crate::storage::atomic_file::write_atomically;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredConnector {
    pub config: Props,
    pub target_state: TargetState,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StoredConnectors {
    connectors: BTreeMap<String, StoredConnector>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectorStoreError {
    #[error("cannot read the connectors file {path}: {message}")]
    Read { path: String, message: String },
    #[error("cannot write the connectors file {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

pub struct ConnectorStore {
    path: PathBuf,
}

impl ConnectorStore {
    /// The store for a worker whose offsets live in `offsets_file`: `<offsets_file>.connectors.json`.
    pub fn beside(offsets_file: &Path) -> ConnectorStore {
        let mut name = offsets_file.as_os_str().to_owned();
        name.push(".connectors.json");
        ConnectorStore {
            path: PathBuf::from(name),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn load(&self) -> Result<BTreeMap<String, StoredConnector>, ConnectorStoreError> {
        let err = |message: String| ConnectorStoreError::Read {
            path: self.path.display().to_string(),
            message,
        };
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice::<StoredConnectors>(&bytes)
                .map(|s| s.connectors)
                .map_err(|e| err(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(err(e.to_string())),
        }
    }

    pub fn save(
        &self,
        connectors: &BTreeMap<String, StoredConnector>,
    ) -> Result<(), ConnectorStoreError> {
        let body = StoredConnectors {
            connectors: connectors.clone(),
        };
        let bytes = serde_json::to_vec_pretty(&body).unwrap_or_default();
        write_atomically(&self.path, &bytes).map_err(|source| ConnectorStoreError::Write {
            path: self.path.display().to_string(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connectors_round_trip_beside_the_offsets_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConnectorStore::beside(&dir.path().join("connect.offsets"));
        assert!(store.path().ends_with("connect.offsets.connectors.json"));
        assert!(store.load().unwrap().is_empty());
        let mut all = BTreeMap::new();
        all.insert(
            "c".to_string(),
            StoredConnector {
                config: [(
                    "connector.class".to_string(),
                    "FileStreamSource".to_string(),
                )]
                .into(),
                target_state: TargetState::Paused,
            },
        );
        store.save(&all).unwrap();
        assert_eq!(store.load().unwrap(), all);
    }
}
