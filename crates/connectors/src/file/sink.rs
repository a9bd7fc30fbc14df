//! FileStreamSink: appends the value of every record to a file, one per line.
//!
//! `flush` writes the buffer out and syncs the file before the runtime commits the consumer
//! offsets, so a committed record is on disk.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use async_trait::async_trait;
use ferry_api::{
    ConfigDef, ConfigType, ConnectError, Connector, ConnectorKind, Importance, Props, Result,
    SinkRecord, SinkTask, Task, TopicPartition, Value,
};

use super::FILE_CONFIG;

const WRITE_BUFFER: usize = 1024 * 1024;

fn config_def() -> ConfigDef {
    ConfigDef::new().optional(
        FILE_CONFIG,
        ConfigType::String,
        None,
        Importance::High,
        "Destination filename. If not specified, the standard output will be used",
    )
}

/// Hands its configuration to `tasks.max` identical tasks.
#[derive(Default)]
pub struct FileStreamSinkConnector {
    props: Props,
}

impl Connector for FileStreamSinkConnector {
    fn kind(&self) -> ConnectorKind {
        ConnectorKind::Sink
    }

    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    fn config_def(&self) -> ConfigDef {
        config_def()
    }

    fn start(&mut self, props: &Props) -> Result<()> {
        self.props = props.clone();
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<Props>> {
        Ok(vec![self.props.clone(); max_tasks.max(1)])
    }

    fn stop(&mut self) -> Result<()> {
        Ok(())
    }

    fn create_task(&self) -> Task {
        Task::Sink(Box::new(FileStreamSinkTask::default()))
    }

    /// The file keeps no offsets of its own: the consumer group's are all there is.
    fn alter_offsets(
        &self,
        _config: &Props,
        _offsets: &[(ferry_api::OffsetMap, Option<ferry_api::OffsetMap>)],
    ) -> Result<bool> {
        Ok(true)
    }
}

enum Output {
    File(BufWriter<File>),
    Stdout(std::io::Stdout),
}

/// Writes each record's value on its own line.
#[derive(Default)]
pub struct FileStreamSinkTask {
    path: Option<PathBuf>,
    out: Option<Output>,
}

impl FileStreamSinkTask {
    fn writer(&mut self) -> Result<&mut dyn Write> {
        match self.out.as_mut() {
            Some(Output::File(w)) => Ok(w),
            Some(Output::Stdout(s)) => Ok(s),
            None => Err(ConnectError::Other("the sink task is not started".into())),
        }
    }

    fn describe(&self) -> String {
        self.path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "standard output".into())
    }
}

#[async_trait]
impl SinkTask for FileStreamSinkTask {
    async fn start(&mut self, props: &Props) -> Result<()> {
        self.path = props
            .get(FILE_CONFIG)
            .filter(|f| !f.is_empty())
            .map(PathBuf::from);
        self.out = Some(match &self.path {
            Some(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| ConnectError::io(format!("cannot open {}", path.display()), e))?;
                Output::File(BufWriter::with_capacity(WRITE_BUFFER, file))
            }
            None => Output::Stdout(std::io::stdout()),
        });
        Ok(())
    }

    async fn put(&mut self, records: Vec<SinkRecord>) -> Result<()> {
        let target = self.describe();
        let w = self.writer()?;
        for record in &records {
            let result = match &record.value {
                Some(Value::String(s)) => w.write_all(s.as_bytes()),
                Some(other) => w.write_all(
                    other
                        .to_java_string(record.value_schema.as_deref())
                        .as_bytes(),
                ),
                None => w.write_all(b"null"),
            }
            .and_then(|()| w.write_all(b"\n"));
            result.map_err(|e| ConnectError::io(format!("cannot write to {target}"), e))?;
        }
        Ok(())
    }

    async fn flush(&mut self, _offsets: &[(TopicPartition, i64)]) -> Result<()> {
        let target = self.describe();
        let synced = match self.out.as_mut() {
            Some(Output::File(w)) => w.flush().and_then(|()| w.get_ref().sync_data()),
            Some(Output::Stdout(s)) => s.flush(),
            None => Ok(()),
        };
        synced.map_err(|e| ConnectError::io(format!("cannot flush {target}"), e))
    }

    async fn stop(&mut self) -> Result<()> {
        let flushed = self.flush(&[]).await;
        self.out = None;
        flushed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(value: &str, offset: i64) -> SinkRecord {
        SinkRecord {
            topic: "t".into(),
            kafka_partition: 0,
            kafka_offset: offset,
            key_schema: None,
            key: None,
            value_schema: None,
            value: Some(Value::String(value.into())),
            timestamp: None,
            headers: Vec::new(),
        }
    }

    #[tokio::test]
    async fn values_are_appended_one_per_line_and_on_disk_after_flush() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "existing\n").unwrap();
        let mut task = FileStreamSinkTask::default();
        let props: Props = [("file".to_string(), path.display().to_string())].into();
        task.start(&props).await.unwrap();
        task.put(vec![record("a", 0), record("b", 1)])
            .await
            .unwrap();
        task.flush(&[]).await.unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "existing\na\nb\n");
        task.stop().await.unwrap();
    }
}
