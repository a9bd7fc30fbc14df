//! What the worker tells a running task (stop, pause) and what it learns from it (topics used).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ferry_api::{Props, Result, SourceRecord, SourceTask, SourceTaskContext};
use tokio::sync::watch;

/// The topics a connector's tasks have produced to or consumed from (KIP-558).
#[derive(Clone, Default)]
pub struct ActiveTopics(Arc<Mutex<BTreeSet<String>>>);

impl ActiveTopics {
    pub fn record(&self, topic: &str) {
        let mut topics = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !topics.contains(topic) {
            tracing::debug!(topic, "connector uses a new topic");
            topics.insert(topic.to_string());
        }
    }

    pub fn list(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// The worker's side of a task's signals.
pub struct TaskControl {
    stop: watch::Sender<bool>,
    paused: watch::Sender<bool>,
}

/// The task's side.
#[derive(Clone)]
pub struct TaskSignals {
    pub stop: watch::Receiver<bool>,
    pub paused: watch::Receiver<bool>,
    pub topics: ActiveTopics,
}

impl TaskControl {
    pub fn new(paused: bool, topics: ActiveTopics) -> (TaskControl, TaskSignals) {
        let (stop_tx, stop_rx) = watch::channel(false);
        let (paused_tx, paused_rx) = watch::channel(paused);
        (
            TaskControl {
                stop: stop_tx,
                paused: paused_tx,
            },
            TaskSignals {
                stop: stop_rx,
                paused: paused_rx,
                topics,
            },
        )
    }

    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    pub fn set_paused(&self, paused: bool) {
        let _ = self.paused.send(paused);
    }
}

/// How long a paused source waits before handing control back to its loop.
const PAUSED_WAIT: std::time::Duration = std::time::Duration::from_millis(250);

/// Wraps a source task: while paused, `poll` returns nothing (the task keeps its resources and
/// its producer); every record's topic is noted as active.
pub struct ControlledSource {
    inner: Box<dyn SourceTask>,
    paused: watch::Receiver<bool>,
    topics: ActiveTopics,
    last_topic: String,
}

impl ControlledSource {
    pub fn new(inner: Box<dyn SourceTask>, signals: &TaskSignals) -> ControlledSource {
        ControlledSource {
            inner,
            paused: signals.paused.clone(),
            topics: signals.topics.clone(),
            last_topic: String::new(),
        }
    }
}

#[async_trait]
impl SourceTask for ControlledSource {
    async fn start(&mut self, props: &Props, context: SourceTaskContext) -> Result<()> {
        self.inner.start(props, context).await
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        let mut records = Vec::new();
        self.poll_into(&mut records).await?;
        Ok(records)
    }

    async fn poll_into(&mut self, records: &mut Vec<SourceRecord>) -> Result<()> {
        if *self.paused.borrow() {
            let _ = tokio::time::timeout(PAUSED_WAIT, self.paused.wait_for(|p| !*p)).await;
            return Ok(());
        }
        let before = records.len();
        self.inner.poll_into(records).await?;
        for r in &records[before..] {
            if r.topic != self.last_topic {
                self.topics.record(&r.topic);
                self.last_topic.clone_from(&r.topic);
            }
        }
        Ok(())
    }

    async fn commit(&mut self) -> Result<()> {
        self.inner.commit().await
    }

    async fn stop(&mut self) -> Result<()> {
        self.inner.stop().await
    }
}
