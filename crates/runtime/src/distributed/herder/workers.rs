//! `GET /workers` (a ferry extension): the group's workers and what each runs, from the group
//! coordinator's own description of the group. Any worker can answer, not only the leader, and
//! workers that run nothing are listed too — statuses alone cannot show those.

use std::collections::BTreeSet;

use super::leader::worker_id_of;
use super::DistributedHerder;
use crate::distributed::assignor::{flatten, Work};
use crate::distributed::membership::{DescribedGroup, GroupMember};
use crate::distributed::protocol::{Assignment, MemberMetadata};
use crate::entities::{GroupTask, GroupWorker, GroupWorkers, HerderError};

impl DistributedHerder {
    pub(super) async fn group_workers(&self) -> Result<GroupWorkers, HerderError> {
        let settings = self.group_settings();
        let group = settings.group_id.clone();
        let described = GroupMember::describe(settings).await.map_err(|e| {
            HerderError::Unavailable(format!(
                "cannot ask the group coordinator about group {group}: {e}"
            ))
        })?;
        Ok(workers_of(group, described))
    }
}

/// The workers of a described group, sorted by id; a member whose metadata is not the Connect
/// protocol's is listed by its member id. Under incremental cooperative rebalancing a member's
/// assignment holds only what changed in this generation, so what it runs is what it ran when it
/// joined (its metadata) plus what it was assigned, less what was revoked.
fn workers_of(group: String, described: DescribedGroup) -> GroupWorkers {
    let assignments: Vec<Option<Assignment>> = described
        .members
        .iter()
        .map(|m| {
            (!m.assignment.is_empty())
                .then(|| Assignment::decode(&m.assignment).ok())
                .flatten()
        })
        .collect();
    let leader = assignments
        .iter()
        .flatten()
        .map(|a| a.leader.clone())
        .next();
    let mut workers: Vec<GroupWorker> = described
        .members
        .iter()
        .zip(assignments)
        .map(|(m, assignment)| {
            let meta = MemberMetadata::decode(&m.metadata).ok();
            let url = meta.as_ref().map(|m| m.url.clone()).unwrap_or_default();
            let mut runs: BTreeSet<Work> = meta
                .and_then(|m| m.allocation)
                .map(|a| flatten(&a.assigned))
                .unwrap_or_default();
            if let Some(a) = &assignment {
                runs.extend(flatten(&a.assigned));
                for gone in flatten(&a.revoked) {
                    runs.remove(&gone);
                }
            }
            let worker_id = if url.is_empty() {
                m.member_id.clone()
            } else {
                worker_id_of(&url).to_string()
            };
            let mut connectors = Vec::new();
            let mut tasks = Vec::new();
            for Work { connector, task } in runs {
                match u32::try_from(task) {
                    Ok(task) => tasks.push(GroupTask { connector, task }),
                    Err(_) => connectors.push(connector),
                }
            }
            GroupWorker {
                worker_id,
                url,
                leader: leader.as_deref() == Some(m.member_id.as_str()),
                connectors,
                tasks,
            }
        })
        .collect();
    workers.sort_by(|a, b| a.worker_id.cmp(&b.worker_id));
    GroupWorkers {
        group,
        state: described.state,
        workers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distributed::membership::DescribedMember;
    use std::collections::BTreeMap;

    fn member(id: &str, url: &str, assigned: &[(&str, &[i32])], leader: &str) -> DescribedMember {
        let metadata = MemberMetadata {
            version: 1,
            url: url.into(),
            config_offset: 7,
            allocation: None,
        }
        .encode();
        let assignment = Assignment {
            version: 1,
            leader: leader.into(),
            leader_url: "http://a:8083/".into(),
            assigned: assigned
                .iter()
                .map(|(c, ids)| (c.to_string(), ids.to_vec()))
                .collect::<BTreeMap<_, _>>(),
            ..Assignment::default()
        }
        .encode();
        DescribedMember {
            member_id: id.into(),
            client_host: "/127.0.0.1".into(),
            metadata,
            assignment,
        }
    }

    #[test]
    fn each_worker_with_its_connectors_and_tasks_and_the_idle_ones_too() {
        let described = DescribedGroup {
            state: "Stable".into(),
            members: vec![
                member("m-b", "http://b:8083/", &[], "m-a"),
                member("m-a", "http://a:8083/", &[("orders", &[-1, 0, 1])], "m-a"),
            ],
        };
        let w = workers_of("connect-cluster".into(), described);
        assert_eq!(w.state, "Stable");
        assert_eq!(w.workers.len(), 2);
        let a = &w.workers[0];
        assert_eq!((a.worker_id.as_str(), a.leader), ("a:8083", true));
        assert_eq!(a.connectors, vec!["orders".to_string()]);
        assert_eq!(
            a.tasks,
            vec![
                GroupTask {
                    connector: "orders".into(),
                    task: 0
                },
                GroupTask {
                    connector: "orders".into(),
                    task: 1
                }
            ]
        );
        let b = &w.workers[1];
        assert_eq!((b.worker_id.as_str(), b.leader), ("b:8083", false));
        assert!(b.connectors.is_empty() && b.tasks.is_empty());
    }

    #[test]
    fn what_a_member_runs_is_what_it_ran_plus_the_new_less_the_revoked() {
        let mut m = member("m-a", "http://a:8083/", &[("new", &[0])], "m-a");
        m.metadata = MemberMetadata {
            version: 1,
            url: "http://a:8083/".into(),
            config_offset: 7,
            allocation: Some(Assignment {
                assigned: [("old".to_string(), vec![-1, 0, 1])].into_iter().collect(),
                ..Assignment::default()
            }),
        }
        .encode();
        let mut assignment = Assignment::decode(&m.assignment).expect("assignment");
        assignment.revoked = [("old".to_string(), vec![1])].into_iter().collect();
        m.assignment = assignment.encode();
        let w = workers_of(
            "g".into(),
            DescribedGroup {
                state: "Stable".into(),
                members: vec![m],
            },
        );
        let a = &w.workers[0];
        assert_eq!(a.connectors, vec!["old".to_string()]);
        let tasks: Vec<(&str, u32)> = a
            .tasks
            .iter()
            .map(|t| (t.connector.as_str(), t.task))
            .collect();
        assert_eq!(tasks, vec![("new", 0), ("old", 0)]);
    }

    #[test]
    fn a_member_mid_rebalance_has_no_assignment_yet() {
        let mut m = member("m-a", "http://a:8083/", &[], "m-a");
        m.assignment.clear();
        let w = workers_of(
            "g".into(),
            DescribedGroup {
                state: "CompletingRebalance".into(),
                members: vec![m],
            },
        );
        assert_eq!(w.workers[0].worker_id, "a:8083");
        assert!(!w.workers[0].leader);
    }
}
