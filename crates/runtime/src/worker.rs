//! Runs connectors and their tasks on this worker, and keeps their statuses.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use ferry_api::{Connector, ConnectorKind, Props, Task};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::connector_config::ValidConnectorConfig;
use crate::herder::{ConnectorInfo, ConnectorStateInfo, ConnectorTaskId, TaskInfo, TaskState};
use crate::kafka::TopicCreator;
use crate::offsets::FileOffsetStore;
use crate::sink_worker::{SinkTaskRunner, SinkTaskSetup};
use crate::source_worker::{SourceTaskRunner, SourceTaskSetup};
use crate::status::{State, Status};
use crate::task::TaskError;
use crate::worker_config::WorkerConfig;

type SharedStatus = Arc<Mutex<Status>>;

fn set(status: &SharedStatus, value: Status) {
    *status.lock().unwrap_or_else(|p| p.into_inner()) = value;
}

fn get(status: &SharedStatus) -> Status {
    status.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

struct RunningTask {
    config: Props,
    status: SharedStatus,
    stop: watch::Sender<bool>,
    join: JoinHandle<()>,
}

struct RunningConnector {
    config: Props,
    kind: ConnectorKind,
    instance: Option<Box<dyn Connector>>,
    status: Status,
    tasks: Vec<RunningTask>,
}

/// The shared parts every task needs.
pub struct WorkerContext {
    pub config: Arc<WorkerConfig>,
    pub offsets: Arc<FileOffsetStore>,
    pub topics: Arc<TopicCreator>,
    pub worker_id: String,
}

pub struct Worker {
    ctx: WorkerContext,
    connectors: Mutex<BTreeMap<String, RunningConnector>>,
}

impl Worker {
    pub fn new(ctx: WorkerContext) -> Worker {
        Worker {
            ctx,
            connectors: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn context(&self) -> &WorkerContext {
        &self.ctx
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, RunningConnector>> {
        self.connectors.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.lock().contains_key(name)
    }

    /// Starts a validated connector and its tasks. A connector that fails to start is kept, FAILED
    /// with its trace, so that its status can be read.
    pub fn start_connector(&self, valid: ValidConnectorConfig) {
        let name = valid.name().to_string();
        let props = valid.parsed.originals().clone();
        let mut instance = (valid.plugin.create)();
        let worker_id = self.ctx.worker_id.clone();
        let started = instance
            .start(&props)
            .and_then(|()| instance.task_configs(valid.tasks_max()));
        let mut running = RunningConnector {
            config: props.clone(),
            kind: valid.plugin.kind,
            instance: None,
            status: Status::new(State::Running, &worker_id),
            tasks: Vec::new(),
        };
        match started {
            Ok(task_configs) => {
                tracing::info!(connector = %name, tasks = task_configs.len(), "connector started");
                for (i, task_config) in task_configs.into_iter().enumerate() {
                    let task = instance.create_task();
                    running
                        .tasks
                        .push(self.start_task(&name, i as u32, &props, task_config, task));
                }
                running.instance = Some(instance);
            }
            Err(e) => {
                tracing::error!(connector = %name, "connector failed to start: {}", e.trace());
                running.status = Status::failed(e.trace(), &worker_id);
            }
        }
        self.lock().insert(name, running);
    }

    fn start_task(
        &self,
        connector: &str,
        id: u32,
        connector_props: &Props,
        task_props: Props,
        task: Task,
    ) -> RunningTask {
        let (stop_tx, stop_rx) = watch::channel(false);
        let status: SharedStatus = Arc::new(Mutex::new(Status::new(
            State::Unassigned,
            &self.ctx.worker_id,
        )));
        let worker_id = self.ctx.worker_id.clone();
        let span = tracing::info_span!("task", connector = %connector, task = id);
        let running_status = status.clone();
        let on_running = move || set(&running_status, Status::new(State::Running, &worker_id));
        let result_status = status.clone();
        let worker_id = self.ctx.worker_id.clone();
        let future: std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<(), TaskError>> + Send>,
        > = match task {
            Task::Source(task) => {
                let setup = SourceTaskSetup {
                    connector: connector.to_string(),
                    task_id: id,
                    task_props: task_props.clone(),
                    connector_props: connector_props.clone(),
                    worker: self.ctx.config.clone(),
                    offsets: self.ctx.offsets.clone(),
                    topics: self.ctx.topics.clone(),
                };
                Box::pin(async move {
                    SourceTaskRunner::new(setup, task, stop_rx)?
                        .run(on_running)
                        .await
                })
            }
            Task::Sink(task) => {
                let setup = SinkTaskSetup {
                    connector: connector.to_string(),
                    task_id: id,
                    task_props: task_props.clone(),
                    connector_props: connector_props.clone(),
                    worker: self.ctx.config.clone(),
                };
                Box::pin(async move {
                    SinkTaskRunner::new(setup, task, stop_rx)?
                        .run(on_running)
                        .await
                })
            }
        };
        let join = tokio::spawn(
            async move {
                // A panic inside the task becomes FAILED too, never a dead worker.
                let outcome = tokio::spawn(future.in_current_span()).await;
                let failure = match outcome {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(e.trace()),
                    Err(join_error) => Some(format!("the task panicked: {join_error}")),
                };
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
            config: task_props,
            status,
            stop: stop_tx,
            join,
        }
    }

    /// Stops every task of a connector (waiting up to `task.shutdown.graceful.timeout.ms`) and the
    /// connector itself, and forgets it.
    pub async fn stop_connector(&self, name: &str) {
        let removed = self.lock().remove(name);
        let Some(mut connector) = removed else { return };
        let timeout = self.ctx.config.task_shutdown_timeout();
        for task in &connector.tasks {
            let _ = task.stop.send(true);
        }
        for task in connector.tasks.drain(..) {
            let abort = task.join.abort_handle();
            if tokio::time::timeout(timeout, task.join).await.is_err() {
                tracing::warn!(
                    connector = name,
                    "a task did not stop within task.shutdown.graceful.timeout.ms; abandoning it"
                );
                abort.abort();
            }
        }
        if let Some(mut instance) = connector.instance.take() {
            if let Err(e) = instance.stop() {
                tracing::warn!(connector = name, "connector did not stop cleanly: {e}");
            }
        }
        tracing::info!(connector = name, "connector stopped");
    }

    /// Stops every connector: all tasks are told to stop at once, then each is awaited.
    pub async fn stop_all(&self) {
        for connector in self.lock().values() {
            for task in &connector.tasks {
                let _ = task.stop.send(true);
            }
        }
        for name in self.connector_names() {
            self.stop_connector(&name).await;
        }
    }

    pub fn connector_names(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    pub fn info(&self, name: &str) -> Option<ConnectorInfo> {
        let connectors = self.lock();
        let c = connectors.get(name)?;
        Some(ConnectorInfo {
            name: name.to_string(),
            config: c.config.clone(),
            tasks: (0..c.tasks.len() as u32)
                .map(|task| ConnectorTaskId {
                    connector: name.to_string(),
                    task,
                })
                .collect(),
            kind: c.kind.as_str(),
        })
    }

    pub fn config(&self, name: &str) -> Option<Props> {
        self.lock().get(name).map(|c| c.config.clone())
    }

    pub fn status(&self, name: &str) -> Option<ConnectorStateInfo> {
        let connectors = self.lock();
        let c = connectors.get(name)?;
        Some(ConnectorStateInfo {
            name: name.to_string(),
            connector: c.status.clone(),
            tasks: c
                .tasks
                .iter()
                .enumerate()
                .map(|(i, t)| TaskState {
                    id: i as u32,
                    status: get(&t.status),
                })
                .collect(),
            kind: c.kind.as_str(),
        })
    }

    pub fn task_infos(&self, name: &str) -> Option<Vec<TaskInfo>> {
        let connectors = self.lock();
        let c = connectors.get(name)?;
        Some(
            c.tasks
                .iter()
                .enumerate()
                .map(|(i, t)| TaskInfo {
                    id: ConnectorTaskId {
                        connector: name.to_string(),
                        task: i as u32,
                    },
                    config: t.config.clone(),
                })
                .collect(),
        )
    }
}
