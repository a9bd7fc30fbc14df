//! What only the group's leader does: assign work at each rebalance, write the task
//! configurations connectors send it, and keep a fresh session key in the config topic.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use ferry_api::Props;

use super::{now_ms, DistributedHerder};
use crate::distributed::assignor::{flatten, Assignor, Work};
use crate::distributed::config_state::records as config_records;
use crate::distributed::membership::Joined;
use crate::distributed::protocol::{Allocation, Assignment, MemberMetadata, Protocol};
use crate::distributed::session_key::SessionKey;
use crate::entities::status::State;
use crate::herder::HerderError;

impl DistributedHerder {
    /// The leader's part of a rebalance: catch up with the config topic, then assign.
    pub(super) async fn lead(
        &self,
        joined: &Joined,
        protocol: Protocol,
        assignor: &mut Assignor,
    ) -> (Vec<(String, Vec<u8>)>, u64) {
        if let Err(e) = self.refresh_config().await {
            tracing::warn!("the leader cannot read the config topic: {e}");
        }
        if protocol == Protocol::Sessioned {
            if let Err(e) = self.ensure_session_key().await {
                tracing::warn!("cannot write a session key: {e}");
            }
        }
        let offset = self.config_offset().await;
        let mut running = BTreeMap::new();
        let mut urls = BTreeSet::new();
        for (member, bytes) in &joined.members {
            match MemberMetadata::decode(bytes) {
                Ok(m) => {
                    let held = match protocol {
                        // Eager: everybody gives everything back at each rebalance.
                        Protocol::Eager => Allocation::new(),
                        _ => m.allocation.map(|a| a.assigned).unwrap_or_default(),
                    };
                    running.insert(member.clone(), held);
                    urls.insert(m.url);
                }
                Err(e) => tracing::warn!(member, "a member's metadata cannot be read: {e}"),
            }
        }
        tracing::info!(generation = joined.generation, members = ?urls, "assigning work as the group's leader");
        let (configured, version) = {
            let shared = self.shared();
            (shared.config.task_counts(), shared.config.structure_version)
        };
        if assignor.is_new_leader() {
            assignor.remember_lost(self.work_of_absent_workers(&urls, &running));
        }
        let round = assignor.assign(
            &running,
            &configured,
            self.settings.scheduled_rebalance_max_delay,
            Instant::now(),
        );
        tracing::debug!(delay = ?round.delay, ?configured, ?running, round = ?round.members, "assignment round");
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

    /// Work that nobody in this round holds and whose last status says it runs (or is paused) on
    /// a worker that is not in the group: what a leader that just took over lost with that
    /// worker. Kafka's new leaders hand such work out at once; ferry honours
    /// `scheduled.rebalance.max.delay.ms` for it too, as it does when the leader saw the worker go.
    fn work_of_absent_workers(
        &self,
        member_urls: &BTreeSet<String>,
        held: &BTreeMap<String, Allocation>,
    ) -> BTreeSet<Work> {
        let present: BTreeSet<&str> = member_urls.iter().map(|u| worker_id_of(u)).collect();
        let held: BTreeSet<Work> = held.values().flat_map(flatten).collect();
        self.shared()
            .status
            .all()
            .into_iter()
            .filter(|(_, _, s)| {
                matches!(s.state, State::Running | State::Paused)
                    && !present.contains(s.worker_id.as_str())
            })
            .map(|(connector, task, _)| Work { connector, task })
            .filter(|w| !held.contains(w))
            .collect()
    }

    /// Writes a connector's task configurations (tasks, then the commit record that makes them
    /// visible) unless they are what the config topic already holds.
    pub(super) async fn write_task_configs(
        &self,
        name: &str,
        configs: &[Props],
    ) -> Result<(), HerderError> {
        if self.shared().config.tasks.get(name).map(Vec::as_slice) == Some(configs) {
            return Ok(());
        }
        tracing::info!(connector = %name, tasks = configs.len(), "writing task configurations");
        let mut writes = Vec::with_capacity(configs.len() + 1);
        for (i, t) in configs.iter().enumerate() {
            let (k, v) = config_records::task(name, i, t);
            writes.push((k, Some(v)));
        }
        let (k, v) = config_records::commit(name, configs.len());
        writes.push((k, Some(v)));
        self.write_config(writes).await
    }

    /// Writes a new session key when there is none or the current one is older than
    /// `inter.worker.key.ttl.ms`.
    pub(super) async fn ensure_session_key(&self) -> Result<(), HerderError> {
        let now = now_ms();
        let ttl = self.settings.key_ttl.as_millis() as i64;
        let fresh = self
            .shared()
            .config
            .session_key
            .as_ref()
            .is_some_and(|k| now - k.created < ttl);
        if fresh {
            return Ok(());
        }
        let key = SessionKey::generate(now)
            .map_err(|e| HerderError::Internal(format!("cannot make a session key: {e}")))?;
        tracing::info!("writing a new session key for signing requests between workers");
        let (k, v) = config_records::session_key(&key);
        self.write_config(vec![(k, Some(v))]).await
    }
}

/// `host:port` of an advertised URL like `http://host:port/`, as statuses name workers.
pub(super) fn worker_id_of(url: &str) -> &str {
    url.split_once("://")
        .map_or(url, |(_, rest)| rest)
        .trim_end_matches('/')
}
