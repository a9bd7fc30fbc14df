//! Source offsets of a standalone worker, kept in `offset.storage.file.filename`.
//!
//! The file is Kafka Connect's own (`FileOffsetBackingStore`): a Java-serialized
//! `HashMap<byte[], byte[]>` whose keys and values are the bytes of the offsets topic of
//! distributed mode — key `["CONNECTOR",{partition}]`, value the offset object as JSON, or null —
//! so Apache Kafka Connect and ferry can take over each other's standalone workers. ferry's former
//! format (a JSON object of the same keys and values) is still read, and replaced by Kafka's on the
//! first write. Each write replaces the file atomically (temp file, fsync, rename).
//!
//! Keys are kept with the bytes they were read with, so a key Java wrote goes back to Java as it
//! was; they are looked up by their JSON with object fields sorted, so a partition is found
//! whatever order its fields were written in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ferry_api::{OffsetMap, OffsetReader};
use serde_json::Value as Json;

use crate::storage::java_serialization::{read_byte_map, write_byte_map, STREAM_HEADER};

#[derive(Debug, thiserror::Error)]
pub enum OffsetStoreError {
    #[error("cannot read the offsets file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the offsets file {path} cannot be read: {message}")]
    Corrupt { path: String, message: String },
    #[error("cannot write the offsets file {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Every partition and offset of one connector among stored key/value pairs.
pub fn connector_entries(
    data: &BTreeMap<String, Json>,
    connector: &str,
) -> Vec<(OffsetMap, OffsetMap)> {
    data.iter()
        .filter_map(|(k, v)| {
            let (name, partition) = parse_key(k.as_bytes())?;
            match (name == connector, v) {
                (true, Json::Object(offset)) => Some((partition, offset.clone())),
                _ => None,
            }
        })
        .collect()
}

/// The key under which a connector's partition is stored, as in the offsets topic.
pub fn offset_key(connector: &str, partition: &OffsetMap) -> String {
    key_json(connector, partition).to_string()
}

fn key_json(connector: &str, partition: &OffsetMap) -> Json {
    Json::Array(vec![
        Json::String(connector.into()),
        Json::Object(partition.clone()),
    ])
}

/// JSON text with the fields of every object in sorted order: one text per value, whatever order
/// its writer chose.
fn canonical(value: &Json) -> String {
    fn write(value: &Json, out: &mut String) {
        match value {
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            Json::Object(fields) => {
                let mut fields: Vec<_> = fields.iter().collect();
                fields.sort_by(|a, b| a.0.cmp(b.0));
                out.push('{');
                for (i, (name, item)) in fields.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Json::String(name.clone()).to_string());
                    out.push(':');
                    write(item, out);
                }
                out.push('}');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// What a stored key is looked up by: its canonical JSON (its text, if it is not JSON).
fn lookup_key(key: &[u8]) -> String {
    match serde_json::from_slice::<Json>(key) {
        Ok(json) => canonical(&json),
        Err(_) => String::from_utf8_lossy(key).into_owned(),
    }
}

/// The connector and partition a key names, if it is one of `["CONNECTOR",{partition}]`.
fn parse_key(key: &[u8]) -> Option<(String, OffsetMap)> {
    let json: Json = serde_json::from_slice(key).ok()?;
    match json {
        Json::Array(items) => match <[Json; 2]>::try_from(items).ok()? {
            [Json::String(name), Json::Object(partition)] => Some((name, partition)),
            _ => None,
        },
        _ => None,
    }
}

/// An offset value's object, if it is one (a null value is no offset).
fn parse_offset(value: Option<&[u8]>) -> Option<OffsetMap> {
    match serde_json::from_slice::<Json>(value?).ok()? {
        Json::Object(offset) => Some(offset),
        _ => None,
    }
}

/// One pair of the file, as bytes: what Kafka Connect's store holds.
#[derive(Debug, Clone, PartialEq)]
struct Stored {
    key: Vec<u8>,
    value: Option<Vec<u8>>,
}

/// The pairs of a file, by lookup key; which of the two formats it was in.
type Loaded = (BTreeMap<String, Stored>, Format);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Java,
    FerryJson,
    Empty,
}

/// Reads either format, told apart by Java's stream magic.
fn parse_file(bytes: &[u8]) -> Result<Loaded, String> {
    let mut data = BTreeMap::new();
    if bytes.starts_with(&STREAM_HEADER[..2]) {
        let entries = read_byte_map(bytes).map_err(|e| {
            format!("it is not Kafka Connect's offsets file (a Java-serialized HashMap<byte[], byte[]>): {e}")
        })?;
        for (key, value) in entries {
            let Some(key) = key else {
                tracing::warn!("the offsets file holds a null key; it is dropped");
                continue;
            };
            data.insert(lookup_key(&key), Stored { key, value });
        }
        return Ok((data, Format::Java));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok((data, Format::Empty));
    }
    let old = serde_json::from_slice::<BTreeMap<String, Json>>(bytes).map_err(|e| {
        format!(
            "it is neither Kafka Connect's offsets file (Java serialization, starting with 0xACED) \
             nor ferry's former JSON object of offsets: {e}"
        )
    })?;
    for (key, value) in old {
        let value = (!value.is_null()).then(|| value.to_string().into_bytes());
        let key = key.into_bytes();
        data.insert(lookup_key(&key), Stored { key, value });
    }
    Ok((data, Format::FerryJson))
}

/// Offsets of every source connector of this worker, persisted to one file.
#[derive(Debug)]
pub struct FileOffsetStore {
    path: PathBuf,
    data: Mutex<BTreeMap<String, Stored>>,
    /// Serialises writers so that the newest data is also the last written.
    write_lock: Mutex<()>,
}

impl FileOffsetStore {
    /// Opens the store, reading what an earlier run left (of ferry's or of Kafka Connect's); a
    /// missing or empty file is an empty store.
    pub fn open(path: impl Into<PathBuf>) -> Result<FileOffsetStore, OffsetStoreError> {
        let path = path.into();
        let shown = path.display().to_string();
        let data = match std::fs::read(&path) {
            Ok(bytes) => {
                let (data, format) =
                    parse_file(&bytes).map_err(|message| OffsetStoreError::Corrupt {
                        path: shown.clone(),
                        message,
                    })?;
                if format == Format::FerryJson {
                    tracing::info!(
                        path = shown.as_str(),
                        entries = data.len(),
                        "read offsets in ferry's former JSON format; the next commit writes \
                         them in Kafka Connect's format"
                    );
                }
                data
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(source) => {
                return Err(OffsetStoreError::Read {
                    path: shown,
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
        let key = canonical(&key_json(connector, partition));
        let data = self.data.lock().unwrap_or_else(|p| p.into_inner());
        parse_offset(data.get(&key)?.value.as_deref())
    }

    /// Every stored partition and offset of one connector.
    pub fn connector_offsets(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)> {
        let data = self.data.lock().unwrap_or_else(|p| p.into_inner());
        data.values()
            .filter_map(|s| {
                let (name, partition) = parse_key(&s.key)?;
                (name == connector)
                    .then(|| parse_offset(s.value.as_deref()))
                    .flatten()
                    .map(|offset| (partition, offset))
            })
            .collect()
    }

    /// Records new offsets and writes the whole store to disk before returning.
    pub fn commit(
        &self,
        connector: &str,
        offsets: &[(Arc<OffsetMap>, OffsetMap)],
    ) -> Result<(), OffsetStoreError> {
        self.rewrite(|data| {
            for (partition, offset) in offsets {
                set(data, connector, partition, Some(offset));
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
                set(data, connector, partition, offset.as_ref());
            }
        })
    }

    /// Removes every offset of a connector, as `DELETE .../offsets` asks.
    pub fn reset(&self, connector: &str) -> Result<(), OffsetStoreError> {
        self.rewrite(|data| {
            data.retain(|_, s| !matches!(parse_key(&s.key), Some((name, _)) if name == connector))
        })
    }

    /// Changes the data, writes it out, and only then lets readers see it: an offset that
    /// `GET .../offsets` shows is already on disk (a kill -9 right after cannot lose it).
    fn rewrite(
        &self,
        change: impl FnOnce(&mut BTreeMap<String, Stored>),
    ) -> Result<(), OffsetStoreError> {
        let _writer = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut next = self.data.lock().unwrap_or_else(|p| p.into_inner()).clone();
        change(&mut next);
        let snapshot = write_byte_map(
            next.values()
                .map(|s| (Some(s.key.as_slice()), s.value.as_deref())),
        )
        .map_err(|e| OffsetStoreError::Write {
            path: self.path.display().to_string(),
            source: std::io::Error::other(e),
        })?;
        self.write_atomically(&snapshot)?;
        *self.data.lock().unwrap_or_else(|p| p.into_inner()) = next;
        Ok(())
    }

    fn write_atomically(&self, bytes: &[u8]) -> Result<(), OffsetStoreError> {
        crate::storage::atomic_file::write_atomically(&self.path, bytes).map_err(|source| {
            OffsetStoreError::Write {
                path: self.path.display().to_string(),
                source,
            }
        })
    }
}

/// Sets one partition's offset (`None` removes it), keeping the key's bytes if it is stored.
fn set(
    data: &mut BTreeMap<String, Stored>,
    connector: &str,
    partition: &OffsetMap,
    offset: Option<&OffsetMap>,
) {
    let key = key_json(connector, partition);
    let lookup = canonical(&key);
    let Some(offset) = offset else {
        data.remove(&lookup);
        return;
    };
    let value = Some(Json::Object(offset.clone()).to_string().into_bytes());
    data.entry(lookup)
        .and_modify(|s| s.value = value.clone())
        .or_insert_with(|| Stored {
            key: key.to_string().into_bytes(),
            value,
        });
}

/// What a source task sees of the store: its own connector's offsets.
pub struct ConnectorOffsetReader {
    pub store: Arc<dyn crate::storage::offset_store::OffsetStore>,
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

    fn java_fixture(name: &str) -> Vec<u8> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/java_offsets")
            .join(name);
        std::fs::read(&path).unwrap()
    }

    #[test]
    fn offsets_are_written_as_kafka_connect_writes_them() {
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
        // Exactly the bytes Java's FileOffsetBackingStore writes for this offset.
        assert_eq!(std::fs::read(&path).unwrap(), java_fixture("one.bin"));
        let reopened = FileOffsetStore::open(&path).unwrap();
        assert_eq!(
            reopened.get("local-file-source", &partition),
            Some(map("position", 1234.into()))
        );
        assert_eq!(reopened.get("other", &partition), None);
        assert_eq!(reopened.connector_offsets("local-file-source").len(), 1);
    }

    #[test]
    fn a_file_java_wrote_is_read_with_its_null_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connect.offsets");
        std::fs::write(&path, java_fixture("many.bin")).unwrap();
        let store = FileOffsetStore::open(&path).unwrap();
        let partition = |i: u32| map("filename", format!("/data/{i}.txt").into());
        assert_eq!(
            store.get("conn-7", &partition(7)),
            Some(map("position", 700.into()))
        );
        assert_eq!(store.get("conn-5", &partition(5)), None, "a null value");
        assert_eq!(
            store.connector_offsets("conn-19"),
            vec![(partition(19), map("position", 1900.into()))]
        );
        assert!(store.connector_offsets("conn-10").is_empty());

        // A write keeps every other pair, null values included.
        store
            .commit(
                "conn-7",
                &[(Arc::new(partition(7)), map("position", 701.into()))],
            )
            .unwrap();
        let entries = read_byte_map(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(entries.len(), 20);
        assert_eq!(entries.iter().filter(|(_, v)| v.is_none()).count(), 4);
        assert!(entries.contains(&(
            Some(br#"["conn-7",{"filename":"/data/7.txt"}]"#.to_vec()),
            Some(br#"{"position":701}"#.to_vec())
        )));
    }

    #[test]
    fn a_partition_is_found_whatever_its_field_order_and_keeps_javas_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connect.offsets");
        let java_key = br#"["db",{"table":"t","protocol":"1"}]"#.as_slice();
        let bytes = write_byte_map([(Some(java_key), Some(br#"{"id":5}"#.as_slice()))]).unwrap();
        std::fs::write(&path, bytes).unwrap();
        let store = FileOffsetStore::open(&path).unwrap();
        let mut partition = map("protocol", "1".into());
        partition.insert("table".into(), "t".into());
        assert_eq!(store.get("db", &partition), Some(map("id", 5.into())));
        store
            .commit("db", &[(Arc::new(partition), map("id", 6.into()))])
            .unwrap();
        let entries = read_byte_map(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            entries,
            vec![(Some(java_key.to_vec()), Some(br#"{"id":6}"#.to_vec()))]
        );
    }

    #[test]
    fn ferrys_former_json_file_is_read_and_converted_on_the_first_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connect.offsets");
        let old = serde_json::json!({
            r#"["a",{"filename":"/a"}]"#: {"position": 10},
            r#"["b",{"filename":"/b"}]"#: {"position": 20},
        });
        std::fs::write(&path, serde_json::to_vec_pretty(&old).unwrap()).unwrap();
        let store = FileOffsetStore::open(&path).unwrap();
        assert_eq!(
            store.get("a", &map("filename", "/a".into())),
            Some(map("position", 10.into()))
        );
        store
            .commit(
                "b",
                &[(
                    Arc::new(map("filename", "/b".into())),
                    map("position", 21.into()),
                )],
            )
            .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.starts_with(&STREAM_HEADER));
        let mut entries = read_byte_map(&bytes).unwrap();
        entries.sort();
        assert_eq!(
            entries,
            vec![
                (
                    Some(br#"["a",{"filename":"/a"}]"#.to_vec()),
                    Some(br#"{"position":10}"#.to_vec())
                ),
                (
                    Some(br#"["b",{"filename":"/b"}]"#.to_vec()),
                    Some(br#"{"position":21}"#.to_vec())
                ),
            ]
        );
    }

    #[test]
    fn alter_and_reset_remove_only_what_they_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connect.offsets");
        std::fs::write(&path, java_fixture("many.bin")).unwrap();
        let store = FileOffsetStore::open(&path).unwrap();
        store
            .alter("conn-1", &[(map("filename", "/data/1.txt".into()), None)])
            .unwrap();
        store.reset("conn-2").unwrap();
        let reopened = FileOffsetStore::open(&path).unwrap();
        assert!(reopened.connector_offsets("conn-1").is_empty());
        assert!(reopened.connector_offsets("conn-2").is_empty());
        assert_eq!(reopened.connector_offsets("conn-3").len(), 1);
        assert_eq!(
            read_byte_map(&std::fs::read(&path).unwrap()).unwrap().len(),
            18
        );
    }

    #[test]
    fn an_empty_file_is_an_empty_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connect.offsets");
        std::fs::write(&path, "").unwrap();
        assert!(FileOffsetStore::open(&path)
            .unwrap()
            .connector_offsets("x")
            .is_empty());
    }

    #[test]
    fn a_corrupt_file_is_an_error_not_an_empty_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connect.offsets");
        std::fs::write(&path, "not json").unwrap();
        let err = FileOffsetStore::open(&path).unwrap_err();
        assert!(err.to_string().contains("former JSON object"), "{err}");

        // Java would start from nothing on a cut file; ferry refuses rather than re-read everything.
        let java = java_fixture("one.bin");
        std::fs::write(&path, &java[..java.len() - 3]).unwrap();
        let err = FileOffsetStore::open(&path).unwrap_err();
        assert!(err.to_string().contains("ends early"), "{err}");
    }
}
