//! The config topic (`config.storage.topic`): its keys and JSON values, exactly as Kafka Connect
//! writes them, and the cluster configuration they add up to.

use std::collections::BTreeMap;

use ferry_api::Props;
use serde_json::{json, Value as Json};

use super::session_key::SessionKey;
use crate::herder::{RestartRequest, TargetState};

/// The cluster's connector configuration as read from the config topic.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ConfigState {
    pub connectors: BTreeMap<String, Props>,
    pub targets: BTreeMap<String, TargetState>,
    /// Committed task configurations (visible only once `commit-NAME` is read).
    pub tasks: BTreeMap<String, Vec<Props>>,
    /// Task configurations written but not yet committed.
    pending: BTreeMap<String, BTreeMap<u32, Props>>,
    /// Restart requests not yet carried out, in the order read.
    pub restarts: Vec<(String, RestartRequest)>,
    /// Bumped whenever something that changes the assignment is read.
    pub structure_version: u64,
    /// The newest session key the leader wrote (KIP-507).
    pub session_key: Option<SessionKey>,
}

fn properties(value: &Json) -> Props {
    value
        .get("properties")
        .and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

impl ConfigState {
    /// Applies one record of the config topic.
    pub fn apply(&mut self, key: &str, value: Option<&[u8]>) {
        let json: Option<Json> = value.and_then(|v| serde_json::from_slice(v).ok());
        if let Some(name) = key.strip_prefix("connector-") {
            match json {
                Some(v) => {
                    self.connectors.insert(name.to_string(), properties(&v));
                }
                None => {
                    self.connectors.remove(name);
                    self.tasks.remove(name);
                    self.targets.remove(name);
                }
            }
            self.structure_version += 1;
        } else if let Some(name) = key.strip_prefix("target-state-") {
            match json {
                Some(v) => {
                    let state = v
                        .get("state.v2")
                        .or_else(|| v.get("state"))
                        .and_then(Json::as_str)
                        .unwrap_or("STARTED");
                    let target = match state {
                        "PAUSED" => TargetState::Paused,
                        "STOPPED" => TargetState::Stopped,
                        _ => TargetState::Started,
                    };
                    self.targets.insert(name.to_string(), target);
                }
                None => {
                    self.targets.remove(name);
                }
            }
        } else if let Some(rest) = key.strip_prefix("task-") {
            // task-NAME-N: the connector name may itself contain dashes.
            if let Some((name, n)) = rest.rsplit_once('-') {
                if let (Ok(n), Some(v)) = (n.parse::<u32>(), json) {
                    self.pending
                        .entry(name.to_string())
                        .or_default()
                        .insert(n, properties(&v));
                }
            }
        } else if let Some(name) = key.strip_prefix("commit-") {
            let count = json
                .and_then(|v| v.get("tasks").and_then(Json::as_u64))
                .unwrap_or(0) as u32;
            let pending = self.pending.remove(name).unwrap_or_default();
            let tasks: Vec<Props> = (0..count)
                .map(|i| pending.get(&i).cloned().unwrap_or_default())
                .collect();
            self.tasks.insert(name.to_string(), tasks);
            self.structure_version += 1;
        } else if key == "session-key" {
            if let Some(k) = json.as_ref().and_then(SessionKey::from_record) {
                self.session_key = Some(k);
            }
        } else if let Some(name) = key.strip_prefix("restart-connector-") {
            if let Some(v) = json {
                let request = RestartRequest {
                    include_tasks: v
                        .get("include-tasks")
                        .and_then(Json::as_bool)
                        .unwrap_or(false),
                    only_failed: v
                        .get("only-failed")
                        .and_then(Json::as_bool)
                        .unwrap_or(false),
                };
                self.restarts.push((name.to_string(), request));
            }
        }
    }

    pub fn target(&self, name: &str) -> TargetState {
        self.targets
            .get(name)
            .copied()
            .unwrap_or(TargetState::Started)
    }

    /// Connectors and how many tasks each has, for the assignor.
    pub fn task_counts(&self) -> BTreeMap<String, usize> {
        self.connectors
            .keys()
            .map(|c| (c.clone(), self.tasks.get(c).map_or(0, Vec::len)))
            .collect()
    }
}

/// The records Kafka Connect writes, key and JSON value.
pub mod records {
    use super::*;

    pub fn connector(name: &str, config: &Props) -> (String, Vec<u8>) {
        (
            format!("connector-{name}"),
            json!({ "properties": config }).to_string().into_bytes(),
        )
    }

    pub fn target_state(name: &str, target: TargetState) -> (String, Vec<u8>) {
        let (v1, v2) = match target {
            TargetState::Started => ("STARTED", "STARTED"),
            // Readers that only know `state` see a stopped connector as paused.
            TargetState::Paused | TargetState::Stopped => (
                "PAUSED",
                if target == TargetState::Paused {
                    "PAUSED"
                } else {
                    "STOPPED"
                },
            ),
        };
        (
            format!("target-state-{name}"),
            json!({ "state": v1, "state.v2": v2 })
                .to_string()
                .into_bytes(),
        )
    }

    pub fn task(name: &str, n: usize, config: &Props) -> (String, Vec<u8>) {
        (
            format!("task-{name}-{n}"),
            json!({ "properties": config }).to_string().into_bytes(),
        )
    }

    pub fn commit(name: &str, tasks: usize) -> (String, Vec<u8>) {
        (
            format!("commit-{name}"),
            json!({ "tasks": tasks }).to_string().into_bytes(),
        )
    }

    pub fn session_key(key: &SessionKey) -> (String, Vec<u8>) {
        ("session-key".to_string(), key.to_record())
    }

    pub fn restart(name: &str, request: RestartRequest) -> (String, Vec<u8>) {
        (
            format!("restart-connector-{name}"),
            json!({ "include-tasks": request.include_tasks, "only-failed": request.only_failed })
                .to_string()
                .into_bytes(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use ferry_api::config::props_of as props;

    #[test]
    fn tasks_become_visible_only_with_their_commit() {
        let mut s = ConfigState::default();
        let (k, v) = records::connector("my-conn", &props(&[("topic", "t")]));
        s.apply(&k, Some(&v));
        for i in 0..2 {
            let (k, v) = records::task("my-conn", i, &props(&[("n", &i.to_string())]));
            s.apply(&k, Some(&v));
        }
        assert!(!s.tasks.contains_key("my-conn"));
        let (k, v) = records::commit("my-conn", 2);
        s.apply(&k, Some(&v));
        assert_eq!(s.tasks["my-conn"][1]["n"], "1");
        assert_eq!(s.task_counts()["my-conn"], 2);
    }

    #[test]
    fn the_records_have_kafkas_keys_and_values() {
        assert_eq!(
            records::target_state("c", TargetState::Stopped),
            (
                "target-state-c".to_string(),
                br#"{"state":"PAUSED","state.v2":"STOPPED"}"#.to_vec()
            )
        );
        assert_eq!(records::commit("c", 3).1, br#"{"tasks":3}"#.to_vec());
        assert_eq!(
            records::restart(
                "c",
                RestartRequest {
                    include_tasks: true,
                    only_failed: false
                }
            )
            .1,
            br#"{"include-tasks":true,"only-failed":false}"#.to_vec()
        );
        assert_eq!(
            records::connector("c", &props(&[("a", "b")])).1,
            br#"{"properties":{"a":"b"}}"#.to_vec()
        );
    }

    #[test]
    fn a_tombstone_deletes_the_connector_and_old_readers_states_are_read() {
        let mut s = ConfigState::default();
        let (k, v) = records::connector("c", &props(&[]));
        s.apply(&k, Some(&v));
        s.apply("target-state-c", Some(br#"{"state":"PAUSED"}"#));
        assert_eq!(s.target("c"), TargetState::Paused);
        s.apply("connector-c", None);
        assert!(s.connectors.is_empty());
        assert_eq!(s.target("c"), TargetState::Started);
    }
}
