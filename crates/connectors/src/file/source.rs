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
use std::io::{Read, Seek};

use tokio::io::{AsyncRead, AsyncReadExt};

use super::FILE_CONFIG;

pub const TOPIC_CONFIG: &str = "topic";
pub const BATCH_SIZE_CONFIG: &str = "batch.size";
const DEFAULT_BATCH_SIZE: &str = "2000";
/// How long a poll waits for new data before returning an empty batch.
const IDLE_WAIT: Duration = Duration::from_millis(250);
/// How often the absence of the file is logged while waiting for it.
const MISSING_FILE_LOG_EVERY: Duration = Duration::from_secs(10);
const READ_CHUNK: usize = 256 * 1024;
/// The key of a source partition: the file's path.
const FILENAME_FIELD: &str = "filename";
/// The key of an offset: the byte just after the last line sent.
const POSITION_FIELD: &str = "position";

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
        let file = props
            .get(FILE_CONFIG)
            .map_or("standard input", String::as_str);
        tracing::info!("Starting file source connector reading from {file}");
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

    /// Kafka's checks, with its words: a reset of anything is allowed; an offset names a
    /// non-negative `position` within a partition naming its `filename`.
    fn alter_offsets(
        &self,
        config: &Props,
        offsets: &[(OffsetMap, Option<OffsetMap>)],
    ) -> Result<bool> {
        if config.get(FILE_CONFIG).is_none_or(|f| f.is_empty()) {
            return Err(ConnectError::Other(format!(
                "Offsets cannot be modified if the '{FILE_CONFIG}' configuration is unspecified. This is because stdin is used for input and offsets are not tracked."
            )));
        }
        for (partition, offset) in offsets {
            let Some(offset) = offset else { continue };
            let Some(position) = offset.get(POSITION_FIELD) else {
                return Err(ConnectError::Other(format!(
                    "Offset objects should either be null or contain the key '{POSITION_FIELD}'"
                )));
            };
            let Some(position) = position.as_i64() else {
                return Err(ConnectError::Other(format!(
                    "The value for the '{POSITION_FIELD}' key in the offset is expected to be a Long value"
                )));
            };
            if position < 0 {
                return Err(ConnectError::Other(format!(
                    "The value for the '{POSITION_FIELD}' key in the offset should be a non-negative value"
                )));
            }
            if !partition.contains_key(FILENAME_FIELD) {
                return Err(ConnectError::Other(format!(
                    "Partition objects should contain the key '{FILENAME_FIELD}'"
                )));
            }
        }
        Ok(true)
    }
}

/// Where the lines come from. A regular file is read directly: from the page cache a read is a
/// copy, far cheaper than handing every read to a blocking thread; standard input, pipes and
/// devices can block indefinitely and go through tokio.
enum Input {
    File(std::fs::File),
    Stream(Box<dyn AsyncRead + Unpin + Send>),
}

impl Input {
    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Input::File(f) => loop {
                match f.read(buf) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => return other,
                }
            },
            Input::Stream(s) => s.read(buf).await,
        }
    }
}

/// Reads lines from the file (or standard input) and remembers the byte position after each.
#[derive(Default)]
pub struct FileStreamSourceTask {
    path: Option<PathBuf>,
    topic: String,
    batch_size: usize,
    partition: Arc<OffsetMap>,
    /// `{"position": 0}` for a file, empty for standard input; cloned and filled in per record.
    offset_template: OffsetMap,
    schema: Option<Arc<Schema>>,
    context: Option<SourceTaskContext>,
    input: Option<Input>,
    /// Read buffer: `buf[start..end]` holds bytes read but not yet returned as lines.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// `buf[start..scanned]` holds no line end.
    scanned: usize,
    /// File position of `buf[start]`.
    position: u64,
    missing_since_log: Option<tokio::time::Instant>,
}

/// The index of the first `\n` in `bytes`. Compares a block of bytes at a time, which the
/// compiler turns into vector instructions; lines are typically tens to hundreds of bytes.
fn find_newline(bytes: &[u8]) -> Option<usize> {
    const BLOCK: usize = 32;
    let mut blocks = bytes.chunks_exact(BLOCK);
    let mut offset = 0;
    for block in &mut blocks {
        if block.iter().fold(false, |found, &b| found | (b == b'\n')) {
            return block.iter().position(|&b| b == b'\n').map(|i| offset + i);
        }
        offset += BLOCK;
    }
    blocks
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| offset + i)
}

