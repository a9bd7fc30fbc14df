//! The distributed herder: joins the worker group, runs what the leader assigns, keeps the
//! config, status and offsets topics, and answers the REST API from the replicated state.
//! Writes are done by the leader; other workers answer `NotLeader` so the REST layer forwards
//! the request to the leader's URL.

mod group;
mod internal_requests;
mod leader;
mod local_work;
mod workers;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ferry_api::{ConnectorKind, Props};

use super::assignor::{flatten, Work};
use super::config_state::{records as config_records, ConfigState};
use super::protocol::Protocol;
use super::settings::DistributedSettings;
use super::status_state::{records as status_records, StatusState};
use crate::config::connector;
use crate::config::worker::WorkerConfig;
use crate::entities::status::{State, Status};
use crate::herder::offsets::{require_stopped, Offsets};
use crate::herder::{
    invalid_config, no_status, not_found, unknown_connector, unknown_connector_to_restart,
    with_name, ConnectorInfo, ConnectorOffsets, ConnectorStateInfo, ConnectorTaskId, Created,
    GroupWorkers, Herder, HerderError, InternalSignature, RestartRequest, ServerInfo, TargetState,
    TaskInfo, TaskState, WorkerState,
};
use crate::kafka::compacted_topic::{KafkaLog, LogError, TopicSpec};
use crate::plugins::Plugins;
use crate::storage::offset_store::KafkaOffsetStore;
use crate::worker::Worker;

/// How long a write waits for a rebalance in progress to end before it is answered 409.
const REBALANCE_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

const REBALANCING: &str =
    "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)";

#[derive(Default)]
struct Shared {
    config: ConfigState,
    status: StatusState,
    /// `None` while the group rebalances.
    leader_url: Option<String>,
    is_leader: bool,
    generation: i32,
    /// What this worker runs.
    running: BTreeSet<Work>,
    /// Restart requests of the config topic already carried out.
    restarts_seen: usize,
    /// Status records last written, to write only changes.
    published: BTreeMap<String, Status>,
    topics_published: BTreeSet<(String, String)>,
    /// The protocol the group agreed on in the last rebalance.
    protocol: Option<Protocol>,
    /// Task configurations of connectors running here, not yet handed to the leader.
    unsent_task_configs: BTreeMap<String, Vec<Props>>,
    /// Connectors whose task configurations are being posted to the leader right now.
    task_configs_in_flight: BTreeSet<String>,
}

pub struct DistributedHerder {
    worker: Arc<Worker>,
    plugins: Arc<Plugins>,
    worker_config: Arc<WorkerConfig>,
    settings: DistributedSettings,
    url: String,
    shared: Mutex<Shared>,
    config_log: tokio::sync::Mutex<KafkaLog>,
    status_log: tokio::sync::Mutex<KafkaLog>,
    offsets: Arc<KafkaOffsetStore>,
    state: WorkerState,
    /// Wakes the group loop early (a config write to act on).
    wake: tokio::sync::Notify,
}

fn log_error(e: LogError) -> HerderError {
    HerderError::Internal(e.to_string())
}

/// Opens the internal topics a distributed worker needs, creating them when missing.
pub struct InternalTopics {
    pub config: KafkaLog,
    pub status: KafkaLog,
    pub offsets: KafkaLog,
}

impl InternalTopics {
    pub async fn open(
        worker: &WorkerConfig,
        s: &DistributedSettings,
    ) -> Result<InternalTopics, LogError> {
        let id = worker.worker_id();
        let spec = |name: &str, partitions: i32, replication: i32| TopicSpec {
            name: name.to_string(),
            partitions,
            replication,
        };
        Ok(InternalTopics {
            config: KafkaLog::open(worker, &spec(&s.config_topic, 1, s.config_replication), &id)
                .await?,
            status: KafkaLog::open(
                worker,
                &spec(&s.status_topic, s.status_partitions, s.status_replication),
                &id,
            )
            .await?,
            offsets: KafkaLog::open(
                worker,
                &spec(&s.offset_topic, s.offset_partitions, s.offset_replication),
                &id,
            )
            .await?,
        })
    }
}

