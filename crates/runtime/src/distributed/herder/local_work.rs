//! This worker's share of the work: starting what the leader assigned and stopping what it
//! revoked, following target states, configuration changes and restart requests between
//! rebalances, sending the task configurations of the connectors it runs to the leader, and
//! publishing statuses.

use std::collections::BTreeSet;
use std::sync::Arc;

use ferry_api::Props;

use super::{flatten, now_ms, DistributedHerder};
use crate::config::connector;
use crate::distributed::assignor::Work;
use crate::distributed::protocol::{Assignment, Protocol, CONNECTOR_TASK};
use crate::distributed::status_state::records as status_records;
use crate::entities::status::State;
use crate::herder::{HerderError, RestartRequest, TargetState};

impl DistributedHerder {
    /// Stops what was revoked and starts what was assigned, with the configurations read.
    pub(super) async fn apply_assignment(&self, assignment: &Assignment, protocol: Protocol) {
        if assignment.config_offset > self.config_offset().await {
            if let Err(e) = self.refresh_config().await {
                tracing::warn!("cannot catch up with the config topic: {e}");
            }
        }
        // Source tasks read the offsets topic themselves as they start (`catch_up_offsets`).
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

    pub(super) async fn stop_work(&self, w: &Work) {
        if w.is_connector() {
            self.worker.stop_connector_object(&w.connector);
        } else {
            self.worker.stop_task(&w.connector, w.task as u32).await;
        }
        self.worker.forget_if_idle(&w.connector);
        let mut shared = self.shared();
        shared.running.remove(w);
        // Others may write this work's status meanwhile: if it comes back here, its status is
        // written again.
        shared
            .published
            .remove(&status_records::key(&w.connector, w.task));
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
        let valid = match connector::validate(&self.plugins, &config) {
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
            // As Kafka: a connector that starts paused is asked for its tasks when resumed.
            if target == TargetState::Started {
                self.take_task_configs(&w.connector);
            }
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
    pub(super) async fn reconcile(&self) {
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
            let object = Work {
                connector: name.clone(),
                task: CONNECTOR_TASK,
            };
            if let Some(c) = config.connectors.get(name) {
                let changed = self.worker.config(name).is_some_and(|old| old != *c);
                let resumed = target == TargetState::Started
                    && self.worker.target_state(name) == Some(TargetState::Paused);
                if resumed && running.contains(&object) {
                    // Asked now if it started paused; unchanged configurations are not rewritten.
                    self.take_task_configs(name);
                }
                // Validated only when something changed: this runs at every tick.
                if changed || self.worker.target_state(name) != Some(target) {
                    if let Ok(valid) = connector::validate(&self.plugins, c) {
                        self.worker
                            .ensure_entry(name, c, &valid.plugin, valid.tasks_max(), target);
                    }
                }
                if changed && running.contains(&object) && target != TargetState::Stopped {
                    // As in Kafka: the connector restarts with its new configuration and is
                    // asked for its tasks again.
                    tracing::info!(connector = %name, "connector configuration changed; restarting the connector");
                    self.worker.stop_connector_object(name);
                    self.worker.start_connector_object(name);
                    self.take_task_configs(name);
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
                    if running.contains(&object)
                        && self
                            .worker
                            .local_connector_status(name)
                            .is_none_or(|s| s.state == State::Stopped)
                    {
                        self.worker.start_connector_object(name);
                        self.take_task_configs(name);
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
                self.take_task_configs(name);
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
    pub(super) async fn publish_statuses(&self) {
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
            let (key, value) = status_records::status(&w.connector, w.task, &status, generation);
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
        let topic_writes: Vec<(String, Vec<u8>, (String, String))> = {
            let shared = self.shared();
            topics
                .into_iter()
                .filter(|(c, _, t)| !shared.topics_published.contains(&(c.clone(), t.clone())))
                .map(|(c, task, t)| {
                    let (key, value) = status_records::topic(&c, task, &t, now_ms());
                    (key, value, (c, t))
                })
                .collect()
        };
        if writes.is_empty() && topic_writes.is_empty() {
            return;
        }
        let batch: Vec<(&[u8], Option<&[u8]>)> = writes
            .iter()
            .map(|(k, v, _)| (k.as_bytes(), Some(v.as_slice())))
            .chain(
                topic_writes
                    .iter()
                    .map(|(k, v, _)| (k.as_bytes(), Some(v.as_slice()))),
            )
            .collect();
        let sent = self.status_log.lock().await.send_all(&batch).await;
        match sent {
            Ok(()) => {
                let mut shared = self.shared();
                for (key, _, status) in writes {
                    shared.published.insert(key, status);
                }
                for (_, _, pair) in topic_writes {
                    shared.topics_published.insert(pair);
                }
            }
            Err(e) => tracing::warn!("cannot write statuses, trying again shortly: {e}"),
        }
    }

    /// On a graceful shutdown, as Kafka does: the work this worker ran is UNASSIGNED now, so that
    /// no leader takes it for the work of a worker that may come back.
    pub(super) async fn publish_unassigned(&self, work: &BTreeSet<Work>) {
        let (generation, worker_id) = (self.shared().generation, self.worker_config.worker_id());
        let status = crate::entities::status::Status::new(State::Unassigned, &worker_id);
        let records: Vec<(String, Vec<u8>)> = work
            .iter()
            .map(|w| status_records::status(&w.connector, w.task, &status, generation))
            .collect();
        let batch: Vec<(&[u8], Option<&[u8]>)> = records
            .iter()
            .map(|(k, v)| (k.as_bytes(), Some(v.as_slice())))
            .collect();
        if let Err(e) = self.status_log.lock().await.send_all(&batch).await {
            tracing::warn!("cannot write the UNASSIGNED statuses of this worker's work: {e}");
        }
    }

    /// Acts on what local connectors asked through their context: one that raised an error is
    /// FAILED (its status goes out with the others); one that asked for task reconfiguration
    /// is asked for its task configurations, which go to the leader as after a start.
    pub(super) fn follow_connector_requests(&self) {
        for name in self.worker.take_connector_requests() {
            tracing::info!(connector = %name, "the connector asked for task reconfiguration");
            self.take_task_configs(&name);
        }
    }

    /// Asks a connector object that just started here for its task configurations; they go to
    /// the leader at the next tick (and again at every tick until it took them).
    fn take_task_configs(&self, name: &str) {
        if let Some(configs) = self.worker.connector_task_configs(name) {
            self.shared()
                .unsent_task_configs
                .insert(name.to_string(), configs);
        }
    }

    /// Sends the task configurations of local connectors to the leader: written directly when
    /// this worker leads, else signed and posted to the leader's internal endpoint, as Kafka does.
    /// A post runs on its own task: a leader busy rebalancing answers only once this worker has
    /// rejoined, which the group loop must stay free to do.
    pub(super) async fn send_task_configs(self: &Arc<Self>) {
        let unsent: Vec<_> = {
            let shared = self.shared();
            shared
                .unsent_task_configs
                .iter()
                .filter(|(n, _)| !shared.task_configs_in_flight.contains(*n))
                .map(|(n, c)| (n.clone(), c.clone()))
                .collect()
        };
        for (name, configs) in unsent {
            let (still_wanted, is_leader) = {
                let shared = self.shared();
                let ours = shared.running.contains(&Work {
                    connector: name.clone(),
                    task: CONNECTOR_TASK,
                });
                let wanted = ours
                    && shared.config.connectors.contains_key(&name)
                    && shared.config.target(&name) != TargetState::Stopped;
                (wanted, shared.is_leader)
            };
            if !still_wanted {
                self.shared().unsent_task_configs.remove(&name);
            } else if is_leader {
                let sent = self.write_task_configs(&name, &configs).await;
                self.settle_task_configs(&name, &configs, sent);
            } else {
                self.shared().task_configs_in_flight.insert(name.clone());
                let herder = Arc::clone(self);
                tokio::spawn(async move {
                    let sent = herder.post_task_configs_to_leader(&name, &configs).await;
                    herder.shared().task_configs_in_flight.remove(&name);
                    herder.settle_task_configs(&name, &configs, sent);
                });
            }
        }
    }

    /// Forgets configurations the leader took (or refused for good); others are sent again at
    /// a later tick. Newer configurations taken meanwhile stay to be sent.
    fn settle_task_configs(&self, name: &str, configs: &[Props], sent: Result<(), HerderError>) {
        let mut shared = self.shared();
        let current = shared
            .unsent_task_configs
            .get(name)
            .is_some_and(|c| c == configs);
        match sent {
            Ok(()) => {}
            Err(e @ (HerderError::BadRequest(_) | HerderError::NotFound(_))) => {
                tracing::warn!(connector = %name, "the leader refused the task configurations; they are dropped: {e}");
            }
            Err(e) => {
                tracing::warn!(connector = %name, "cannot hand the task configurations to the leader yet: {e}");
                return;
            }
        }
        if current {
            shared.unsent_task_configs.remove(name);
        }
    }
}
