//! The sink task: records become changes, gathered per table until `batch.size` records or a
//! flush, then written in one transaction. The runtime commits consumer offsets only after
//! `flush` returned, so everything committed is in the database; whatever was not is read again
//! after a crash, and the upserts make a second write harmless.

use std::sync::Arc;

use async_trait::async_trait;
use ferry_api::{ConnectError, Props, Result, SinkRecord, SinkTask, TopicPartition};

use crate::batch::Batch;
use crate::config::{Flavor, SinkConfig};
use crate::record::{self, Origin, Shapes};
use crate::writer::Writer;

pub struct JdbcSinkTask {
    flavor: Flavor,
    running: Option<Running>,
}

struct Running {
    config: Arc<SinkConfig>,
    shapes: Shapes,
    batch: Batch,
    writer: Writer,
}

impl JdbcSinkTask {
    pub fn new(flavor: Flavor) -> JdbcSinkTask {
        JdbcSinkTask {
            flavor,
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
    async fn write(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let tables = self.batch.take();
        self.writer.write(tables).await
    }
}

#[async_trait]
impl SinkTask for JdbcSinkTask {
    async fn start(&mut self, props: &Props) -> Result<()> {
        let config = Arc::new(SinkConfig::parse(self.flavor, props)?);
        let mut writer = Writer::new(config.clone());
        writer.connect().await?;
        tracing::info!(
            database = config.url.dialect.name(),
            host = %config.url.host,
            port = config.url.port,
            "JDBC sink task connected"
        );
        self.running = Some(Running {
            config,
            shapes: Shapes::default(),
            batch: Batch::default(),
            writer,
        });
        Ok(())
    }

    async fn put(&mut self, records: Vec<SinkRecord>) -> Result<()> {
        let running = self.running()?;
        for record in &records {
            let outcome = record::interpret(&running.config, &mut running.shapes, record).and_then(
                |change| match change {
                    Some(change) => running.batch.add(&running.writer.sql, change),
                    None => Ok(()),
                },
            );
            if let Err(error) = outcome {
                let origin = Origin {
                    topic: record.topic.clone(),
                    partition: record.kafka_partition,
                    offset: record.kafka_offset,
                };
                running.writer.refuse(&origin, &error)?;
            }
            if running.batch.records() >= running.config.batch_size {
                running.write().await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self, _offsets: &[(TopicPartition, i64)]) -> Result<()> {
        match self.running.as_mut() {
            Some(running) => running.write().await,
            None => Ok(()),
        }
    }

    async fn stop(&mut self) -> Result<()> {
        if let Some(mut running) = self.running.take() {
            running.writer.close().await;
        }
        Ok(())
    }
}
