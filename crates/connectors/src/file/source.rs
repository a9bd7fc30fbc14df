//! FileStreamSource: every line of a file becomes a record; the file is tailed for new lines.
//!
//! Source partition `{"filename": PATH}`, offset `{"position": BYTES}` (the byte just after the
//! line's end), so a restart resumes after the last acknowledged line — the same keys as Kafka's
//! own FileStreamSource, so offsets carry over.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ferry_api::config::validators;
use ferry_api::{
    ConfigDef, ConfigType, ConnectError, Connector, ConnectorKind, Importance, OffsetMap, Props,
    Result, Schema, SourceRecord, SourceTask, SourceTaskContext, Task, Value,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};

use super::FILE_CONFIG;

pub const TOPIC_CONFIG: &str = "topic";
pub const BATCH_SIZE_CONFIG: &str = "batch.size";
const DEFAULT_BATCH_SIZE: &str = "2000";
/// How long a poll waits for new data before returning an empty batch.
const IDLE_WAIT: Duration = Duration::from_millis(250);
/// How often the absence of the file is logged while waiting for it.
const MISSING_FILE_LOG_EVERY: Duration = Duration::from_secs(10);
const READ_CHUNK: usize = 256 * 1024;

fn config_def() -> ConfigDef {
    ConfigDef::new()
        .optional(
            FILE_CONFIG,
            ConfigType::String,
            None,
            Importance::High,
            "Source filename. If not specified, the standard input will be used",
        )
        .required(
            TOPIC_CONFIG,
            ConfigType::String,
            Importance::High,
            "The topic to publish data to",
        )
        .validate_with(validators::non_empty_string())
        .optional(
            BATCH_SIZE_CONFIG,
            ConfigType::Int,
            Some(DEFAULT_BATCH_SIZE),
            Importance::Low,
            "The maximum number of records the source task can read from the file each time it is polled",
        )
        .validate_with(validators::at_least(1))
}

/// Checks the configuration and hands it, unchanged, to a single task.
#[derive(Default)]
pub struct FileStreamSourceConnector {
    props: Props,
}

impl Connector for FileStreamSourceConnector {
    fn kind(&self) -> ConnectorKind {
        ConnectorKind::Source
    }

    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    fn config_def(&self) -> ConfigDef {
        config_def()
    }

