//! A Java task's connection to the plugin host, opened again on a new host when the host died
//! of something other than this task's connector: the task then starts afresh from what ferry
//! committed, as after a restart (at least once, nothing lost).

use std::sync::Arc;
use std::time::Duration;

use ferry_api::{ConnectError, Props, Result};
use serde_json::json;

use crate::calls;
use crate::connector::JavaPluginRef;
use crate::error::HostError;
use crate::host::HostEnd;
use crate::lane::{Lane, LaneHandler};
use crate::wire::msg;

/// How long `stop` may take before the task's connection is cut.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

pub struct TaskLane {
    plugin: JavaPluginRef,
    connector: String,
    task_id: u32,
    /// `StartSourceTask` or `StartSinkTask`, and its body.
    start: (u16, Vec<u8>),
    handler: Arc<dyn LaneHandler>,
    lane: Option<Arc<Lane>>,
}

/// What a call came back with.
pub enum Answer {
    Reply(Vec<u8>),
    /// The host died under the call and the task started again on a new one: the call's work
    /// is lost, and the task has nothing assigned or polled yet.
    Restarted,
}

impl TaskLane {
    pub fn new(
        plugin: JavaPluginRef,
        connector_config: &Props,
        task_id: u32,
        start_type: u16,
        task_config: &Props,
        handler: Arc<dyn LaneHandler>,
    ) -> TaskLane {
        let connector = connector_config.get("name").cloned().unwrap_or_default();
        let body = plugin.host.first_message(json!({
            "connector": connector,
            "task_id": task_id,
            "class": plugin.class,
            "version": plugin.version_range(),
            "task_config": task_config,
            "connector_config": connector_config,
        }));
        TaskLane {
            plugin,
            connector,
            task_id,
            start: (start_type, body),
            handler,
            lane: None,
        }
    }

    /// Opens the connection and starts the task in the host.
    pub async fn open(&mut self) -> Result<()> {
        Ok(self.open_lane().await?)
    }

    async fn open_lane(&mut self) -> std::result::Result<(), HostError> {
        let host = self.plugin.host.clone();
        let name = format!("task-{}-{}", self.connector, self.task_id);
        let handler = self.handler.clone();
        let (ty, body) = self.start.clone();
        let lane = calls::run(move || {
            let lane = host.lane(&name, handler)?;
            lane.call(ty, &body, None)?;
            Ok(lane)
        })
        .await?;
        self.lane = Some(Arc::new(lane));
        Ok(())
    }

    pub async fn call(&mut self, ty: u16, body: Vec<u8>) -> Result<Answer> {
        let lane = self
            .lane
            .clone()
            .ok_or_else(|| ConnectError::Other("the Java task is not started".into()))?;
        match calls::call(&lane, ty, body, None).await {
            Ok(reply) => Ok(Answer::Reply(reply)),
            Err(HostError::HostDied(end)) => {
                self.lane = None;
                self.recover(end).await?;
                Ok(Answer::Restarted)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Starts the task again on a new host after the host ended as `end` says, unless its own
    /// connector brought the host down or the host keeps dying (then the task fails with the
    /// host's end). A new host that dies while the task starts on it counts as one more death.
    async fn recover(&mut self, mut end: HostEnd) -> Result<()> {
        loop {
            if !self.plugin.host.may_recover(&end, &self.connector) {
                return Err(HostError::HostDied(end).into());
            }
            tracing::warn!(
                connector = %self.connector,
                task = self.task_id,
                "{}; this task did not cause it and starts again on a new plugin host, \
                 from the offsets ferry committed",
                end.text.lines().next().unwrap_or_default()
            );
            match self.open_lane().await {
                Ok(()) => return Ok(()),
                Err(HostError::HostDied(again)) => end = again,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// `StopTask`, the connection's last call.
    pub async fn stop(&mut self) -> Result<()> {
        let Some(lane) = self.lane.take() else {
            return Ok(());
        };
        calls::run(move || lane.call_last(msg::STOP_TASK, &[], Some(STOP_TIMEOUT))).await?;
        Ok(())
    }
}