impl FileStreamSourceTask {
    /// Opens the file at the committed position; `None` while the file does not exist yet.
    async fn open(&mut self) -> Result<bool> {
        let Some(path) = &self.path else {
            self.input = Some(Input::Stream(Box::new(tokio::io::stdin())));
            return Ok(true);
        };
        let mut file = match std::fs::File::open(path) {
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
            .and_then(|o| o.get(POSITION_FIELD).and_then(serde_json::Value::as_u64));
        let regular = file.metadata().map(|m| m.is_file()).unwrap_or(false);
        if let Some(position) = committed {
            tracing::info!(file = %path.display(), position, "resuming after the last committed line");
            file.seek(std::io::SeekFrom::Start(position))
                .map_err(|e| ConnectError::io(format!("cannot seek in {}", path.display()), e))?;
            self.position = position;
        } else {
            tracing::info!(file = %path.display(), "reading from the beginning of the file");
        }
        self.input = Some(if regular {
            Input::File(file)
        } else {
            Input::Stream(Box::new(tokio::fs::File::from_std(file)))
        });
        Ok(true)
    }

    /// Splits complete lines off the buffer, until `out` holds `limit` records.
    fn take_lines(&mut self, out: &mut Vec<SourceRecord>, limit: usize) {
        while out.len() < limit {
            let Some(rel) = find_newline(&self.buf[self.scanned..self.end]) else {
                self.scanned = self.end;
                break;
            };
            let end = self.scanned + rel;
            let mut line = &self.buf[self.start..end];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            // Valid UTF-8 (the usual case) is copied once; anything else gets replacement characters.
            let text = match std::str::from_utf8(line) {
                Ok(valid) => valid.to_owned(),
                Err(_) => String::from_utf8_lossy(line).into_owned(),
            };
            self.position += (end + 1 - self.start) as u64;
            out.push(self.record(text, self.position));
            self.start = end + 1;
            self.scanned = self.start;
        }
    }

    /// Makes room after `end` for the next read: moves the unread bytes to the front, or
    /// grows the buffer when a line is longer than it.
    fn make_room(&mut self) {
        if self.buf.is_empty() {
            self.buf = vec![0; READ_CHUNK];
        }
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            self.scanned = 0;
        } else if self.buf.len() - self.end < READ_CHUNK / 2 {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.scanned -= self.start;
                self.start = 0;
            }
            if self.buf.len() - self.end < READ_CHUNK / 2 {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
    }

    fn record(&self, line: String, position: u64) -> SourceRecord {
        let mut offset = self.offset_template.clone();
        if let Some(value) = offset.values_mut().next() {
            *value = position.into();
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
        self.offset_template = OffsetMap::new();
        if let Some(path) = &self.path {
            partition.insert(FILENAME_FIELD.into(), path.display().to_string().into());
            self.offset_template.insert(POSITION_FIELD.into(), 0.into());
        }
        self.partition = Arc::new(partition);
        self.schema = Some(Arc::new(Schema::string()));
        self.context = Some(context);
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        let mut records = Vec::new();
        self.poll_into(&mut records).await?;
        Ok(records)
    }

    async fn poll_into(&mut self, records: &mut Vec<SourceRecord>) -> Result<()> {
        if self.input.is_none() && !self.open().await? {
            tokio::time::sleep(IDLE_WAIT).await;
            return Ok(());
        }
        let records_before = records.len();
        let batch_end = records_before + self.batch_size;
        self.take_lines(records, batch_end);
        while records.len() < batch_end {
            if self.input.is_none() {
                break;
            }
            self.make_room();
            let Some(input) = self.input.as_mut() else {
                break;
            };
            let n = input
                .read(&mut self.buf[self.end..])
                .await
                .map_err(|e| ConnectError::io("error reading the source file", e))?;
            if n == 0 {
                break;
            }
            self.end += n;
            if records.capacity() == records.len() {
                // Likely a full batch from here on: size the batch once.
                records.reserve((batch_end - records.len()).min(n / 16 + 1));
            }
            self.take_lines(records, batch_end);
        }
        if records.len() == records_before {
            tokio::time::sleep(IDLE_WAIT).await;
        }
        Ok(())
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
            snapshot: Default::default(),
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

    #[test]
    fn newlines_are_found_wherever_they_are() {
        for len in [0, 1, 31, 32, 33, 64, 100] {
            assert_eq!(find_newline(&vec![b'x'; len]), None, "{len}");
            for at in 0..len {
                let mut bytes = vec![b'x'; len];
                bytes[at] = b'\n';
                if at + 1 < len {
                    bytes[len - 1] = b'\n';
                }
                assert_eq!(find_newline(&bytes), Some(at), "{len} {at}");
            }
        }
    }

    #[tokio::test]
    async fn lines_longer_than_a_read_and_across_reads_come_out_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        let long = "y".repeat(READ_CHUNK * 2 + 7);
        let mut lines: Vec<String> = (0..40_000).map(|i| format!("line {i}")).collect();
        lines.insert(123, long.clone());
        lines.insert(20_000, long);
        lines.push("ünïcödé \u{1F600}".into());
        let mut text = String::new();
        for (i, l) in lines.iter().enumerate() {
            text.push_str(l);
            text.push_str(if i % 3 == 0 { "\r\n" } else { "\n" });
        }
        std::fs::write(&path, &text).unwrap();
        let mut task = started(&path, 1000, None).await;
        let mut got = Vec::new();
        while got.len() < lines.len() {
            let batch = values(&task.poll().await.unwrap());
            assert!(!batch.is_empty() && batch.len() <= 1000);
            got.extend(batch);
        }
        assert_eq!(got.last().unwrap().1, text.len() as u64);
        let mut position = 0u64;
        for (i, ((line, offset), expected)) in got.iter().zip(&lines).enumerate() {
            assert_eq!(line, expected, "line {i}");
            position += expected.len() as u64 + if i % 3 == 0 { 2 } else { 1 };
            assert_eq!(*offset, position, "line {i}");
        }
    }

    #[tokio::test]
    async fn invalid_utf8_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, b"a\xffb\nok\n").unwrap();
        let mut task = started(&path, 10, None).await;
        assert_eq!(
            values(&task.poll().await.unwrap()),
            vec![("a\u{FFFD}b".into(), 4), ("ok".into(), 7)]
        );
    }