    fn start(&mut self, props: &Props) -> Result<()> {
        config_def().parse(props).map_err(|problems| {
            ConnectError::Config(
                problems
                    .iter()
                    .map(|p| p.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        self.props = props.clone();
        Ok(())
    }

    /// One file can only be read by one task, whatever `tasks.max` says.
    fn task_configs(&self, _max_tasks: usize) -> Result<Vec<Props>> {
        Ok(vec![self.props.clone()])
    }

    fn stop(&mut self) -> Result<()> {
        Ok(())
    }

    fn create_task(&self) -> Task {
        Task::Source(Box::new(FileStreamSourceTask::default()))
    }
}

/// Reads lines from the file (or standard input) and remembers the byte position after each.
#[derive(Default)]
pub struct FileStreamSourceTask {
    path: Option<PathBuf>,
    topic: String,
    batch_size: usize,
    partition: Arc<OffsetMap>,
    schema: Option<Arc<Schema>>,
    context: Option<SourceTaskContext>,
    input: Option<Box<dyn AsyncRead + Unpin + Send>>,
    /// Bytes read but not yet returned as lines.
    pending: Vec<u8>,
    /// File position of `pending[0]`.
    position: u64,
    /// Where `pending` has already been searched for a line end.
    scanned: usize,
    missing_since_log: Option<tokio::time::Instant>,
}

impl FileStreamSourceTask {
    /// Opens the file at the committed position; `None` while the file does not exist yet.
    async fn open(&mut self) -> Result<bool> {
        let Some(path) = &self.path else {
            self.input = Some(Box::new(tokio::io::stdin()));
            return Ok(true);
        };
        let mut file = match tokio::fs::File::open(path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let due = self
                    .missing_since_log
                    .is_none_or(|t| t.elapsed() >= MISSING_FILE_LOG_EVERY);
                if due {
                    tracing::warn!(
                        file = %path.display(),
                        "file not found; waiting for it to be created"
                    );
                    self.missing_since_log = Some(tokio::time::Instant::now());
                }
                return Ok(false);
            }
            Err(e) => {
                return Err(ConnectError::io(
                    format!("cannot open {}", path.display()),
                    e,
                ))
            }
        };
        let committed = self
            .context
            .as_ref()
            .and_then(|c| c.offsets.offset(&self.partition))
            .and_then(|o| o.get("position").and_then(serde_json::Value::as_u64));
        if let Some(position) = committed {
            tracing::info!(file = %path.display(), position, "resuming after the last committed line");
            file.seek(std::io::SeekFrom::Start(position))
                .await
                .map_err(|e| ConnectError::io(format!("cannot seek in {}", path.display()), e))?;
            self.position = position;
        } else {
            tracing::info!(file = %path.display(), "reading from the beginning of the file");
        }
        self.input = Some(Box::new(file));
        Ok(true)
    }

    /// Splits complete lines off `pending`, at most `batch_size` of them.
    fn take_lines(&mut self, out: &mut Vec<SourceRecord>) {
        let mut start = 0usize;
        let mut search = self.scanned;
        debug_assert!(search <= self.pending.len());
        while out.len() < self.batch_size {
            let Some(rel) = self.pending[search..].iter().position(|&b| b == b'\n') else {
                break;
            };
            let end = search + rel;
            let mut line = &self.pending[start..end];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            // Valid UTF-8 (the usual case) is copied once; anything else gets replacement characters.
            let text = match std::str::from_utf8(line) {
                Ok(valid) => valid.to_owned(),
                Err(_) => String::from_utf8_lossy(line).into_owned(),
            };
            let offset_after = self.position + (end + 1) as u64;
            out.push(self.record(text, offset_after));
            start = end + 1;
            search = start;
        }
        self.pending.drain(..start);
        self.position += start as u64;
        // Stopping short of a full batch means the rest holds no line end: don't search it again.
        self.scanned = if out.len() < self.batch_size {
            self.pending.len()
        } else {
            0
        };
    }

    fn record(&self, line: String, position: u64) -> SourceRecord {
        let mut offset = OffsetMap::new();
        if self.path.is_some() {
            offset.insert("position".into(), position.into());
        }
        SourceRecord::new(
            self.partition.clone(),
            offset,
            self.topic.clone(),
            self.schema.clone(),
            Value::String(line),
        )
    }
}

#[async_trait]
impl SourceTask for FileStreamSourceTask {
    async fn start(&mut self, props: &Props, context: SourceTaskContext) -> Result<()> {
        let parsed = config_def().parse(props).map_err(|problems| {
            ConnectError::Config(
                problems
                    .iter()
                    .map(|p| p.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        self.path = parsed
            .string(FILE_CONFIG)
            .filter(|f| !f.is_empty())
            .map(PathBuf::from);
        self.topic = parsed.string(TOPIC_CONFIG).unwrap_or_default().to_string();
        self.batch_size = parsed.int(BATCH_SIZE_CONFIG).unwrap_or(2000).max(1) as usize;
        let mut partition = OffsetMap::new();
        if let Some(path) = &self.path {
            partition.insert("filename".into(), path.display().to_string().into());
        }
        self.partition = Arc::new(partition);
        self.schema = Some(Arc::new(Schema::string()));
        self.context = Some(context);
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        if self.input.is_none() && !self.open().await? {
            tokio::time::sleep(IDLE_WAIT).await;
            return Ok(Vec::new());
        }
        let mut records = Vec::new();
        self.take_lines(&mut records);
        while records.len() < self.batch_size {
            let Some(input) = self.input.as_mut() else {
                break;
            };
            let old_len = self.pending.len();
            self.pending.resize(old_len + READ_CHUNK, 0);
            let read = input.read(&mut self.pending[old_len..]).await;
            let n = match read {
                Ok(n) => n,
                Err(e) => {
                    self.pending.truncate(old_len);
                    return Err(ConnectError::io("error reading the source file", e));
                }
            };
            self.pending.truncate(old_len + n);
            if n == 0 {
                break;
            }
            self.take_lines(&mut records);
        }
        if records.is_empty() {
            tokio::time::sleep(IDLE_WAIT).await;
        }
        Ok(records)
    }

    async fn stop(&mut self) -> Result<()> {
        self.input = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::OffsetReader;
    use std::io::Write;

    struct Offsets(Option<OffsetMap>);
    impl OffsetReader for Offsets {
        fn offset(&self, _partition: &OffsetMap) -> Option<OffsetMap> {
            self.0.clone()
        }
    }

    fn props(file: &std::path::Path, batch: usize) -> Props {
        [
            ("file", file.display().to_string()),
            ("topic", "t".to_string()),
            ("batch.size", batch.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn values(records: &[SourceRecord]) -> Vec<(String, u64)> {
        records
            .iter()
            .map(|r| match &r.value {
                Some(Value::String(s)) => {
                    (s.clone(), r.source_offset["position"].as_u64().unwrap())
                }
                other => panic!("unexpected value {other:?}"),
            })
            .collect()
    }

    async fn started(
        file: &std::path::Path,
        batch: usize,
        committed: Option<u64>,
    ) -> FileStreamSourceTask {
        let mut task = FileStreamSourceTask::default();
        let offsets = committed.map(|p| {
            let mut m = OffsetMap::new();
            m.insert("position".into(), p.into());
            m
        });
        let context = SourceTaskContext {
            offsets: Arc::new(Offsets(offsets)),
        };
        task.start(&props(file, batch), context).await.unwrap();
        task
    }

    #[tokio::test]
    async fn lines_carry_the_position_after_them_and_partial_lines_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, "one\r\ntwo\nthr").unwrap();
        let mut task = started(&path, 10, None).await;
        let got = values(&task.poll().await.unwrap());
        assert_eq!(got, vec![("one".into(), 5), ("two".into(), 9)]);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"ee\n").unwrap();
        let got = values(&task.poll().await.unwrap());
        assert_eq!(got, vec![("three".into(), 15)]);
        assert!(task.poll().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn batch_size_limits_a_poll_and_nothing_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        let text: String = (0..25).map(|i| format!("line-{i}\n")).collect();
        std::fs::write(&path, &text).unwrap();
        let mut task = started(&path, 10, None).await;
        let mut all = Vec::new();
        for expected in [10, 10, 5] {
            let batch = values(&task.poll().await.unwrap());
            assert_eq!(batch.len(), expected);
            all.extend(batch);
        }
        let lines: Vec<String> = all.into_iter().map(|(l, _)| l).collect();
        let expected: Vec<String> = (0..25).map(|i| format!("line-{i}")).collect();
        assert_eq!(lines, expected);
    }

    #[tokio::test]
    async fn resumes_at_the_committed_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, "a\nb\nc\n").unwrap();
        let mut task = started(&path, 10, Some(2)).await;
        assert_eq!(
            values(&task.poll().await.unwrap()),
            vec![("b".into(), 4), ("c".into(), 6)]
        );
    }

    #[tokio::test]
    async fn a_missing_file_is_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("later.txt");
        let mut task = started(&path, 10, None).await;
        assert!(task.poll().await.unwrap().is_empty());
        std::fs::write(&path, "hello\n").unwrap();
        assert_eq!(
            values(&task.poll().await.unwrap()),
            vec![("hello".into(), 6)]
        );
    }
}
