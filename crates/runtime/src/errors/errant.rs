//! The errant record reporter a sink task gets through its context (Kafka's
//! `WorkerErrantRecordReporter`): a record the task cannot write goes through the task's error
//! policy at stage `TASK_PUT` — fatal under `errors.tolerance=none`; logged and sent to the dead
//! letter queue under `all`. The record is turned back into bytes with converters configured as
//! the task's, since what the task holds is the converted record.

use std::sync::{Arc, Mutex};

use ferry_api::{ConnectError, ErrantRecordReporter, Result, SinkRecord};

use super::{Consumed, ErrorPolicy, Failure, Original, Stage};
use crate::config::connector::TaskConverters;

pub struct ErrantReporter {
    errors: Arc<Mutex<ErrorPolicy>>,
    converters: TaskConverters,
    /// The task's class, named in the dead letter queue's headers.
    task_class: String,
}

impl std::fmt::Debug for ErrantReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErrantReporter")
            .field("task_class", &self.task_class)
            .finish_non_exhaustive()
    }
}

impl ErrantReporter {
    pub fn new(
        errors: Arc<Mutex<ErrorPolicy>>,
        converters: TaskConverters,
        task_class: String,
    ) -> ErrantReporter {
        ErrantReporter {
            errors,
            converters,
            task_class,
        }
    }
}

impl ErrantRecordReporter for ErrantReporter {
    fn report(&self, record: &SinkRecord, error: ConnectError) -> Result<()> {
        self.fail(record, error, Stage::TaskPut, self.task_class.clone())
    }

    fn report_at(
        &self,
        record: &SinkRecord,
        error: ConnectError,
        stage: &str,
        class: &str,
    ) -> Result<()> {
        let stage = Stage::from_name(stage).unwrap_or(Stage::TaskPut);
        self.fail(record, error, stage, class.to_string())
    }
}

impl ErrantReporter {
    /// The record, turned back into the bytes consumed, through the task's error policy.
    fn fail(
        &self,
        record: &SinkRecord,
        error: ConnectError,
        stage: Stage,
        class: String,
    ) -> Result<()> {
        let topic = record.topic.as_str();
        // A part that cannot be converted back is left out rather than hiding the failure.
        let key = self
            .converters
            .key
            .from_connect(topic, record.key_schema.as_deref(), record.key.as_ref())
            .unwrap_or_default();
        let value = self
            .converters
            .value
            .from_connect(topic, record.value_schema.as_deref(), record.value.as_ref())
            .unwrap_or_default();
        let headers = record
            .headers
            .iter()
            .map(|h| {
                let bytes = self
                    .converters
                    .header
                    .from_connect_header(topic, &h.key, h.schema.as_deref(), &h.value)
                    .unwrap_or_default();
                (h.key.clone(), bytes)
            })
            .collect();
        let consumed = Consumed {
            topic,
            partition: record.kafka_partition,
            offset: record.kafka_offset,
            message: Original::Converted {
                key,
                value,
                headers,
                timestamp: record.timestamp,
            },
        };
        let failure = Failure {
            stage,
            class,
            error,
        };
        super::lock_policy(&self.errors)
            .sink_failure(failure, &consumed)
            .map_err(|e| ConnectError::Other(e.trace()))
    }
}
