//! The status topic (`status.storage.topic`): every worker writes the states of what it runs,
//! with its group generation, and reads everyone's. A status from an older generation never
//! overwrites a newer one, so a worker that lost its work cannot claim it back.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use crate::entities::status::{State, Status};

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    status: Status,
    generation: i32,
}

/// Statuses of every connector and task of the cluster, and the topics connectors use.
#[derive(Debug, Default)]
pub struct StatusState {
    connectors: BTreeMap<String, Entry>,
    tasks: BTreeMap<(String, u32), Entry>,
    topics: BTreeMap<String, BTreeMap<String, i64>>,
}

fn parse_state(s: &str) -> Option<State> {
    Some(match s {
        "UNASSIGNED" => State::Unassigned,
        "RUNNING" => State::Running,
        "PAUSED" => State::Paused,
        "STOPPED" => State::Stopped,
        "FAILED" => State::Failed,
        "RESTARTING" => State::Restarting,
        _ => return None,
    })
}

fn parse_entry(value: &Json) -> Option<Entry> {
    Some(Entry {
        status: Status {
            state: parse_state(value.get("state")?.as_str()?)?,
            trace: value
                .get("trace")
                .and_then(Json::as_str)
                .map(str::to_string),
            worker_id: value
                .get("worker_id")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string(),
        },
        generation: value.get("generation").and_then(Json::as_i64).unwrap_or(0) as i32,
    })
}

fn newer(existing: Option<&Entry>, incoming: &Entry) -> bool {
    existing.is_none_or(|e| {
        incoming.generation >= e.generation || e.status.worker_id == incoming.status.worker_id
    })
}

impl StatusState {
    pub fn apply(&mut self, key: &str, value: Option<&[u8]>) {
        let json: Option<Json> = value.and_then(|v| serde_json::from_slice(v).ok());
        if let Some(name) = key.strip_prefix("status-connector-") {
            match json.as_ref().and_then(parse_entry) {
                Some(e) if newer(self.connectors.get(name), &e) => {
                    self.connectors.insert(name.to_string(), e);
                }
                Some(_) => {}
                None => {
                    self.connectors.remove(name);
                }
            }
        } else if let Some(rest) = key.strip_prefix("status-task-") {
            let Some((name, n)) = rest.rsplit_once('-') else {
                return;
            };
            let Ok(n) = n.parse::<u32>() else { return };
            let id = (name.to_string(), n);
            match json.as_ref().and_then(parse_entry) {
                Some(e) if newer(self.tasks.get(&id), &e) => {
                    self.tasks.insert(id, e);
                }
                Some(_) => {}
                None => {
                    self.tasks.remove(&id);
                }
            }
        } else if let Some(rest) = key.strip_prefix("status-topic-") {
            let Some((topic, connector)) = rest.split_once(":connector-") else {
                return;
            };
            match json {
                Some(v) => {
                    let at = v
                        .pointer("/topic/discoverTimestamp")
                        .and_then(Json::as_i64)
                        .unwrap_or(0);
                    self.topics
                        .entry(connector.to_string())
                        .or_default()
                        .insert(topic.to_string(), at);
                }
                None => {
                    if let Some(t) = self.topics.get_mut(connector) {
                        t.remove(topic);
                    }
                }
            }
        }
    }

    pub fn connector(&self, name: &str) -> Option<Status> {
        self.connectors.get(name).map(|e| e.status.clone())
    }

    pub fn task(&self, name: &str, task: u32) -> Option<Status> {
        self.tasks
            .get(&(name.to_string(), task))
            .map(|e| e.status.clone())
    }

    /// Every connector (task -1) and task with its last status.
    pub fn all(&self) -> Vec<(String, i32, Status)> {
        let connectors = self
            .connectors
            .iter()
            .map(|(c, e)| (c.clone(), -1, e.status.clone()));
        let tasks = self
            .tasks
            .iter()
            .map(|((c, t), e)| (c.clone(), *t as i32, e.status.clone()));
        connectors.chain(tasks).collect()
    }

    pub fn topics(&self, name: &str) -> Vec<String> {
        self.topics
            .get(name)
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// The records written to the status topic.
pub mod records {
    use super::*;

    fn value(status: &Status, generation: i32) -> Vec<u8> {
        json!({
            "state": status.state,
            "trace": status.trace,
            "worker_id": status.worker_id,
            "generation": generation,
        })
        .to_string()
        .into_bytes()
    }

    /// The key of a connector's status (`task` -1, as in an assignment) or of a task's.
    pub fn key(name: &str, task: i32) -> String {
        if task < 0 {
            format!("status-connector-{name}")
        } else {
            format!("status-task-{name}-{task}")
        }
    }

    /// A connector's status record (`task` -1) or a task's.
    pub fn status(name: &str, task: i32, status: &Status, generation: i32) -> (String, Vec<u8>) {
        (key(name, task), value(status, generation))
    }

    pub fn topic_key(connector: &str, topic: &str) -> String {
        format!("status-topic-{topic}:connector-{connector}")
    }

    pub fn topic(connector: &str, task: u32, topic: &str, at_ms: i64) -> (String, Vec<u8>) {
        (
            topic_key(connector, topic),
            json!({"topic": {"name": topic, "connector": connector, "task": task, "discoverTimestamp": at_ms}})
                .to_string()
                .into_bytes(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: State, worker: &str) -> Status {
        Status::new(state, worker)
    }

    #[test]
    fn an_older_generation_does_not_overwrite_a_newer_status() {
        let mut s = StatusState::default();
        let (k, v) = records::status("c", 0, &status(State::Running, "b:8083"), 5);
        s.apply(&k, Some(&v));
        let (k, v) = records::status("c", 0, &status(State::Unassigned, "a:8083"), 4);
        s.apply(&k, Some(&v));
        assert_eq!(s.task("c", 0).unwrap().worker_id, "b:8083");
        let (k, v) = records::status("c", 0, &status(State::Failed, "a:8083"), 6);
        s.apply(&k, Some(&v));
        assert_eq!(s.task("c", 0).unwrap().state, State::Failed);
    }

    #[test]
    fn status_values_have_kafkas_shape() {
        let (k, v) = records::status("c", -1, &status(State::Running, "h:1"), 3);
        assert_eq!(k, "status-connector-c");
        assert_eq!(
            String::from_utf8(v).unwrap(),
            r#"{"state":"RUNNING","trace":null,"worker_id":"h:1","generation":3}"#
        );
        let (k, _) = records::topic("c", 0, "orders", 1);
        assert_eq!(k, "status-topic-orders:connector-c");
    }
}
