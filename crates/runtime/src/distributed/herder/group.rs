//! The worker's life in the group: join, take the leader's assignment, then heartbeat (on its own
//! task) and keep local work in line with the config topic until the next rebalance.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::DistributedHerder;
use crate::distributed::assignor::Assignor;
use crate::distributed::heartbeat::{Heartbeats, Interruption};
use crate::distributed::membership::{Beat, GroupMember, GroupSettings};
use crate::distributed::protocol::{Allocation, Assignment, MemberMetadata, Protocol};
use crate::kafka::compacted_topic::KafkaLog;

/// How often a worker looks at its local work and writes the statuses that changed between
/// rebalances: all in memory unless something changed, so it can be short, and a task that
/// starts after a rebalance shows RUNNING within it.
const TICK: Duration = Duration::from_millis(100);

impl DistributedHerder {
    /// How this worker reaches the group's coordinator.
    pub(super) fn group_settings(&self) -> GroupSettings {
        GroupSettings {
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
        }
    }

    /// Runs the group membership until `shutdown`; then leaves the group.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let member = Arc::new(tokio::sync::Mutex::new(GroupMember::new(
            self.group_settings(),
        )));
        tokio::spawn(self.clone().follow_internal_topics(shutdown.clone()));
        let mut assignor = Assignor::default();
        let mut first = true;
        let worker_metrics = &crate::metrics::registry().worker;
        // When the rebalance under way began: the first attempt to join, kept across retries.
        let mut rebalance_began: Option<Instant> = None;
        'group: while !*shutdown.borrow() {
            if rebalance_began.is_none() {
                rebalance_began = Some(Instant::now());
                worker_metrics.rebalance_started();
            }
            self.shared().leader_url = None;
            self.give_up_work_if_fenced(&mut *member.lock().await).await;
            if let Err(e) = self.refresh_config().await {
                tracing::warn!("cannot read the config topic, retrying: {e}");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
            let protocols = self.protocols().await;
            let joined = match member.lock().await.join(&protocols).await {
                Ok(j) => j,
                Err(e) => {
                    tracing::warn!(
                        "cannot join the worker group {}, retrying: {e}",
                        self.settings.group_id
                    );
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let protocol = Protocol::from_name(&joined.protocol).unwrap_or(Protocol::Eager);
            let (assignments, lead_version) = if joined.is_leader() {
                self.lead(&joined, protocol, &mut assignor).await
            } else {
                (Vec::new(), 0)
            };
            let bytes = match member
                .lock()
                .await
                .sync(&joined.protocol, assignments)
                .await
            {
                Ok(b) => b,
                Err(e) => {
                    tracing::info!("the group rebalanced again before the assignment arrived: {e}");
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
                shared.protocol = Some(protocol);
            }
            tracing::info!(
                generation = joined.generation,
                leader = joined.is_leader(),
                protocol = %joined.protocol,
                assigned = ?assignment.assigned,
                revoked = ?assignment.revoked,
                "joined the worker group"
            );
            // Beating from the moment the assignment is in hand: stopping and starting work
            // can take a while, and a member silent for a session timeout is thrown out.
            let mut heartbeats =
                Heartbeats::start(member.clone(), self.settings.heartbeat_interval);
            self.apply_assignment(&assignment, protocol).await;
            if let Some(began) = rebalance_began.take() {
                worker_metrics.rebalance_completed(began.elapsed());
            }
            // Connectors started just now hand their tasks to the leader without waiting a tick.
            self.send_task_configs().await;
            if first {
                first = false;
                self.state.set_ready();
            }
            if !assignment.revoked.is_empty() {
                // Give the revoked work back to the group at once.
                heartbeats.stop().await;
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
            let interruption = loop {
                tokio::select! {
                    _ = tokio::time::sleep(TICK) => {}
                    _ = self.wake.notified() => {}
                    _ = shutdown.changed() => {}
                    i = heartbeats.interrupted() => break Some(i),
                }
                if *shutdown.borrow() {
                    break None;
                }
                if joined.is_leader() && protocol == Protocol::Sessioned {
                    if let Err(e) = self.ensure_session_key().await {
                        tracing::warn!("cannot write a session key: {e}");
                    }
                }
                // A change of connectors or task counts needs a new assignment. Every worker
                // reads the config topic within moments, so all rejoin at once and the
                // coordinator completes the round without waiting for heartbeats to tell them.
                let structure_changed = self.shared().config.structure_version != assigned_version;
                if structure_changed {
                    // Records written together (connector, tasks, commit) make one rebalance.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    break Some(Arc::new(Interruption::Beat(Beat::Rebalance)));
                }
                self.reconcile().await;
                self.follow_connector_requests();
                self.send_task_configs().await;
                self.publish_statuses().await;
                if follow_up.is_some_and(|at| Instant::now() >= at) {
                    tracing::info!(
                        "the delay for the work of departed workers is over; rebalancing"
                    );
                    break Some(Arc::new(Interruption::Beat(Beat::Rebalance)));
                }
            };
            heartbeats.stop().await;
            match interruption.as_deref() {
                None => break 'group,
                Some(Interruption::Beat(Beat::Rebalance)) => {
                    tracing::info!("the worker group is rebalancing")
                }
                Some(Interruption::Beat(Beat::Evicted)) => tracing::warn!(
                    "the group coordinator no longer knows this worker (its session expired)"
                ),
                Some(Interruption::Beat(Beat::Stable)) => {}
                Some(Interruption::Lost(e)) => {
                    tracing::warn!("lost contact with the group coordinator, rejoining: {e}")
                }
            }
        }
        tracing::info!("leaving the worker group");
        self.worker.stop_all().await;
        let ran = std::mem::take(&mut self.shared().running);
        self.publish_unassigned(&ran).await;
        member.lock().await.leave().await;
    }

    /// A worker that the coordinator dropped, or that has been out of touch with it for longer
    /// than the others wait for it (session timeout, then `scheduled.rebalance.max.delay.ms`),
    /// stops what it runs: the leader has given or will give that work to others, and two
    /// copies of a task must not run side by side.
    async fn give_up_work_if_fenced(&self, member: &mut GroupMember) {
        let evicted = member.take_evicted();
        let patience = self
            .settings
            .session_timeout
            .max(self.settings.scheduled_rebalance_max_delay);
        let out_of_touch = member.out_of_contact_for() > patience;
        if !(evicted || out_of_touch) || self.shared().running.is_empty() {
            return;
        }
        if evicted {
            tracing::warn!("this worker was dropped from the group; stopping its connectors and tasks until it is given work again");
        } else {
            tracing::warn!(
                "no contact with the group coordinator for {:?}; stopping this worker's connectors and tasks until it rejoins",
                member.out_of_contact_for()
            );
        }
        self.worker.stop_all().await;
        let mut shared = self.shared();
        shared.running.clear();
        shared.published.clear();
    }

    /// Reads the config and status topics as they grow, as Kafka's logs do on their own
    /// threads, so that every worker answers REST reads with the cluster's latest state within
    /// moments.
    async fn follow_internal_topics(self: Arc<Self>, shutdown: watch::Receiver<bool>) {
        while !*shutdown.borrow() {
            // Records are applied before the log is let go: a reader that finds the log's
            // position at its end must also find its records applied.
            let (configs_read, structure_changed) = {
                let mut log = self.config_log.lock().await;
                let updates = tail(&mut log);
                (!updates.is_empty(), self.apply_config(updates))
            };
            let statuses_read = {
                let mut log = self.status_log.lock().await;
                let updates = tail(&mut log);
                let read = !updates.is_empty();
                self.apply_status(updates);
                read
            };
            if structure_changed {
                self.wake.notify_one();
            }
            if !configs_read && !statuses_read {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    /// The protocols this worker offers, with its metadata: URL, config offset and, for the
    /// cooperative protocols, what it runs now.
    pub(super) async fn protocols(&self) -> Vec<(String, Vec<u8>)> {
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
}

/// Records that arrived on an internal topic since it was last read, waiting briefly for them
/// (writers share the log, so it is held only for moments).
fn tail(log: &mut KafkaLog) -> Vec<(String, Option<Vec<u8>>)> {
    let mut updates = Vec::new();
    log.read_new(Duration::from_millis(25), |r| {
        updates.push((String::from_utf8_lossy(&r.key).into_owned(), r.value))
    });
    updates
}
