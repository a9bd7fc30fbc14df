//! A FileStreamSource created over REST into a topic of its own, fed by the test and checked with
//! an independent consumer; and the wait for a connector's state as a worker reports it. Shared by
//! the tests that move work between kinds of workers.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use crate::cluster::status;
use crate::{append_lines, unique, wait_for, Broker, Ferry};

/// One FileStreamSource into its own topic, and every line appended to its file so far.
pub struct Source {
    pub name: String,
    pub topic: String,
    pub input: PathBuf,
    pub lines: Vec<String>,
}

impl Source {
    /// Creates the topic, an empty input file in `dir`, and the connector through `via`.
    pub fn create(broker: &Broker, via: &Ferry, dir: &Path, name: &str) -> Source {
        let s = Source {
            name: name.to_string(),
            topic: unique(name),
            input: dir.join(format!("{name}.txt")),
            lines: Vec::new(),
        };
        broker.create_topic(&s.topic, 1);
        std::fs::write(&s.input, "").expect("input file");
        let config = json!({"name": s.name, "config": {
            "connector.class": "FileStreamSource",
            "file": s.input.display().to_string(),
            "topic": s.topic,
        }});
        let (code, body) = via.call_retrying("POST", "/connectors", Some(config));
        assert_eq!(
            code, 201,
            "create {name} through the {:?} worker: {body}",
            via.kind
        );
        s
    }

    /// Appends `n` numbered lines to the input file.
    pub fn append(&mut self, n: usize) {
        let from = self.lines.len();
        let new: Vec<String> = (from..from + n)
            .map(|i| format!("{} {i:04}", self.name))
            .collect();
        append_lines(&self.input, &new);
        self.lines.extend(new);
    }

    /// The topic holds exactly the lines appended, in order, once each.
    pub fn wait_delivered_once(&self, broker: &Broker) {
        let values = broker.values_to_end(&self.topic, &self.lines, Duration::from_secs(90));
        assert_eq!(
            values, self.lines,
            "the topic of {} holds every line once, in order",
            self.name
        );
    }

    /// Every line appended reached the topic, first occurrences in order (lines a killed worker
    /// had not committed may come twice); returns the topic's values.
    pub fn wait_delivered(&self, broker: &Broker) -> Vec<String> {
        let values = broker.values_to_end(&self.topic, &self.lines, Duration::from_secs(120));
        let mut seen = BTreeSet::new();
        let first: Vec<&String> = values.iter().filter(|v| seen.insert(*v)).collect();
        let expected: Vec<&String> = self.lines.iter().collect();
        assert_eq!(
            first, expected,
            "the topic of {} holds every line, in order",
            self.name
        );
        values
    }

    /// The topic holds the first `count` lines and nothing more (a paused or stopped source
    /// moved nothing).
    pub fn holds_only(&self, broker: &Broker, count: usize) {
        let expected = &self.lines[..count];
        let values = broker.values_to_end(&self.topic, expected, Duration::from_secs(30));
        assert_eq!(values, expected, "the topic of {}", self.name);
    }
}

/// Waits until the connector and its tasks are in `state`, as `w` reports them (a stopped
/// connector has no tasks).
pub fn wait_state(w: &Ferry, name: &str, state: &str) {
    wait_for(
        &format!("{name} and its tasks {state} on the {:?} worker", w.kind),
        Duration::from_secs(90),
        || {
            let s = status(w, name);
            let tasks = s["tasks"].as_array().cloned().unwrap_or_default();
            let tasks_agree = if state == "STOPPED" {
                tasks.is_empty()
            } else {
                !tasks.is_empty() && tasks.iter().all(|t| t["state"] == state)
            };
            (s["connector"]["state"] == state && tasks_agree).then_some(())
        },
    );
}
