//! A cluster of distributed workers on loopback ports — ferry's, and for migration tests Kafka
//! Connect's too — sharing one group and one set of internal topics on a real broker.

use std::time::Duration;

use crate::{free_port, unique, wait_for, Broker, Ferry, Json, Kind};

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
    /// Every worker's properties but its listener.
    props: Vec<(&'static str, String)>,
}

impl Cluster {
    /// Starts one more worker of the group, of either kind, and waits until it is healthy;
    /// returns its index.
    pub fn add(&mut self, kind: Kind) -> usize {
        let i = self.start(kind);
        wait_healthy(&self.workers[i]);
        i
    }

    /// Starts one more worker without waiting for it to join.
    fn start(&mut self, kind: Kind) -> usize {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut props = self.props.clone();
        props.push(("listeners", format!("http://127.0.0.1:{}", free_port())));
        let worker = Ferry::start_kind(kind, "distributed", dir.path(), &props, &[]);
        self.workers.push(worker);
        self._dirs.push(dir);
        self.workers.len() - 1
    }

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
pub fn cluster_with(broker: &Broker, n: usize, extra: &[(&'static str, String)]) -> Cluster {
    cluster_of(broker, &vec![Kind::Ferry; n], extra)
}

/// A cluster whose workers are of the kinds given, in that order (started one after the other,
/// so the first is the group's first leader).
pub fn cluster_of(broker: &Broker, kinds: &[Kind], extra: &[(&'static str, String)]) -> Cluster {
    let id = unique("cluster");
    let (config_topic, offsets_topic, status_topic) = (
        format!("{id}-configs"),
        format!("{id}-offsets"),
        format!("{id}-status"),
    );
    let replication = broker.replication().to_string();
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
    ];
    for (key, value) in extra {
        match props.iter_mut().find(|(k, _)| k == key) {
            Some(p) => p.1 = value.clone(),
            None => props.push((key, value.clone())),
        }
    }
    let mut c = Cluster {
        workers: Vec::new(),
        _dirs: Vec::new(),
        group: id,
        config_topic,
        offsets_topic,
        status_topic,
        props,
    };
    for kind in kinds {
        c.start(*kind);
    }
    for w in &c.workers {
        wait_healthy(w);
    }
    c
}

fn wait_healthy(w: &Ferry) {
    wait_for("the worker to be healthy", Duration::from_secs(120), || {
        (w.get("/health").0 == 200).then_some(())
    });
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