    #[tokio::test]
    async fn poll_into_appends_to_the_callers_batch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, "a\nb\nc\n").unwrap();
        let mut task = started(&path, 2, None).await;
        let mut batch = Vec::new();
        task.poll_into(&mut batch).await.unwrap();
        assert_eq!(values(&batch), vec![("a".into(), 2), ("b".into(), 4)]);
        batch.clear();
        task.poll_into(&mut batch).await.unwrap();
        assert_eq!(values(&batch), vec![("c".into(), 6)]);
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

    #[test]
    fn altered_offsets_are_checked_as_kafka_checks_them() {
        let connector = FileStreamSourceConnector::default();
        let config = props(std::path::Path::new("/tmp/in.txt"), 10);
        let map = |v: serde_json::Value| v.as_object().cloned().unwrap();
        let check = |partition: serde_json::Value, offset: Option<serde_json::Value>| {
            connector
                .alter_offsets(&config, &[(map(partition), offset.map(map))])
                .map_err(|e| e.to_string())
        };
        let file = serde_json::json!({"filename": "/tmp/in.txt"});
        assert_eq!(
            check(file.clone(), Some(serde_json::json!({"position": 3}))),
            Ok(true)
        );
        assert_eq!(check(serde_json::json!({"x": 1}), None), Ok(true));
        assert_eq!(
            check(file.clone(), Some(serde_json::json!({"position": "3"}))).unwrap_err(),
            "The value for the 'position' key in the offset is expected to be a Long value"
        );
        assert_eq!(
            check(file, Some(serde_json::json!({"position": -1}))).unwrap_err(),
            "The value for the 'position' key in the offset should be a non-negative value"
        );
        assert_eq!(
            check(
                serde_json::json!({"file": "x"}),
                Some(serde_json::json!({"position": 1}))
            )
            .unwrap_err(),
            "Partition objects should contain the key 'filename'"
        );
    }
}
