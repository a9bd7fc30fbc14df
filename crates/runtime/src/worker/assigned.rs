//! The worker's part in distributed mode, where the herder hands it a connector's object and its
//! tasks separately (they may run on different workers): each started, stopped and reported on
//! its own.

use ferry_api::{ConnectorPlugin, Props};

use super::task_control::ActiveTopics;
use super::{get, ConnectorEntry, Worker};
use crate::entities::status::{State, Status};
use crate::entities::TargetState;

impl Worker {
    /// Makes sure the worker knows a connector (for distributed mode, where its object and its
    /// tasks may run on different workers), with its current configuration and target state.
    pub fn ensure_entry(
        &self,
        name: &str,
        config: &Props,
        plugin: &ConnectorPlugin,
        tasks_max: usize,
        target: TargetState,
    ) {
        let mut connectors = self.lock();
        let entry = connectors
            .entry(name.to_string())
            .or_insert_with(|| ConnectorEntry {
                config: config.clone(),
                plugin: plugin.clone(),
                tasks_max,
                target,
                instance: None,
                status: Status::new(State::Unassigned, &self.ctx.worker_id),
                task_configs: Vec::new(),
                tasks: Vec::new(),
                topics: ActiveTopics::default(),
            });
        entry.config = config.clone();
        entry.plugin = plugin.clone();
        entry.tasks_max = tasks_max;
        entry.target = target;
    }

    /// Starts the connector object alone (distributed mode: the `-1` of an assignment).
    pub fn start_connector_object(&self, name: &str) {
        let mut connectors = self.lock();
        let Some(entry) = connectors.get_mut(name) else {
            return;
        };
        if entry.target == TargetState::Stopped {
            entry.status = Status::new(State::Stopped, &self.ctx.worker_id);
            return;
        }
        self.start_object(name, entry, "connector started");
    }

    /// Asks the connector object running here for its task configurations (distributed mode: the
    /// worker that runs it sends them to the leader). A connector that cannot answer is FAILED.
    pub fn connector_task_configs(&self, name: &str) -> Option<Vec<Props>> {
        let mut connectors = self.lock();
        let entry = connectors.get_mut(name)?;
        self.task_configs_or_fail(name, entry)
    }

    /// Stops the connector object alone; its tasks (wherever they run) go on.
    pub fn stop_connector_object(&self, name: &str) {
        let mut connectors = self.lock();
        let Some(entry) = connectors.get_mut(name) else {
            return;
        };
        if let Some(mut instance) = entry.instance.take() {
            let _ = instance.stop();
        }
        entry.status = Status::new(State::Unassigned, &self.ctx.worker_id);
    }

    /// Starts one task with the given configuration (distributed mode).
    pub fn start_task_with(&self, name: &str, id: u32, task_config: Props) {
        let mut connectors = self.lock();
        let Some(entry) = connectors.get_mut(name) else {
            return;
        };
        let slot = id as usize;
        if entry.task_configs.len() <= slot {
            entry.task_configs.resize(slot + 1, Props::new());
        }
        while entry.tasks.len() <= slot {
            entry.tasks.push(None);
        }
        entry.task_configs[slot] = task_config;
        let task = self.spawn_task(name, id, entry);
        entry.tasks[slot] = Some(task);
    }

    /// Stops one task and forgets it.
    pub async fn stop_task(&self, name: &str, id: u32) {
        let task = {
            let mut connectors = self.lock();
            connectors
                .get_mut(name)
                .and_then(|e| e.tasks.get_mut(id as usize))
                .and_then(Option::take)
        };
        if let Some(task) = task {
            self.stop_tasks(name, vec![task]).await;
        }
    }

    /// The configuration a local task runs with.
    pub fn task_config(&self, name: &str, id: u32) -> Option<Props> {
        let connectors = self.lock();
        let entry = connectors.get(name)?;
        entry.tasks.get(id as usize)?.as_ref()?;
        entry.task_configs.get(id as usize).cloned()
    }

    /// Status of the connector object, if it runs here.
    pub fn local_connector_status(&self, name: &str) -> Option<Status> {
        self.lock()
            .get(name)
            .map(|e| e.status.clone())
            .filter(|s| s.state != State::Unassigned)
    }

    /// Status of a task, if it runs here.
    pub fn local_task_status(&self, name: &str, id: u32) -> Option<Status> {
        let connectors = self.lock();
        let task = connectors.get(name)?.tasks.get(id as usize)?.as_ref()?;
        Some(get(&task.status))
    }

    /// Sets the connector object's status (distributed mode reports STOPPED this way).
    pub fn set_connector_state(&self, name: &str, state: State) {
        if let Some(entry) = self.lock().get_mut(name) {
            entry.status = Status::new(state, &self.ctx.worker_id);
        }
    }

    /// Forgets a connector that no longer runs anything here.
    pub fn forget_if_idle(&self, name: &str) {
        let mut connectors = self.lock();
        let idle = connectors
            .get(name)
            .is_some_and(|e| e.instance.is_none() && e.tasks.iter().all(Option::is_none));
        if idle {
            connectors.remove(name);
        }
    }
}
