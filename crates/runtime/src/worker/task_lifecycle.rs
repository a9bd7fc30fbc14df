//! A task's life on this worker: its runner spawned with its status kept (RUNNING, FAILED with
//! the trace, a panic included), and stopped within `task.shutdown.graceful.timeout.ms`.

use std::sync::{Arc, Mutex};

use ferry_api::Task;
use tracing::Instrument;

use super::task_control::{ControlledSource, TaskControl};
use super::{set, ConnectorEntry, RunningTask, SharedStatus, Worker};
use crate::entities::status::{State, Status};
use crate::entities::TargetState;
use crate::errors::TaskError;
use crate::metrics::{registry, TaskMetrics};
use crate::worker::sink::{SinkTaskRunner, SinkTaskSetup};
use crate::worker::source::{SourceTaskRunner, SourceTaskSetup};

impl Worker {
    pub(super) fn spawn_task(
        &self,
        connector: &str,
        id: u32,
        entry: &ConnectorEntry,
    ) -> RunningTask {
        let paused = entry.target == TargetState::Paused;
        let (control, signals) = TaskControl::new(paused, entry.topics.clone());
        let status: SharedStatus = Arc::new(Mutex::new(Status::new(
            State::Unassigned,
            &self.ctx.worker_id,
        )));
        let span = tracing::info_span!("task", connector = %connector, task = id);
        // Whether the task got as far as running: a failure before is a failed start.
        let started = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let running = {
            let status = status.clone();
            let worker_id = self.ctx.worker_id.clone();
            let paused = signals.paused.clone();
            let started = started.clone();
            move || {
                started.store(true, std::sync::atomic::Ordering::Relaxed);
                TaskMetrics::add(&registry().worker.task_startup_success_total, 1);
                let state = if *paused.borrow() {
                    State::Paused
                } else {
                    State::Running
                };
                set(&status, Status::new(state, &worker_id));
            }
        };
        // The task sees its configuration and its connector's with placeholders resolved.
        let providers = self.ctx.config.providers();
        let resolved = providers
            .resolve(&entry.task_configs[id as usize])
            .and_then(|task| Ok((task, providers.resolve(&entry.config)?)));
        let future: std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<(), TaskError>> + Send>,
            // Tasks are made from the plugin, as Kafka makes them from the task class: they need no
            // connector object on this worker.
        > = match resolved.map(|props| {
            let task = entry.plugin.create().create_task_for(&props.1, id);
            (props, task)
        }) {
            Err(e) => Box::pin(async move { Err(TaskError::Connect(e)) }),
            Ok(((task_props, connector_props), Task::Source(task))) => {
                let setup = SourceTaskSetup {
                    connector: connector.to_string(),
                    task_id: id,
                    task_props,
                    connector_props,
                    worker: self.ctx.config.clone(),
                    offsets: self.ctx.offsets.clone(),
                    topics: self.ctx.topics.clone(),
                    runs_in_java: entry.plugin.runs_in_java,
                };
                let task = Box::new(ControlledSource::new(task, &signals));
                let stop = signals.stop.clone();
                Box::pin(
                    async move { SourceTaskRunner::new(setup, task, stop)?.run(running).await },
                )
            }
            Ok(((task_props, connector_props), Task::Sink(task))) => {
                let setup = SinkTaskSetup {
                    connector: connector.to_string(),
                    task_id: id,
                    task_props,
                    connector_props,
                    worker: self.ctx.config.clone(),
                    runs_in_java: entry.plugin.runs_in_java,
                };
                Box::pin(async move {
                    SinkTaskRunner::new(setup, task, signals)
                        .await?
                        .run(running)
                        .await
                })
            }
        };
        let result_status = status.clone();
        let worker_id = self.ctx.worker_id.clone();
        let join = tokio::spawn(
            async move {
                // A panic inside the task becomes FAILED too, never a dead worker.
                let outcome = tokio::spawn(future.in_current_span()).await;
                let failure = match outcome {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(e.trace()),
                    Err(join_error) => Some(format!("the task panicked: {join_error}")),
                };
                if failure.is_some() && !started.load(std::sync::atomic::Ordering::Relaxed) {
                    TaskMetrics::add(&registry().worker.task_startup_failure_total, 1);
                }
                match failure {
                    Some(trace) => {
                        tracing::error!("task failed: {trace}");
                        set(&result_status, Status::failed(trace, &worker_id));
                    }
                    None => tracing::info!("task stopped"),
                }
            }
            .instrument(span),
        );
        RunningTask {
            status,
            control,
            join,
        }
    }

    /// Stops the given tasks, waiting up to `task.shutdown.graceful.timeout.ms` for them all.
    pub(super) async fn stop_tasks(&self, connector: &str, tasks: Vec<RunningTask>) {
        for t in &tasks {
            t.control.stop();
        }
        let deadline = tokio::time::Instant::now() + self.ctx.config.task_shutdown_timeout();
        for t in tasks {
            let abort = t.join.abort_handle();
            if tokio::time::timeout_at(deadline, t.join).await.is_err() {
                tracing::warn!(
                    connector,
                    "a task did not stop within task.shutdown.graceful.timeout.ms; abandoning it"
                );
                abort.abort();
            }
        }
    }
}
