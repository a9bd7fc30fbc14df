//! Source offsets of a standalone worker, kept in `offset.storage.file.filename`.
//!
//! The file is a JSON object whose keys are the offsets-topic keys of distributed mode
//! (`["CONNECTOR",{partition}]`, as compact JSON) and whose values are the offset objects, so the
//! same pairs can move between modes. Each flush rewrites it atomically (temp file, fsync, rename).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ferry_api::{OffsetMap, OffsetReader};
use serde_json::Value as Json;

#[derive(Debug, thiserror::Error)]
pub enum OffsetStoreError {
    #[error("cannot read the offsets file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the offsets file {path} is not a JSON object of offsets: {message}")]
    Corrupt { path: String, message: String },
    #[error("cannot write the offsets file {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// The start of every key of one connector: `["NAME",`.
fn offset_key_prefix(connector: &str) -> String {
    let name = Json::String(connector.into()).to_string();
    format!("[{name},")
}

/// Every partition and offset of one connector among stored key/value pairs.
pub fn connector_entries(
    data: &BTreeMap<String, Json>,
    connector: &str,
) -> Vec<(OffsetMap, OffsetMap)> {
    data.iter()
        .filter_map(|(k, v)| {
            let key: Json = serde_json::from_str(k).ok()?;
            let [Json::String(name), Json::Object(partition)] = key.as_array()?.as_slice() else {
                return None;
            };
            match (name == connector, v) {
                (true, Json::Object(offset)) => Some((partition.clone(), offset.clone())),
                _ => None,
            }
        })
        .collect()
}

/// The key under which a connector's partition is stored, as in the offsets topic.
pub fn offset_key(connector: &str, partition: &OffsetMap) -> String {
    Json::Array(vec![
        Json::String(connector.into()),
        Json::Object(partition.clone()),
    ])
    .to_string()
}

/// Offsets of every source connector of this worker, persisted to one file.
#[derive(Debug)]
pub struct FileOffsetStore {
    path: PathBuf,
    data: Mutex<BTreeMap<String, Json>>,
    /// Serialises writers so that the newest data is also the last written.
    write_lock: Mutex<()>,
}

impl FileOffsetStore {
    /// Opens the store, reading what an earlier run left; a missing file is an empty store.
    pub fn open(path: impl Into<PathBuf>) -> Result<FileOffsetStore, OffsetStoreError> {
        let path = path.into();
        let display = path.display().to_string();
        let data = match std::fs::read(&path) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => BTreeMap::new(),
            Ok(bytes) => serde_json::from_slice::<BTreeMap<String, Json>>(&bytes).map_err(|e| {
                OffsetStoreError::Corrupt {
                    path: display.clone(),
                    message: e.to_string(),
                }
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(source) => {
                return Err(OffsetStoreError::Read {
                    path: display,
                    source,
                })
            }
        };
        Ok(FileOffsetStore {
            path,
            data: Mutex::new(data),
            write_lock: Mutex::new(()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap> {
        let key = offset_key(connector, partition);
        let data = self.data.lock().unwrap_or_else(|p| p.into_inner());
        match data.get(&key) {
            Some(Json::Object(m)) => Some(m.clone()),
            _ => None,
        }
    }

    /// Every stored partition and offset of one connector.
    pub fn connector_offsets(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)> {
        let data = self.data.lock().unwrap_or_else(|p| p.into_inner());
        connector_entries(&data, connector)
    }

    /// Records new offsets and writes the whole store to disk before returning.
    pub fn commit(
        &self,
        connector: &str,
        offsets: &[(Arc<OffsetMap>, OffsetMap)],
    ) -> Result<(), OffsetStoreError> {
        self.rewrite(|data| {
            for (partition, offset) in offsets {
                data.insert(
                    offset_key(connector, partition),
                    Json::Object(offset.clone()),
                );
            }
        })
    }

    /// Sets (or, for `None`, removes) offsets of the given partitions, as `PATCH .../offsets` asks.
    pub fn alter(
        &self,
        connector: &str,
        offsets: &[(OffsetMap, Option<OffsetMap>)],
    ) -> Result<(), OffsetStoreError> {
        self.rewrite(|data| {
            for (partition, offset) in offsets {
                let key = offset_key(connector, partition);
                match offset {
                    Some(o) => data.insert(key, Json::Object(o.clone())),
                    None => data.remove(&key),
                };
            }
        })
    }

    /// Removes every offset of a connector, as `DELETE .../offsets` asks.
    pub fn reset(&self, connector: &str) -> Result<(), OffsetStoreError> {
        let prefix = offset_key_prefix(connector);
        self.rewrite(|data| data.retain(|k, _| !k.starts_with(&prefix)))
    }

    /// Changes the data under the lock, then writes it out.
    fn rewrite(
        &self,
        change: impl FnOnce(&mut BTreeMap<String, Json>),
    ) -> Result<(), OffsetStoreError> {
        let _writer = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let snapshot = {
            let mut data = self.data.lock().unwrap_or_else(|p| p.into_inner());
            change(&mut data);
            serde_json::to_vec_pretty(&*data).unwrap_or_default()
        };
        self.write_atomically(&snapshot)
    }

    fn write_atomically(&self, bytes: &[u8]) -> Result<(), OffsetStoreError> {
        crate::atomic_file::write_atomically(&self.path, bytes).map_err(|source| {
            OffsetStoreError::Write {
                path: self.path.display().to_string(),
                source,
            }
        })
    }
}

/// What a source task sees of the store: its own connector's offsets.
pub struct ConnectorOffsetReader {
    pub store: Arc<dyn crate::offset_store::OffsetStore>,
    pub connector: String,
}

impl OffsetReader for ConnectorOffsetReader {
    fn offset(&self, partition: &OffsetMap) -> Option<OffsetMap> {
        self.store.get(&self.connector, partition)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(k: &str, v: Json) -> OffsetMap {
        let mut m = OffsetMap::new();
        m.insert(k.into(), v);
        m
    }

    #[test]
    fn offsets_survive_a_reopen_in_the_distributed_key_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/connect.offsets");
        let store = FileOffsetStore::open(&path).unwrap();
        let partition = Arc::new(map("filename", "/tmp/test.txt".into()));
        store
            .commit(
                "local-file-source",
                &[(partition.clone(), map("position", 1234.into()))],
            )
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(r#""[\"local-file-source\",{\"filename\":\"/tmp/test.txt\"}]""#),
            "{text}"
        );
        let reopened = FileOffsetStore::open(&path).unwrap();
        assert_eq!(
            reopened.get("local-file-source", &partition),
            Some(map("position", 1234.into()))
        );
        assert_eq!(reopened.get("other", &partition), None);
        assert_eq!(reopened.connector_offsets("local-file-source").len(), 1);
    }

    #[test]
    fn a_corrupt_file_is_an_error_not_an_empty_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connect.offsets");
        std::fs::write(&path, "not json").unwrap();
        let err = FileOffsetStore::open(&path).unwrap_err();
        assert!(err.to_string().contains("not a JSON object"), "{err}");
    }
}
