//! A cluster of `ferry distributed` workers on loopback ports, sharing one group and one set of
//! internal topics on a real broker.

use std::time::Duration;

use crate::{free_port, unique, wait_for, Broker, Ferry, Json};

/// The workers of one group; on a failing test, its `Drop` prints the end of each worker's
/// output and keeps the whole of it in a file (on success too when `FERRY_E2E_KEEP_OUTPUT` is
/// set).
pub struct Cluster {
    pub workers: Vec<Ferry>,
    _dirs: Vec<tempfile::TempDir>,
    pub group: String,
    pub config_topic: String,
    pub offsets_topic: String,
    pub status_topic: String,
}

impl Cluster {
    /// The index of the worker a status names (`worker_id` is the advertised `host:port`).
    pub fn index_of(&self, worker_id: &str) -> Option<usize> {
        self.workers
            .iter()
            .position(|w| worker_id_of(w) == worker_id)
    }
}

/// The id a worker's statuses carry: `host:port` of its advertised URL (here, its listener).
pub fn worker_id_of(w: &Ferry) -> &str {
    w.rest
        .split_once("://")
        .map_or(w.rest.as_str(), |(_, rest)| rest)
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let failed = std::thread::panicking();
        if failed || std::env::var_os("FERRY_E2E_KEEP_OUTPUT").is_some() {
            for (i, w) in self.workers.iter().enumerate() {
                let out = w.output();
                let kept = std::env::temp_dir().join(format!("{}-worker-{i}.out", self.group));
                let kept = match std::fs::write(&kept, &out) {
                    Ok(()) => format!("whole output in {}", kept.display()),
                    Err(e) => format!("whole output not kept: {e}"),
                };
                if !failed {
                    eprintln!("worker {i} ({}): {kept}", w.rest);
                    continue;
                }
                let tail: Vec<&str> = out
                    .lines()
                    .rev()
                    .take(60)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                eprintln!(
                    "----- worker {i} ({}; {kept}) -----\n{}",
                    w.rest,
                    tail.join("\n")
                );
            }
        }
    }
}

/// `n` workers of a new group with fast failure detection; the internal topics get the broker's
/// replication factor.
pub fn cluster(broker: &Broker, n: usize) -> Cluster {
    cluster_with(broker, n, &[])
}

/// Like `cluster`, with worker properties added or replacing the defaults.
pub fn cluster_with(broker: &Broker, n: usize, extra: &[(&str, String)]) -> Cluster {
    let id = unique("cluster");
    let (config_topic, offsets_topic, status_topic) = (
        format!("{id}-configs"),
        format!("{id}-offsets"),
        format!("{id}-status"),
    );
    let replication = broker.replication().to_string();
    let mut dirs = Vec::new();
    let mut workers = Vec::new();
    for _ in 0..n {
        let dir = tempfile::tempdir().unwrap();
        let mut props = vec![
            ("bootstrap.servers", broker.address.clone()),
            ("group.id", id.clone()),
            (
                "key.converter",
                "org.apache.kafka.connect.storage.StringConverter".to_string(),
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.storage.StringConverter".to_string(),
            ),
            ("config.storage.topic", config_topic.clone()),
            ("offset.storage.topic", offsets_topic.clone()),
            ("offset.storage.partitions", "5".to_string()),
            ("status.storage.topic", status_topic.clone()),
            ("config.storage.replication.factor", replication.clone()),
            ("offset.storage.replication.factor", replication.clone()),
            ("status.storage.replication.factor", replication.clone()),
            ("offset.flush.interval.ms", "500".to_string()),
            ("scheduled.rebalance.max.delay.ms", "0".to_string()),
            ("heartbeat.interval.ms", "1000".to_string()),
            ("session.timeout.ms", "6000".to_string()),
            // A worker that dies during a rebalance holds the others up to this long.
            ("rebalance.timeout.ms", "10000".to_string()),
            // A sink task that moves must not wait long for its dead predecessor's consumer.
            ("consumer.session.timeout.ms", "6000".to_string()),
            ("consumer.heartbeat.interval.ms", "1000".to_string()),
            ("listeners", format!("http://127.0.0.1:{}", free_port())),
        ];
        for (key, value) in extra {
            match props.iter_mut().find(|(k, _)| k == key) {
                Some(p) => p.1 = value.clone(),
                None => props.push((key, value.clone())),
            }
        }
        workers.push(Ferry::distributed(dir.path(), &props));
        dirs.push(dir);
    }
    let c = Cluster {
        workers,
        _dirs: dirs,
        group: id,
        config_topic,
        offsets_topic,
        status_topic,
    };
    for w in &c.workers {
        wait_for(
            "every worker to be healthy",
            Duration::from_secs(90),
            || (w.get("/health").0 == 200).then_some(()),
        );
    }
    c
}

/// `GET /connectors/NAME/status` of one worker.
pub fn status(w: &Ferry, name: &str) -> Json {
    w.get(&format!("/connectors/{name}/status")).1
}

/// The connector and its `tasks` tasks are all RUNNING.
pub fn all_running(s: &Json, tasks: usize) -> bool {
    s["connector"]["state"] == "RUNNING"
        && s["tasks"]
            .as_array()
            .is_some_and(|t| t.len() == tasks && t.iter().all(|t| t["state"] == "RUNNING"))
}
