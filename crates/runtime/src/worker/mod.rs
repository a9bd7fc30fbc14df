//! Runs connectors and their tasks on this worker, applies their target states (started, paused,
//! stopped), restarts them, and keeps their statuses.
//!
//! Callers serialise changes to one connector (the herder holds a lock); the worker's own lock is
//! never held across an await.

mod assigned;
pub mod connector_requests;
pub mod sink;
pub mod source;
pub mod task_control;
mod task_lifecycle;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use ferry_api::{ConnectError, Connector, ConnectorKind, ConnectorPlugin, Props};
use tokio::task::JoinHandle;

use self::connector_requests::ConnectorRequestLog;
use crate::config::connector::{self, ValidConnectorConfig};
use crate::config::worker::WorkerConfig;
use crate::entities::status::{State, Status};
use crate::entities::{
    ConnectorInfo, ConnectorStateInfo, ConnectorTaskId, RestartRequest, TargetState, TaskInfo,
    TaskState,
};
use crate::kafka::TopicCreator;
use crate::worker::task_control::{ActiveTopics, TaskControl};

type SharedStatus = Arc<Mutex<Status>>;

fn set(status: &SharedStatus, value: Status) {
    *status.lock().unwrap_or_else(|p| p.into_inner()) = value;
}

fn get(status: &SharedStatus) -> Status {
    status.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

struct RunningTask {
    status: SharedStatus,
    control: TaskControl,
    join: JoinHandle<()>,
}

struct ConnectorEntry {
    config: Props,
    plugin: ConnectorPlugin,
    tasks_max: usize,
    target: TargetState,
    instance: Option<Box<dyn Connector>>,
    status: Status,
    /// The task configurations of the running generation, by task number.
    task_configs: Vec<Props>,
    tasks: Vec<Option<RunningTask>>,
    topics: ActiveTopics,
}

/// The shared parts every task needs.
pub struct WorkerContext {
    pub config: Arc<WorkerConfig>,
    pub offsets: Arc<dyn crate::storage::offset_store::OffsetStore>,
    pub topics: Arc<TopicCreator>,
    pub worker_id: String,
}

pub struct Worker {
    ctx: WorkerContext,
    connectors: Mutex<BTreeMap<String, ConnectorEntry>>,
    /// What running connectors asked of the runtime through their context.
    requests: Arc<ConnectorRequestLog>,
}

impl Worker {
    pub fn new(ctx: WorkerContext) -> Worker {
        Worker {
            ctx,
            connectors: Mutex::new(BTreeMap::new()),
            requests: Arc::new(ConnectorRequestLog::default()),
        }
    }

    pub fn context(&self) -> &WorkerContext {
        &self.ctx
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, ConnectorEntry>> {
        self.connectors.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.lock().contains_key(name)
    }

    pub fn target_state(&self, name: &str) -> Option<TargetState> {
        self.lock().get(name).map(|c| c.target)
    }

    pub fn kind(&self, name: &str) -> Option<ConnectorKind> {
        self.lock().get(name).map(|c| c.plugin.kind)
    }

    /// Adds a validated connector in the given target state and starts what that state asks for.
    /// As in Kafka, a connector added PAUSED makes no tasks until it is resumed.
    pub fn add_connector(&self, valid: ValidConnectorConfig, target: TargetState) {
        self.insert(valid, target, false);
    }

    /// Adds a connector kept by an earlier run: one kept PAUSED gets its tasks back, paused, as
    /// Kafka's distributed workers start the task configurations they stored.
    pub fn restore_connector(&self, valid: ValidConnectorConfig, target: TargetState) {
        self.insert(valid, target, true);
    }

    fn insert(&self, valid: ValidConnectorConfig, target: TargetState, tasks_while_paused: bool) {
        let name = valid.name().to_string();
        let entry = ConnectorEntry {
            config: valid.parsed.originals().clone(),
            plugin: valid.plugin.clone(),
            tasks_max: valid.tasks_max(),
            target,
            instance: None,
            status: Status::new(State::Unassigned, &self.ctx.worker_id),
            task_configs: Vec::new(),
            tasks: Vec::new(),
            topics: ActiveTopics::default(),
        };
        self.lock().insert(name.clone(), entry);
        self.start_in_target(&name, tasks_while_paused);
    }

    /// Brings a connector with no running parts to its target state.
    fn apply_target(&self, name: &str) {
        self.start_in_target(name, false);
    }

    /// Like `apply_target`; `tasks_while_paused` makes the tasks of a paused connector too.
    fn start_in_target(&self, name: &str, tasks_while_paused: bool) {
        let mut connectors = self.lock();
        let Some(entry) = connectors.get_mut(name) else {
            return;
        };
        let worker_id = self.ctx.worker_id.clone();
        if entry.target == TargetState::Stopped {
            entry.status = Status::new(State::Stopped, &worker_id);
            entry.task_configs.clear();
            tracing::info!(connector = name, "connector is stopped");
            return;
        }
        // As in Kafka, a connector that starts paused makes no tasks until it is resumed.
        let started = self.start_instance(entry).and_then(|instance| {
            let configs = if entry.target == TargetState::Paused && !tasks_while_paused {
                Vec::new()
            } else {
                self.stored_task_configs(entry, instance.as_ref())?
            };
            Ok((instance, configs))
        });
        match started {
            Ok((instance, task_configs)) => {
                tracing::info!(connector = name, tasks = task_configs.len(), target = ?entry.target, "connector started");
                entry.instance = Some(instance);
                entry.status = Status::new(running_state(entry.target), &worker_id);
                self.start_tasks(name, entry, task_configs);
            }
            Err(e) => {
                self.connector_failed(name, entry, "connector failed to start", &e);
            }
        }
    }

    /// Starts one task per configuration, replacing the entry's (stopped) ones.
    fn start_tasks(&self, name: &str, entry: &mut ConnectorEntry, task_configs: Vec<Props>) {
        entry.task_configs = task_configs;
        entry.tasks = (0..entry.task_configs.len()).map(|_| None).collect();
        for id in 0..entry.task_configs.len() {
            let task = self.spawn_task(name, id as u32, entry);
            entry.tasks[id] = Some(task);
        }
    }

    /// Makes the tasks of a running connector that has none (one that started paused).
    fn start_missing_tasks(&self, name: &str) {
        let mut connectors = self.lock();
        let Some(entry) = connectors.get_mut(name) else {
            return;
        };
        if entry.instance.is_none() || !entry.tasks.is_empty() {
            return;
        }
        // As stored and shown: placeholders of config providers put back (tasks resolve them).
        if let Some(task_configs) = self.task_configs_or_fail(name, entry) {
            tracing::info!(
                connector = name,
                tasks = task_configs.len(),
                "tasks started"
            );
            self.start_tasks(name, entry, task_configs);
        }
    }

    /// Starts the entry's connector object (its tasks are not touched): RUNNING or PAUSED as its
    /// target says, or FAILED with the reason.
    fn start_object(&self, name: &str, entry: &mut ConnectorEntry, started: &str) {
        match self.start_instance(entry) {
            Ok(instance) => {
                entry.instance = Some(instance);
                entry.status = Status::new(running_state(entry.target), &self.ctx.worker_id);
                tracing::info!(connector = name, "{started}");
            }
            Err(e) => self.connector_failed(name, entry, "connector failed to start", &e),
        }
    }

    /// The running connector's task configurations as stored; a connector that cannot give them
    /// is FAILED and `None` returned.
    fn task_configs_or_fail(&self, name: &str, entry: &mut ConnectorEntry) -> Option<Vec<Props>> {
        let answer = self.stored_task_configs(entry, entry.instance.as_deref()?);
        match answer {
            Ok(configs) => Some(configs),
            Err(e) => {
                self.connector_failed(
                    name,
                    entry,
                    "connector failed to give task configurations",
                    &e,
                );
                None
            }
        }
    }

    /// The connector is FAILED with `error` as its trace; `what` says what it was doing.
    fn connector_failed(
        &self,
        name: &str,
        entry: &mut ConnectorEntry,
        what: &str,
        error: &ConnectError,
    ) {
        tracing::error!(connector = name, "{what}: {}", error.trace());
        entry.status = Status::failed(error.trace(), &self.ctx.worker_id);
    }

    /// A new instance of the entry's connector, started with its configuration resolved by the
    /// config providers: the instance sees the secrets, the entry keeps the placeholders.
    fn start_instance(&self, entry: &ConnectorEntry) -> Result<Box<dyn Connector>, ConnectError> {
        for ignored in connector::accepted_but_ignored(entry.plugin.kind, &entry.config) {
            tracing::warn!(
                connector = entry.config.get("name").map_or("", String::as_str),
                "accepted but not acted on: {ignored}"
            );
        }
        let resolved = self.ctx.config.providers().resolve(&entry.config)?;
        let mut instance = (entry.plugin.create)();
        let name = entry.config.get("name").map_or("", String::as_str);
        instance.initialize(self.requests.context_for(name));
        let worker = &crate::metrics::registry().worker;
        match instance.start(&resolved) {
            Ok(()) => crate::metrics::TaskMetrics::add(&worker.connector_startup_success_total, 1),
            Err(e) => {
                crate::metrics::TaskMetrics::add(&worker.connector_startup_failure_total, 1);
                return Err(e);
            }
        }
        Ok(instance)
    }

    /// The instance's task configurations as they are stored and shown: values that came from
    /// config providers put back as their placeholders, and `task.class` named.
    fn stored_task_configs(
        &self,
        entry: &ConnectorEntry,
        instance: &dyn Connector,
    ) -> Result<Vec<Props>, ConnectError> {
        let configs = instance.task_configs(entry.tasks_max)?;
        let providers = self.ctx.config.providers();
        let resolved = providers.resolve(&entry.config)?;
        let stored = providers.unresolve(&entry.config, &resolved, configs);
        Ok(naming_the_task_class(stored, &entry.plugin))
    }

    /// Stops the connector's tasks and instance; the entry stays.
    async fn halt(&self, name: &str) {
        let (tasks, instance) = {
            let mut connectors = self.lock();
            let Some(entry) = connectors.get_mut(name) else {
                return;
            };
            let tasks: Vec<RunningTask> = entry.tasks.drain(..).flatten().collect();
            (tasks, entry.instance.take())
        };
        self.stop_tasks(name, tasks).await;
        if let Some(mut instance) = instance {
            if let Err(e) = instance.stop() {
                tracing::warn!(connector = name, "connector did not stop cleanly: {e}");
            }
        }
    }

    /// Stops and forgets a connector.
    pub async fn remove_connector(&self, name: &str) {
        self.halt(name).await;
        self.lock().remove(name);
        tracing::info!(connector = name, "connector removed");
    }

    /// Replaces a connector's configuration and restarts it in its target state.
    pub async fn reconfigure(&self, valid: ValidConnectorConfig) {
        let name = valid.name().to_string();
        self.halt(&name).await;
        if let Some(entry) = self.lock().get_mut(&name) {
            entry.config = valid.parsed.originals().clone();
            entry.plugin = valid.plugin.clone();
            entry.tasks_max = valid.tasks_max();
        }
        tracing::info!(connector = %name, "connector reconfigured");
        self.apply_target(&name);
    }

    /// Moves a connector to a new target state.
    pub async fn set_target(&self, name: &str, target: TargetState) {
        let previous = {
            let mut connectors = self.lock();
            let Some(entry) = connectors.get_mut(name) else {
                return;
            };
            std::mem::replace(&mut entry.target, target)
        };
        match (previous, target) {
            (a, b) if a == b => {}
            (_, TargetState::Stopped) => {
                self.halt(name).await;
                self.apply_target(name);
            }
            (TargetState::Stopped, _) => self.apply_target(name),
            (_, TargetState::Started) => {
                self.set_paused(name, false);
                self.start_missing_tasks(name);
            }
            (_, _) => self.set_paused(name, true),
        }
    }

    pub fn set_paused(&self, name: &str, paused: bool) {
        let mut connectors = self.lock();
        let Some(entry) = connectors.get_mut(name) else {
            return;
        };
        let worker_id = &self.ctx.worker_id;
        let (from, to) = if paused {
            (State::Running, State::Paused)
        } else {
            (State::Paused, State::Running)
        };
        let mut changed = false;
        if entry.status.state == from {
            entry.status = Status::new(to, worker_id);
            changed = true;
        }
        for task in entry.tasks.iter().flatten() {
            task.control.set_paused(paused);
            let mut status = task.status.lock().unwrap_or_else(|p| p.into_inner());
            if status.state == from {
                *status = Status::new(to, worker_id);
                changed = true;
            }
        }
        if changed {
            let what = if paused { "paused" } else { "resumed" };
            tracing::info!(connector = name, "connector {what}");
        }
    }

    /// Restarts a connector and, if asked, its tasks; answers the status as it was when the
    /// restart began, with what is being restarted marked RESTARTING. A stopped connector stays
    /// stopped; a paused one comes back paused.
    pub async fn restart(&self, name: &str, request: RestartRequest) -> Option<ConnectorStateInfo> {
        let mut snapshot = self.status(name)?;
        if self.target_state(name) == Some(TargetState::Stopped) {
            return Some(snapshot);
        }
        let restart_connector = !request.only_failed || snapshot.connector.state == State::Failed;
        let tasks: Vec<u32> = snapshot
            .tasks
            .iter()
            .filter(|t| {
                request.include_tasks && (!request.only_failed || t.status.state == State::Failed)
            })
            .map(|t| t.id)
            .collect();
        if restart_connector {
            snapshot.connector.state = State::Restarting;
            snapshot.connector.trace = None;
        }
        for t in snapshot.tasks.iter_mut().filter(|t| tasks.contains(&t.id)) {
            t.status.state = State::Restarting;
            t.status.trace = None;
        }
        if restart_connector && !self.is_started(name) {
            // It never got going (it failed at start): start it, and so its tasks, afresh.
            self.halt(name).await;
            self.apply_target(name);
            return Some(snapshot);
        }
        if restart_connector {
            self.restart_connector_instance(name);
        }
        for id in tasks {
            self.restart_task(name, id).await;
        }
        Some(snapshot)
    }

    fn is_started(&self, name: &str) -> bool {
        self.lock().get(name).is_some_and(|c| c.instance.is_some())
    }

    /// Restarts the connector object alone; its tasks go on.
    fn restart_connector_instance(&self, name: &str) {
        let mut connectors = self.lock();
        let Some(entry) = connectors.get_mut(name) else {
            return;
        };
        if let Some(mut old) = entry.instance.take() {
            let _ = old.stop();
        }
        self.start_object(name, entry, "connector restarted");
    }

    /// Restarts one task with its current configuration. `false` if there is no such task.
    pub async fn restart_task(&self, name: &str, id: u32) -> bool {
        let old = {
            let mut connectors = self.lock();
            let Some(entry) = connectors.get_mut(name) else {
                return false;
            };
            match entry.tasks.get_mut(id as usize) {
                Some(slot) => slot.take(),
                None => return false,
            }
        };
        if let Some(old) = old {
            self.stop_tasks(name, vec![old]).await;
        }
        let mut connectors = self.lock();
        if let Some(entry) = connectors.get_mut(name) {
            if entry.instance.is_some() && (id as usize) < entry.task_configs.len() {
                let task = self.spawn_task(name, id, entry);
                entry.tasks[id as usize] = Some(task);
                tracing::info!(connector = name, task = id, "task restarted");
            }
        }
        true
    }

    /// Stops every connector: all tasks are told to stop at once, then each is awaited.
    pub async fn stop_all(&self) {
        for entry in self.lock().values() {
            for task in entry.tasks.iter().flatten() {
                task.control.stop();
            }
        }
        for name in self.connector_names() {
            self.halt(&name).await;
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
            tasks: (0..c.task_configs.len() as u32)
                .map(|task| ConnectorTaskId {
                    connector: name.to_string(),
                    task,
                })
                .collect(),
            kind: c.plugin.kind.as_str(),
        })
    }

    pub fn config(&self, name: &str) -> Option<Props> {
        self.lock().get(name).map(|c| c.config.clone())
    }

    pub fn status(&self, name: &str) -> Option<ConnectorStateInfo> {
        let connectors = self.lock();
        let c = connectors.get(name)?;
        let worker_id = &self.ctx.worker_id;
        Some(ConnectorStateInfo {
            name: name.to_string(),
            connector: c.status.clone(),
            tasks: c
                .tasks
                .iter()
                .enumerate()
                .map(|(i, t)| TaskState {
                    id: i as u32,
                    status: t
                        .as_ref()
                        .map(|t| get(&t.status))
                        .unwrap_or_else(|| Status::new(State::Unassigned, worker_id)),
                })
                .collect(),
            kind: c.plugin.kind.as_str(),
        })
    }

    pub fn task_infos(&self, name: &str) -> Option<Vec<TaskInfo>> {
        let connectors = self.lock();
        let c = connectors.get(name)?;
        Some(
            c.task_configs
                .iter()
                .enumerate()
                .map(|(i, config)| TaskInfo {
                    id: ConnectorTaskId {
                        connector: name.to_string(),
                        task: i as u32,
                    },
                    config: config.clone(),
                })
                .collect(),
        )
    }

    pub fn active_topics(&self, name: &str) -> Option<ActiveTopics> {
        self.lock().get(name).map(|c| c.topics.clone())
    }
}

/// Adds `task.class` to each task configuration, as Kafka's worker does: Java workers of a mixed
/// cluster need it to run the task, and configurations compared across kinds of workers must
/// The state a started connector shows: RUNNING, or PAUSED when that is its target.
fn running_state(target: TargetState) -> State {
    match target {
        TargetState::Paused => State::Paused,
        _ => State::Running,
    }
}

/// not look changed.
fn naming_the_task_class(mut configs: Vec<Props>, plugin: &ConnectorPlugin) -> Vec<Props> {
    // A Java connector names its task class itself (known once it runs).
    if plugin.task_class.is_empty() {
        return configs;
    }
    for config in &mut configs {
        config.insert("task.class".to_string(), plugin.task_class.to_string());
    }
    configs
}
