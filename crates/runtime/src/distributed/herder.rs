//! The distributed herder: joins the worker group, runs what the leader assigns, keeps the
//! config, status and offsets topics, and answers the REST API from the replicated state.
//! Writes are done by the leader; other workers answer `NotLeader` so the REST layer forwards
//! the request to the leader's URL.

use std::collections::{BTreeMap, BTreeSet};

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use ferry_api::{ConnectorKind, Props};
use tokio::sync::watch;

use super::assignor::{Assignor, Work};
use super::config_state::{records as config_records, ConfigState};
use super::kafka_log::{KafkaLog, LogError, TopicSpec};
use super::membership::{GroupMember, GroupSettings, Joined};
use super::protocol::{Allocation, Assignment, MemberMetadata, Protocol, CONNECTOR_TASK};
use super::settings::DistributedSettings;
use super::status_state::{records as status_records, StatusState};
use crate::connector_config;
use crate::connector_offsets::{require_stopped, Offsets};
use crate::herder::{
    invalid_config, not_found, with_name, ConfigInfos, ConfigKeyInfo, ConnectorInfo,
    ConnectorOffsets, ConnectorStateInfo, ConnectorTaskId, Created, Herder, HerderError,
    PluginInfo, RestartRequest, ServerInfo, TargetState, TaskInfo, TaskState, WorkerState,
};
use crate::offset_store::KafkaOffsetStore;
use crate::plugins::Plugins;
use crate::status::{State, Status};
use crate::validation;
use crate::worker::Worker;
use crate::worker_config::WorkerConfig;