impl DistributedHerder {
    pub fn new(
        worker: Arc<Worker>,
        plugins: Arc<Plugins>,
        settings: DistributedSettings,
        topics_config: KafkaLog,
        topics_status: KafkaLog,
        offsets: Arc<KafkaOffsetStore>,
    ) -> DistributedHerder {
        let worker_config = worker.context().config.clone();
        DistributedHerder {
            url: worker_config.advertised_url(),
            worker,
            plugins,
            worker_config,
            settings,
            shared: Mutex::new(Shared::default()),
            config_log: tokio::sync::Mutex::new(topics_config),
            status_log: tokio::sync::Mutex::new(topics_status),
            offsets,
            state: WorkerState::default(),
            wake: tokio::sync::Notify::new(),
        }
    }

    fn shared(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_cluster_id(&self, id: String) {
        self.state.set_cluster_id(id);
    }

    /// Reads the config topic to its end; returns whether the assignment may have to change.
    async fn refresh_config(&self) -> Result<bool, LogError> {
        let mut log = self.config_log.lock().await;
        let mut updates = Vec::new();
        log.read_to_end(|r| updates.push((String::from_utf8_lossy(&r.key).into_owned(), r.value)))?;
        Ok(self.apply_config(updates))
    }

    /// Applies config records read; returns whether the assignment may have to change.
    fn apply_config(&self, updates: Vec<(String, Option<Vec<u8>>)>) -> bool {
        let mut shared = self.shared();
        let before = shared.config.structure_version;
        for (key, value) in updates {
            shared.config.apply(&key, value.as_deref());
        }
        shared.config.structure_version != before
    }

    /// Applies status records read.
    fn apply_status(&self, updates: Vec<(String, Option<Vec<u8>>)>) {
        let mut shared = self.shared();
        for (key, value) in updates {
            shared.status.apply(&key, value.as_deref());
        }
    }

    async fn config_offset(&self) -> i64 {
        self.config_log.lock().await.position()
    }

    async fn write_config(
        &self,
        records: Vec<(String, Option<Vec<u8>>)>,
    ) -> Result<(), HerderError> {
        let batch: Vec<(&[u8], Option<&[u8]>)> = records
            .iter()
            .map(|(k, v)| (k.as_bytes(), v.as_deref()))
            .collect();
        self.config_log
            .lock()
            .await
            .send_all(&batch)
            .await
            .map_err(log_error)?;
        self.refresh_config().await.map_err(log_error)?;
        self.wake.notify_one();
        Ok(())
    }

    /// Writes must be done by the leader: `Ok` here, or where to send the request. During a
    /// rebalance the request waits for the group to settle, as Kafka's herder queues requests
    /// until its rebalance is over; 409 only if it does not settle in time.
    async fn require_leader(&self) -> Result<(), HerderError> {
        let deadline = tokio::time::Instant::now() + REBALANCE_WAIT;
        loop {
            {
                let shared = self.shared();
                match (&shared.leader_url, shared.is_leader) {
                    (Some(_), true) => return Ok(()),
                    (Some(url), false) => return Err(HerderError::NotLeader(url.clone())),
                    (None, _) => {}
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(HerderError::Conflict(REBALANCING.into()));
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    fn check(&self, props: &Props) -> Result<(), HerderError> {
        connector::validate_on(&self.worker.context().config, &self.plugins, props)
            .map(|_| ())
            .map_err(|problems| invalid_config(&problems, props))
    }

    fn exists(&self, name: &str) -> bool {
        self.shared().config.connectors.contains_key(name)
    }

    fn kind(&self, name: &str) -> Option<ConnectorKind> {
        let config = self.shared().config.connectors.get(name).cloned()?;
        self.plugins.connector_of(&config).map(|p| p.kind)
    }

    fn info_of(&self, name: &str) -> Option<ConnectorInfo> {
        let shared = self.shared();
        let config = shared.config.connectors.get(name)?.clone();
        let tasks = shared.config.tasks.get(name).map_or(0, Vec::len) as u32;
        let kind = self
            .plugins
            .connector_of(&config)
            .map_or("unknown", |p| p.kind.as_str());
        Some(ConnectorInfo {
            name: name.to_string(),
            config,
            tasks: (0..tasks)
                .map(|task| ConnectorTaskId {
                    connector: name.to_string(),
                    task,
                })
                .collect(),
            kind,
        })
    }

    fn status_of(&self, name: &str) -> Option<ConnectorStateInfo> {
        let info = self.info_of(name)?;
        let shared = self.shared();
        let unassigned = || Status::new(State::Unassigned, "");
        let connector = shared.status.connector(name).unwrap_or_else(unassigned);
        let tasks = info
            .tasks
            .iter()
            .map(|t| TaskState {
                id: t.task,
                status: shared.status.task(name, t.task).unwrap_or_else(unassigned),
            })
            .collect();
        Some(ConnectorStateInfo {
            name: name.to_string(),
            connector,
            tasks,
            kind: info.kind,
        })
    }

    /// The connector's offsets, if it exists.
    fn offsets_of<'a>(
        &'a self,
        name: &'a str,
        config: &'a Props,
    ) -> Result<Offsets<'a>, HerderError> {
        Ok(Offsets {
            name,
            kind: self.kind(name).ok_or_else(|| not_found(name))?,
            config,
            store: self.offsets.as_ref(),
            worker: &self.worker_config,
        })
    }
}

/// Milliseconds since the epoch.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[async_trait]
impl Herder for DistributedHerder {
    fn server_info(&self) -> ServerInfo {
        self.state.server_info()
    }

    async fn workers(&self) -> Result<Option<GroupWorkers>, HerderError> {
        self.group_workers().await.map(Some)
    }

    fn ready(&self) -> bool {
        self.state.ready()
    }

    async fn connectors(&self) -> Vec<String> {
        self.shared().config.connectors.keys().cloned().collect()
    }

    async fn connector_info(&self, name: &str) -> Result<ConnectorInfo, HerderError> {
        self.info_of(name).ok_or_else(|| not_found(name))
    }

    async fn connector_config(&self, name: &str) -> Result<Props, HerderError> {
        self.shared()
            .config
            .connectors
            .get(name)
            .cloned()
            .ok_or_else(|| not_found(name))
    }

    async fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo, HerderError> {
        self.status_of(name).ok_or_else(|| no_status(name))
    }

    async fn task_configs(&self, name: &str) -> Result<Vec<TaskInfo>, HerderError> {
        let shared = self.shared();
        if !shared.config.connectors.contains_key(name) {
            return Err(not_found(name));
        }
        Ok(shared
            .config
            .tasks
            .get(name)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, config)| TaskInfo {
                id: ConnectorTaskId {
                    connector: name.to_string(),
                    task: i as u32,
                },
                config,
            })
            .collect())
    }

    async fn create_connector(
        &self,
        name: &str,
        config: Props,
        initial: TargetState,
    ) -> Result<ConnectorInfo, HerderError> {
        let config = with_name(name, config)?;
        self.require_leader().await?;
        if self.exists(name) {
            return Err(HerderError::Conflict(format!(
                "Connector {name} already exists"
            )));
        }
        self.check(&config)?;
        let (tk, tv) = config_records::target_state(name, initial);
        let (ck, cv) = config_records::connector(name, &config);
        self.write_config(vec![(tk, Some(tv)), (ck, Some(cv))])
            .await?;
        self.info_of(name).ok_or_else(|| not_found(name))
    }

    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
    ) -> Result<Created<ConnectorInfo>, HerderError> {
        let config = with_name(name, config)?;
        self.require_leader().await?;
        self.check(&config)?;
        let created = !self.exists(name);
        let (ck, cv) = config_records::connector(name, &config);
        self.write_config(vec![(ck, Some(cv))]).await?;
        let value = self.info_of(name).ok_or_else(|| not_found(name))?;
        Ok(Created { created, value })
    }

    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> Result<ConnectorInfo, HerderError> {
        let mut config = self
            .shared()
            .config
            .connectors
            .get(name)
            .cloned()
            .ok_or_else(|| not_found(name))?;
        for (key, value) in patch {
            match value {
                Some(v) => config.insert(key, v),
                None => config.remove(&key),
            };
        }
        Ok(self.put_connector_config(name, config).await?.value)
    }

