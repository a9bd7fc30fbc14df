//! The sink task: records become changes, gathered per table until `batch.size` records or a
//! flush, then written in one transaction. While one batch is being written, the next is
//! gathered: at most one write is in flight, and `flush` waits for it. The runtime commits
//! consumer offsets only after `flush` returned, so everything committed is in the database;
//! whatever was not is read again after a crash, and the upserts make a second write harmless.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use ferry_api::{
    ConnectError, ErrantRecordReporter, Props, Result, SinkRecord, SinkTask, SinkTaskContext,
    TopicPartition,
};
use tokio::task::JoinHandle;

use crate::batch::{Batch, TableBatch};
use crate::config::{Flavor, SinkConfig};
use crate::record::{self, Shapes};
use crate::sql::Sql;
use crate::table::TableRef;
use crate::writer::{refuse, Writer};

pub struct JdbcSinkTask {
    flavor: Flavor,
    context: Option<SinkTaskContext>,
    running: Option<Running>,
}

/// The writer, either idle here or busy with a batch on a task of its own.
enum WriterSlot {
    Idle(Box<Writer>),
    Busy(JoinHandle<(Box<Writer>, Result<()>)>),
    /// A write panicked: the writer is gone.
    Lost,
}

struct Running {
    config: Arc<SinkConfig>,
    sql: Sql,
    shapes: Shapes,
    batch: Batch,
    writer: WriterSlot,
    reporter: Option<Arc<dyn ErrantRecordReporter>>,
}

impl JdbcSinkTask {
    pub fn new(flavor: Flavor) -> JdbcSinkTask {
        JdbcSinkTask {
            flavor,
            context: None,
            running: None,
        }
    }

    fn running(&mut self) -> Result<&mut Running> {
        self.running
            .as_mut()
            .ok_or_else(|| ConnectError::Other("the JDBC sink task was not started".into()))
    }
}

impl Running {
    /// The idle writer, once the write in flight (if any) is done; its error, if it failed.
    async fn idle_writer(&mut self) -> Result<&mut Writer> {
        if let WriterSlot::Busy(_) = self.writer {
            let WriterSlot::Busy(handle) = std::mem::replace(&mut self.writer, WriterSlot::Lost)
            else {
                unreachable!("checked above")
            };
            let (writer, result) = handle.await.map_err(|e| {
                ConnectError::Other(format!("the JDBC sink's write stopped abruptly: {e}"))
            })?;
            self.writer = WriterSlot::Idle(writer);
            result?;
        }
        match &mut self.writer {
            WriterSlot::Idle(writer) => Ok(writer),
            _ => Err(ConnectError::Other(
                "the JDBC sink's writer was lost in an earlier failure".into(),
            )),
        }
    }

    /// Starts writing what was gathered, after the write before it finished.
    async fn start_write(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        self.idle_writer().await?;
        let tables: BTreeMap<TableRef, TableBatch> = self.batch.take();
        let WriterSlot::Idle(mut writer) = std::mem::replace(&mut self.writer, WriterSlot::Lost)
        else {
            unreachable!("idle_writer made it idle")
        };
        self.writer = WriterSlot::Busy(tokio::spawn(async move {
            let result = writer.write(tables).await;
            (writer, result)
        }));
        Ok(())
    }

    /// Everything gathered written and committed.
    async fn write_all(&mut self) -> Result<()> {
        self.start_write().await?;
        self.idle_writer().await.map(|_| ())
    }
}

#[async_trait]
impl SinkTask for JdbcSinkTask {
    fn initialize(&mut self, context: SinkTaskContext) {
        self.context = Some(context);
    }

    async fn start(&mut self, props: &Props) -> Result<()> {
        let config = Arc::new(SinkConfig::parse(self.flavor, props)?);
        let reporter = self
            .context
            .as_ref()
            .and_then(SinkTaskContext::errant_record_reporter);
        let mut writer = Writer::new(config.clone(), reporter.clone());
        writer.connect().await?;
        tracing::info!(
            database = config.url.dialect.name(),
            host = %config.url.host,
            port = config.url.port,
            "JDBC sink task connected"
        );
        self.running = Some(Running {
            sql: writer.sql,
            config,
            shapes: Shapes::default(),
            batch: Batch::default(),
            writer: WriterSlot::Idle(Box::new(writer)),
            reporter,
        });
        Ok(())
    }

    async fn put(&mut self, records: Vec<SinkRecord>) -> Result<()> {
        let running = self.running()?;
        for record in records {
            let reporter = running.reporter.as_deref();
            match record::interpret(&running.config, &mut running.shapes, &record) {
                Ok(Some(change)) => {
                    let record = Arc::new(record);
                    if let Err(error) = running.batch.add(&running.sql, change, record.clone()) {
                        refuse(&running.config, reporter, &record, &error)?;
                    }
                }
                Ok(None) => {}
                Err(error) => refuse(&running.config, reporter, &record, &error)?,
            }
            if running.batch.records() >= running.config.batch_size {
                running.start_write().await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self, _offsets: &[(TopicPartition, i64)]) -> Result<()> {
        match self.running.as_mut() {
            Some(running) => running.write_all().await,
            None => Ok(()),
        }
    }

    async fn stop(&mut self) -> Result<()> {
        if let Some(mut running) = self.running.take() {
            if let Ok(writer) = running.idle_writer().await {
                writer.close().await;
            }
        }
        Ok(())
    }
}