/// Followers ask for their current assignment again every this many heartbeat ticks.
const RESYNC_EVERY_TICKS: u32 = 3;

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
        let mut shared = self.shared();
        let before = shared.config.structure_version;
        for (key, value) in updates {
            shared.config.apply(&key, value.as_deref());
        }
        Ok(shared.config.structure_version != before)
    }

    async fn refresh_status(&self) -> Result<(), LogError> {
        let mut log = self.status_log.lock().await;
        let mut updates = Vec::new();
        log.read_to_end(|r| updates.push((String::from_utf8_lossy(&r.key).into_owned(), r.value)))?;
        let mut shared = self.shared();
        for (key, value) in updates {
            shared.status.apply(&key, value.as_deref());
        }
        Ok(())
    }

    async fn config_offset(&self) -> i64 {
        self.config_log.lock().await.position()
    }

    async fn write_config(
        &self,
        records: Vec<(String, Option<Vec<u8>>)>,
    ) -> Result<(), HerderError> {
        let log = self.config_log.lock().await;
        for (key, value) in &records {
            log.send(key.as_bytes(), value.as_deref())
                .await
                .map_err(log_error)?;
        }
        drop(log);
        self.refresh_config().await.map_err(log_error)?;
        self.wake.notify_one();
        Ok(())
    }

    /// Runs the group membership until `shutdown`; then leaves the group.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let settings = GroupSettings {
            bootstrap: self
                .worker_config
                .bootstrap_servers()
                .split(',')
                .map(str::to_string)
                .collect(),
            group_id: self.settings.group_id.clone(),
            client_id: format!("connect-{}", self.worker_config.worker_id()),
            session_timeout: self.settings.session_timeout,
            rebalance_timeout: self.settings.rebalance_timeout,
        };
        let mut member = GroupMember::new(settings);
        let mut assignor = Assignor::default();
        let mut first = true;
        'group: while !*shutdown.borrow() {
            if let Err(e) = self.refresh_config().await {
                tracing::warn!("cannot read the config topic, retrying: {e}");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
            self.shared().leader_url = None;
            let joined = match member.join(&self.protocols().await).await {
                Ok(j) => j,
                Err(e) => {
                    tracing::warn!(
                        "cannot join the worker group {}, retrying: {e}",
                        self.settings.group_id
                    );
                    member.reset_coordinator();
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    continue;
                }
            };
            let protocol = Protocol::from_name(&joined.protocol).unwrap_or(Protocol::Eager);
            let (assignments, lead_version) = if joined.is_leader() {
                self.lead(&joined, protocol, &mut assignor).await
            } else {
                (Vec::new(), 0)
            };
            let bytes = match member.sync(&joined.protocol, assignments).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::info!("the group rebalanced again before the assignment arrived: {e}");
                    if e.needs_new_coordinator() {
                        member.reset_coordinator();
                    }
                    continue;
                }
            };
            if bytes.is_empty() {
                // The leader did not know this worker when it assigned: join the next round.
                tracing::info!("no assignment for this worker in this round; rejoining");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            let assignment = match Assignment::decode(&bytes) {
                Ok(a) => a,
                Err(e) => {
                    tracing::error!("the leader's assignment cannot be read: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if assignment.error != 0 {
                tracing::info!("this worker's configuration is behind the leader's; catching up before rejoining");
                continue;
            }
            {
                let mut shared = self.shared();
                shared.leader_url = Some(assignment.leader_url.clone());
                shared.is_leader = joined.is_leader();
                shared.generation = joined.generation;
            }
            tracing::info!(
                generation = joined.generation,
                leader = joined.is_leader(),
                protocol = %joined.protocol,
                assigned = ?assignment.assigned,
                revoked = ?assignment.revoked,
                "joined the worker group"
            );
            self.apply_assignment(&assignment, protocol).await;
            if first {
                first = false;
                self.state.set_ready();
            }
            if !assignment.revoked.is_empty() {
                // Give the revoked work back to the group at once.
                continue;
            }
            // What the leader assigned from; a change of it calls for a new assignment.
            let assigned_version = if joined.is_leader() {
                lead_version
            } else {
                self.shared().config.structure_version
            };
            let follow_up = (assignment.delay > 0)
                .then(|| Instant::now() + Duration::from_millis(assignment.delay as u64));
            let mut last_assignment = bytes;
            let mut ticks = 0u32;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(self.settings.heartbeat_interval.min(Duration::from_secs(1))) => {}
                    _ = self.wake.notified() => {}
                    _ = shutdown.changed() => {}
                }
                if *shutdown.borrow() {
                    break 'group;
                }
                match member.heartbeat().await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::info!("the worker group is rebalancing");
                        continue 'group;
                    }
                    Err(e) => {
                        tracing::warn!("lost contact with the group coordinator, rejoining: {e}");
                        continue 'group;
                    }
                }
                ticks += 1;
                if !joined.is_leader() && ticks.is_multiple_of(RESYNC_EVERY_TICKS) {
                    // A coordinator may complete a rebalance for this member without telling it
                    // (tansu keeps the generation when it expires a member): asking for the
                    // current assignment again is harmless where nothing changed.
                    match member.sync(&joined.protocol, Vec::new()).await {
                        Ok(latest) if !latest.is_empty() && latest != last_assignment => {
                            tracing::info!("the leader changed this worker's assignment");
                            if let Ok(a) = Assignment::decode(&latest) {
                                self.apply_assignment(&a, protocol).await;
                                last_assignment = latest;
                                if !a.revoked.is_empty() {
                                    continue 'group;
                                }
                            }
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::info!("the group is rebalancing: {e}");
                            continue 'group;
                        }
                    }
                }
                if let Err(e) = self.refresh_config().await {
                    tracing::warn!("cannot read the config topic: {e}");
                }
                if joined.is_leader() {
                    if let Err(e) = self.generate_task_configs().await {
                        tracing::warn!("cannot write task configurations: {e}");
                    }
                }
                // The leader starts the rebalance a config change needs; the others follow when
                // their heartbeat says so (every worker rejoining at once only prolongs it).
                let structure_changed = self.shared().config.structure_version != assigned_version;
                if structure_changed && joined.is_leader() {
                    // Records written together (connector, tasks, commit) make one rebalance.
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    continue 'group;
                }
                self.reconcile().await;
                self.publish_statuses().await;
                if follow_up.is_some_and(|at| Instant::now() >= at) {
                    continue 'group;
                }
            }
        }
        tracing::info!("leaving the worker group");
        self.worker.stop_all().await;
        member.leave().await;
    }

    async fn protocols(&self) -> Vec<(String, Vec<u8>)> {
        let offset = self.config_offset().await;
        let running = self.shared().running.clone();
        let mut allocation = Allocation::new();
        for w in running {
            allocation.entry(w.connector).or_default().push(w.task);
        }
        self.settings
            .protocol
            .offered()
            .into_iter()
            .map(|p| {
                let metadata = MemberMetadata {
                    version: p.version(),
                    url: self.url.clone(),
                    config_offset: offset,
                    allocation: (p.version() >= 1).then(|| Assignment {
                        version: p.version(),
                        assigned: allocation.clone(),
                        ..Assignment::default()
                    }),
                };
                (p.name().to_string(), metadata.encode())
            })
            .collect()
    }

    /// The leader's part of a rebalance: catch up, generate missing task configurations, assign.
    async fn lead(
        &self,
        joined: &Joined,
        protocol: Protocol,
        assignor: &mut Assignor,
    ) -> (Vec<(String, Vec<u8>)>, u64) {
        if let Err(e) = self.refresh_config().await {
            tracing::warn!("the leader cannot read the config topic: {e}");
        }
        if let Err(e) = self.generate_task_configs().await {
            tracing::warn!("cannot write task configurations: {e}");
        }
        let offset = self.config_offset().await;
        let mut running = BTreeMap::new();
        let mut urls = BTreeMap::new();
        for (member, bytes) in &joined.members {
            match MemberMetadata::decode(bytes) {
                Ok(m) => {
                    let held = match protocol {
                        // Eager: everybody gives everything back at each rebalance.
                        Protocol::Eager => Allocation::new(),
                        _ => m.allocation.map(|a| a.assigned).unwrap_or_default(),
                    };
                    running.insert(member.clone(), held);
                    urls.insert(member.clone(), m.url);
                }
                Err(e) => tracing::warn!(member, "a member's metadata cannot be read: {e}"),
            }
        }
        if let Err(e) = self.refresh_status().await {
            tracing::warn!("the leader cannot read the status topic: {e}");
        }
        tracing::info!(generation = joined.generation, members = ?urls, "assigning work as the group's leader");
        let members: BTreeSet<String> = urls.values().map(|u| worker_id_of(u)).collect();
        let (configured, version, claimed) = {
            let shared = self.shared();
            // Work whose last status names a worker missing from this round may still be running
            // there: it waits a session timeout before it is given to someone else.
            let claimed: BTreeSet<Work> = shared
                .status
                .all()
                .into_iter()
                .filter(|(_, _, s)| {
                    matches!(s.state, State::Running | State::Paused)
                        && !members.contains(&s.worker_id)
                })
                .map(|(connector, task, _)| Work { connector, task })
                .collect();
            (
                shared.config.task_counts(),
                shared.config.structure_version,
                claimed,
            )
        };
        let round = assignor.assign_with_claims(
            &running,
            &configured,
            self.settings.scheduled_rebalance_max_delay,
            Instant::now(),
            &claimed,
            self.settings.session_timeout,
        );
        tracing::debug!(?claimed, delay = ?round.delay, ?configured, ?running, round = ?round.members, "assignment round");
        let delay = round
            .delay
            .map_or(0, |d| d.as_millis().min(i32::MAX as u128) as i32);
        let assignments = round
            .members
            .into_iter()
            .map(|(member, a)| {
                let assignment = Assignment {
                    version: protocol.version().min(1),
                    error: 0,
                    leader: joined.member_id.clone(),
                    leader_url: self.url.clone(),
                    config_offset: offset,
                    assigned: a.assigned,
                    revoked: a.revoked,
                    delay,
                };
                (member, assignment.encode())
            })
            .collect();
        (assignments, version)
    }

    /// Leader: for every connector, the task configurations its connector asks for now; writes
    /// them (tasks, then the commit record) where they differ from what is committed. A stopped
    /// connector has none.
    async fn generate_task_configs(&self) -> Result<(), HerderError> {
        let (connectors, committed, targets) = {
            let shared = self.shared();
            (
                shared.config.connectors.clone(),
                shared.config.tasks.clone(),
                shared.config.targets.clone(),
            )
        };
        let mut writes = Vec::new();
        for (name, config) in connectors {
            let target = targets.get(&name).copied().unwrap_or(TargetState::Started);
            let wanted = if target == TargetState::Stopped {
                Vec::new()
            } else {
                let Ok(valid) = connector_config::validate(&self.plugins, &config) else {
                    continue;
                };
                let mut connector = (valid.plugin.create)();
                let generated = connector
                    .start(&config)
                    .and_then(|()| connector.task_configs(valid.tasks_max()));
                let _ = connector.stop();
                match generated {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::debug!(connector = %name, "no task configurations: {e}");
                        continue;
                    }
                }
            };
            if committed.get(&name) == Some(&wanted) {
                continue;
            }
            tracing::info!(connector = %name, tasks = wanted.len(), "writing task configurations");
            for (i, t) in wanted.iter().enumerate() {
                let (k, v) = config_records::task(&name, i, t);
                writes.push((k, Some(v)));
            }
            let (k, v) = config_records::commit(&name, wanted.len());
            writes.push((k, Some(v)));
        }
        if writes.is_empty() {
            return Ok(());
        }
        self.write_config(writes).await
    }

    /// Stops what was revoked and starts what was assigned, with the configurations read.
    async fn apply_assignment(&self, assignment: &Assignment, protocol: Protocol) {
        if assignment.config_offset > self.config_offset().await {
            if let Err(e) = self.refresh_config().await {
                tracing::warn!("cannot catch up with the config topic: {e}");
            }
        }
        if let Err(e) = self.offsets.refresh().await {
            tracing::warn!("cannot read the offsets topic: {e}");
        }
        let mut revoked: BTreeSet<Work> = flatten(&assignment.revoked);
        if protocol == Protocol::Eager {
            revoked.extend(self.shared().running.iter().cloned());
        }
        for w in &revoked {
            self.stop_work(w).await;
        }
        for w in flatten(&assignment.assigned) {
            self.start_work(&w);
        }
    }

    async fn stop_work(&self, w: &Work) {
        if w.is_connector() {
            self.worker.stop_connector_object(&w.connector);
        } else {
            self.worker.stop_task(&w.connector, w.task as u32).await;
        }
        self.worker.forget_if_idle(&w.connector);
        self.shared().running.remove(w);
    }

    fn start_work(&self, w: &Work) {
        if self.shared().running.contains(w) {
            return;
        }
        let (config, target, task_config) = {
            let shared = self.shared();
            let Some(config) = shared.config.connectors.get(&w.connector).cloned() else {
                return;
            };
            let task_config = (!w.is_connector())
                .then(|| {
                    shared
                        .config
                        .tasks
                        .get(&w.connector)
                        .and_then(|t| t.get(w.task as usize))
                        .cloned()
                })
                .flatten();
            (config, shared.config.target(&w.connector), task_config)
        };
        let valid = match connector_config::validate(&self.plugins, &config) {
            Ok(v) => v,
            Err(problems) => {
                tracing::error!(connector = %w.connector, "cannot run: {}", problems.join("; "));
                return;
            }
        };
        self.worker.ensure_entry(
            &w.connector,
            &config,
            &valid.plugin,
            valid.tasks_max(),
            target,
        );
        if w.is_connector() {
            self.worker.start_connector_object(&w.connector);
        } else if let Some(task_config) = task_config {
            self.worker
                .start_task_with(&w.connector, w.task as u32, task_config);
        } else {
            return;
        }
        self.shared().running.insert(w.clone());
    }

    /// Applies what changed without a rebalance: target states, new task configurations, and
    /// restart requests, to the work this worker runs.
    async fn reconcile(&self) {
        let (running, config, restarts) = {
            let mut shared = self.shared();
            let restarts: Vec<(String, RestartRequest)> =
                shared.config.restarts[shared.restarts_seen..].to_vec();
            shared.restarts_seen = shared.config.restarts.len();
            (shared.running.clone(), shared.config.clone(), restarts)
        };
        let names: BTreeSet<&String> = running.iter().map(|w| &w.connector).collect();
        for name in names {
            let target = config.target(name);
            if !config.connectors.contains_key(name) {
                // Deleted: its object stops here; its tasks stop below.
                let object = Work {
                    connector: name.clone(),
                    task: CONNECTOR_TASK,
                };
                if running.contains(&object) {
                    self.stop_work(&object).await;
                }
                continue;
            }
            if let Some(c) = config.connectors.get(name) {
                if let Ok(valid) = connector_config::validate(&self.plugins, c) {
                    self.worker
                        .ensure_entry(name, c, &valid.plugin, valid.tasks_max(), target);
                }
            }
            match target {
                TargetState::Stopped => {
                    if running.contains(&Work {
                        connector: name.clone(),
                        task: CONNECTOR_TASK,
                    }) {
                        self.worker.stop_connector_object(name);
                        self.worker.set_connector_state(name, State::Stopped);
                    }
                }
                _ => {
                    let object = Work {
                        connector: name.clone(),
                        task: CONNECTOR_TASK,
                    };
                    if running.contains(&object)
                        && self
                            .worker
                            .local_connector_status(name)
                            .is_none_or(|s| s.state == State::Stopped)
                    {
                        self.worker.start_connector_object(name);
                    }
                    self.worker.set_paused(name, target == TargetState::Paused);
                }
            }
        }
        // Tasks the config topic no longer has (a stopped connector has none, a reconfigured
        // one may have fewer) stop at once, whether or not a rebalance has revoked them yet.
        for w in running.iter().filter(|w| !w.is_connector()) {
            let count = config.tasks.get(&w.connector).map_or(0, Vec::len);
            let gone = !config.connectors.contains_key(&w.connector)
                || config.target(&w.connector) == TargetState::Stopped
                || w.task as usize >= count;
            if gone {
                tracing::info!(connector = %w.connector, task = w.task, "the task is no longer configured; stopping it");
                self.stop_work(w).await;
            }
        }
        let running = self.shared().running.clone();
        // Tasks whose configuration changed restart with the new one.
        for w in running.iter().filter(|w| !w.is_connector()) {
            let wanted = config
                .tasks
                .get(&w.connector)
                .and_then(|t| t.get(w.task as usize));
            let current = self.worker.task_config(&w.connector, w.task as u32);
            if let (Some(wanted), Some(current)) = (wanted, current) {
                if *wanted != current {
                    tracing::info!(connector = %w.connector, task = w.task, "task configuration changed; restarting the task");
                    self.worker.stop_task(&w.connector, w.task as u32).await;
                    self.worker
                        .start_task_with(&w.connector, w.task as u32, wanted.clone());
                }
            }
        }
        for (name, request) in restarts {
            self.restart_local(&name, request, &running).await;
        }
    }

    async fn restart_local(&self, name: &str, request: RestartRequest, running: &BTreeSet<Work>) {
        let object = Work {
            connector: name.to_string(),
            task: CONNECTOR_TASK,
        };
        if running.contains(&object) {
            let failed = self
                .worker
                .local_connector_status(name)
                .is_some_and(|s| s.state == State::Failed);
            if !request.only_failed || failed {
                self.worker.stop_connector_object(name);
                self.worker.start_connector_object(name);
            }
        }
        if request.include_tasks {
            for w in running
                .iter()
                .filter(|w| w.connector == name && !w.is_connector())
            {
                let failed = self
                    .worker
                    .local_task_status(name, w.task as u32)
                    .is_some_and(|s| s.state == State::Failed);
                if !request.only_failed || failed {
                    if let Some(config) = self.worker.task_config(name, w.task as u32) {
                        self.worker.stop_task(name, w.task as u32).await;
                        self.worker.start_task_with(name, w.task as u32, config);
                    }
                }
            }
        }
    }

    /// Writes the statuses of local work that changed since they were last written, and the
    /// topics local connectors started to use.
    async fn publish_statuses(&self) {
        let (running, generation) = {
            let shared = self.shared();
            (shared.running.clone(), shared.generation)
        };
        let mut writes = Vec::new();
        let mut topics = Vec::new();
        for w in &running {
            let status = if w.is_connector() {
                self.worker.local_connector_status(&w.connector)
            } else {
                self.worker.local_task_status(&w.connector, w.task as u32)
            };
            let Some(status) = status else { continue };
            let (key, value) = if w.is_connector() {
                status_records::connector(&w.connector, &status, generation)
            } else {
                status_records::task(&w.connector, w.task as u32, &status, generation)
            };
            if self.shared().published.get(&key) != Some(&status) {
                writes.push((key, value, status));
            }
            if !w.is_connector() {
                if let Some(active) = self.worker.active_topics(&w.connector) {
                    for t in active.list() {
                        topics.push((w.connector.clone(), w.task as u32, t));
                    }
                }
            }
        }
        let log = self.status_log.lock().await;
        for (key, value, status) in writes {
            match log.send(key.as_bytes(), Some(&value)).await {
                Ok(()) => {
                    self.shared().published.insert(key, status);
                }
                Err(e) => tracing::warn!("cannot write a status: {e}"),
            }
        }
        for (connector, task, topic) in topics {
            if self
                .shared()
                .topics_published
                .contains(&(connector.clone(), topic.clone()))
            {
                continue;
            }
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0);
            let (key, value) = status_records::topic(&connector, task, &topic, now);
            if log.send(key.as_bytes(), Some(&value)).await.is_ok() {
                self.shared().topics_published.insert((connector, topic));
            }
        }
        drop(log);
        if let Err(e) = self.refresh_status().await {
            tracing::warn!("cannot read the status topic: {e}");
        }
    }

    /// Writes must be done by the leader: `Ok` here, or where to send the request.
    fn require_leader(&self) -> Result<(), HerderError> {
        let shared = self.shared();
        match (&shared.leader_url, shared.is_leader) {
            (None, _) => Err(HerderError::Conflict(REBALANCING.into())),
            (Some(_), true) => Ok(()),
            (Some(url), false) => Err(HerderError::NotLeader(url.clone())),
        }
    }

    fn check(&self, props: &Props) -> Result<(), HerderError> {
        connector_config::validate(&self.plugins, props)
            .map(|_| ())
            .map_err(|problems| invalid_config(&problems, props))
    }

    fn exists(&self, name: &str) -> bool {
        self.shared().config.connectors.contains_key(name)
    }

    fn kind(&self, name: &str) -> Option<ConnectorKind> {
        let config = self.shared().config.connectors.get(name).cloned()?;
        self.plugins
            .connector(config.get(connector_config::CONNECTOR_CLASS)?)
            .map(|p| p.kind)
    }

    fn info_of(&self, name: &str) -> Option<ConnectorInfo> {
        let shared = self.shared();
        let config = shared.config.connectors.get(name)?.clone();
        let tasks = shared.config.tasks.get(name).map_or(0, Vec::len) as u32;
        let kind = self
            .plugins
            .connector(
                config
                    .get(connector_config::CONNECTOR_CLASS)
                    .map(String::as_str)
                    .unwrap_or(""),
            )
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

/// `host:port` of an advertised URL like `http://host:port/`, as statuses name workers.
fn worker_id_of(url: &str) -> String {
    url.split_once("://")
        .map_or(url, |(_, rest)| rest)
        .trim_end_matches('/')
        .to_string()
}

fn flatten(a: &Allocation) -> BTreeSet<Work> {
    a.iter()
        .flat_map(|(c, tasks)| {
            tasks.iter().map(move |t| Work {
                connector: c.clone(),
                task: *t,
            })
        })
        .collect()
}

#[async_trait]
impl Herder for DistributedHerder {
    fn server_info(&self) -> ServerInfo {
        self.state.server_info()
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
        let _ = self.refresh_status().await;
        self.status_of(name).ok_or_else(|| not_found(name))
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

    async fn task_status(&self, name: &str, task: u32) -> Result<TaskState, HerderError> {
        let status = self.connector_status(name).await?;
        status
            .tasks
            .into_iter()
            .find(|t| t.id == task)
            .ok_or_else(|| HerderError::NotFound(format!("No status found for task {name}-{task}")))
    }

    async fn create_connector(
        &self,
        name: &str,
        config: Props,
        initial: TargetState,
    ) -> Result<ConnectorInfo, HerderError> {
        let config = with_name(name, config)?;
        self.require_leader()?;
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
        self.generate_task_configs().await?;
        self.info_of(name).ok_or_else(|| not_found(name))
    }

    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
    ) -> Result<Created<ConnectorInfo>, HerderError> {
        let config = with_name(name, config)?;
        self.require_leader()?;
        self.check(&config)?;
        let created = !self.exists(name);
        let (ck, cv) = config_records::connector(name, &config);
        self.write_config(vec![(ck, Some(cv))]).await?;
        self.generate_task_configs().await?;
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
        self.require_leader()?;
        self.write_config(vec![
            (format!("connector-{name}"), None),
            (format!("target-state-{name}"), None),
        ])
        .await
    }

    async fn set_target_state(&self, name: &str, target: TargetState) -> Result<(), HerderError> {
        if !self.exists(name) {
            return Err(not_found(name));
        }
        self.require_leader()?;
        let (k, v) = config_records::target_state(name, target);
        self.write_config(vec![(k, Some(v))]).await?;
        self.generate_task_configs().await
    }

    async fn restart_connector(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> Result<ConnectorStateInfo, HerderError> {
        let mut snapshot = self.connector_status(name).await?;
        self.require_leader()?;
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

    async fn restart_task(&self, name: &str, task: u32) -> Result<(), HerderError> {
        if !self.exists(name) {
            return Err(not_found(name));
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
                "Task {name}-{task} not found"
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
        target.alter(offsets)
    }

    async fn reset_offsets(&self, name: &str) -> Result<String, HerderError> {
        let config = self.connector_config(name).await?;
        let target = self.offsets_of(name, &config)?;
        require_stopped(name, self.shared().config.target(name))?;
        self.offsets.refresh().await.map_err(log_error)?;
        target.reset().await
    }

    async fn active_topics(&self, name: &str) -> Result<Vec<String>, HerderError> {
        if !self.exists(name) {
            return Err(not_found(name));
        }
        let _ = self.refresh_status().await;
        Ok(self.shared().status.topics(name))
    }

    async fn reset_active_topics(&self, name: &str) -> Result<(), HerderError> {
        let topics = self.active_topics(name).await?;
        let log = self.status_log.lock().await;
        for t in topics {
            let key = format!("status-topic-{t}:connector-{name}");
            log.send(key.as_bytes(), None).await.map_err(log_error)?;
            self.shared()
                .topics_published
                .remove(&(name.to_string(), t));
        }
        Ok(())
    }

    fn connector_plugins(&self, connectors_only: bool) -> Vec<PluginInfo> {
        validation::plugin_infos(&self.plugins, connectors_only)
    }

    fn plugin_config(&self, plugin: &str) -> Result<Vec<ConfigKeyInfo>, HerderError> {
        validation::plugin_config(&self.plugins, plugin)
    }

    async fn validate_config(
        &self,
        plugin: &str,
        config: Props,
    ) -> Result<ConfigInfos, HerderError> {
        validation::validate(&self.plugins, plugin, config)
    }
}