    async fn delete_connector(&self, name: &str) -> Result<(), HerderError> {
        if !self.exists(name) {
            return Err(not_found(name));
        }
        self.require_leader().await?;
        self.write_config(vec![
            (format!("connector-{name}"), None),
            (format!("target-state-{name}"), None),
        ])
        .await
    }

    async fn set_target_state(&self, name: &str, target: TargetState) -> Result<(), HerderError> {
        if !self.exists(name) {
            return Err(unknown_connector(name));
        }
        self.require_leader().await?;
        let (k, v) = config_records::target_state(name, target);
        self.write_config(vec![(k, Some(v))]).await?;
        if target == TargetState::Stopped {
            // As in Kafka (KIP-875): a stopped connector has no tasks.
            self.write_task_configs(name, &[]).await?;
        }
        Ok(())
    }

    async fn restart_connector(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> Result<ConnectorStateInfo, HerderError> {
        if !self.exists(name) {
            return Err(unknown_connector_to_restart(name));
        }
        let mut snapshot = self.connector_status(name).await?;
        self.require_leader().await?;
        if self.shared().config.target(name) == TargetState::Stopped {
            return Ok(snapshot);
        }
        if !request.only_failed || snapshot.connector.state == State::Failed {
            snapshot.connector.state = State::Restarting;
            snapshot.connector.trace = None;
        }
        for t in snapshot.tasks.iter_mut() {
            if request.include_tasks && (!request.only_failed || t.status.state == State::Failed) {
                t.status.state = State::Restarting;
                t.status.trace = None;
            }
        }
        let (k, v) = config_records::restart(name, request);
        self.write_config(vec![(k, Some(v))]).await?;
        Ok(snapshot)
    }

    async fn put_task_configs(
        &self,
        name: &str,
        body: &[u8],
        signature: InternalSignature,
    ) -> Result<(), HerderError> {
        self.accept_task_configs(name, body, signature).await
    }

    async fn restart_task(&self, name: &str, task: u32) -> Result<(), HerderError> {
        if !self.exists(name) {
            return Err(unknown_connector_to_restart(name));
        }
        let running_here = self.shared().running.contains(&Work {
            connector: name.to_string(),
            task: task as i32,
        });
        if running_here {
            if let Some(config) = self.worker.task_config(name, task) {
                self.worker.stop_task(name, task).await;
                self.worker.start_task_with(name, task, config);
                return Ok(());
            }
        }
        // The worker running the task restarts it.
        let owner = self
            .shared()
            .status
            .task(name, task)
            .map(|s| s.worker_id)
            .filter(|w| !w.is_empty());
        match owner {
            Some(worker_id) if format!("http://{worker_id}/") != self.url => {
                Err(HerderError::NotLeader(format!("http://{worker_id}/")))
            }
            _ => Err(HerderError::NotFound(format!(
                "Unknown task: {name}-{task}"
            ))),
        }
    }

    async fn offsets(&self, name: &str) -> Result<ConnectorOffsets, HerderError> {
        let config = self.connector_config(name).await?;
        self.offsets.refresh().await.map_err(log_error)?;
        self.offsets_of(name, &config)?.read()
    }

    async fn alter_offsets(
        &self,
        name: &str,
        offsets: ConnectorOffsets,
    ) -> Result<String, HerderError> {
        let config = self.connector_config(name).await?;
        let target = self.offsets_of(name, &config)?;
        require_stopped(name, self.shared().config.target(name))?;
        self.offsets.refresh().await.map_err(log_error)?;
        target.alter_checked(self.plugins.connector_for(&config)?.as_ref(), offsets)
    }

    async fn reset_offsets(&self, name: &str) -> Result<String, HerderError> {
        let config = self.connector_config(name).await?;
        let target = self.offsets_of(name, &config)?;
        require_stopped(name, self.shared().config.target(name))?;
        self.offsets.refresh().await.map_err(log_error)?;
        target
            .reset_checked(self.plugins.connector_for(&config)?.as_ref())
            .await
    }

    async fn active_topics(&self, name: &str) -> Result<Vec<String>, HerderError> {
        if !self.exists(name) {
            return Err(not_found(name));
        }
        Ok(self.shared().status.topics(name))
    }

    async fn reset_active_topics(&self, name: &str) -> Result<(), HerderError> {
        let topics = self.active_topics(name).await?;
        let keys: Vec<String> = topics
            .iter()
            .map(|t| status_records::topic_key(name, t))
            .collect();
        let tombstones: Vec<(&[u8], Option<&[u8]>)> =
            keys.iter().map(|k| (k.as_bytes(), None)).collect();
        self.status_log
            .lock()
            .await
            .send_all(&tombstones)
            .await
            .map_err(log_error)?;
        let mut shared = self.shared();
        for t in topics {
            shared.topics_published.remove(&(name.to_string(), t));
        }
        Ok(())
    }

    fn plugins(&self) -> &Plugins {
        &self.plugins
    }
}
