//! Distributed mode when things fail: a worker killed, workers restarted one by one or all
//! together, the broker restarted, one broker of three killed. A FileStreamSource reads a file
//! that the test keeps appending to, into a topic that a FileStreamSink writes to a file; the
//! data is checked with an independent Kafka consumer and in the sink's file.
//!
//! "Nothing lost" means: every line appended reaches the topic and the sink file; a line may
//! repeat only as at-least-once redelivery does (the first occurrences are the input, in order,
//! and nothing else appears).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ferry_e2e::cluster::*;
use ferry_e2e::*;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use serde_json::json;

/// Appends `batch` numbered lines to a file every `every`, from a thread, until stopped.
struct Appender {
    stop: Arc<AtomicBool>,
    written: Arc<AtomicUsize>,
    prefix: String,
    thread: Option<JoinHandle<()>>,
}

impl Appender {
    fn start(path: &Path, prefix: &str, batch: usize, every: Duration) -> Appender {
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicUsize::new(0));
        let thread = std::thread::spawn({
            let (stop, written, path, prefix) = (
                stop.clone(),
                written.clone(),
                path.to_path_buf(),
                prefix.to_string(),
            );
            move || {
                use std::io::Write;
                while !stop.load(Ordering::SeqCst) {
                    let from = written.load(Ordering::SeqCst);
                    // One write per batch: the source never sees half a line.
                    let text: String = (from..from + batch)
                        .map(|i| format!("{}\n", line(&prefix, i)))
                        .collect();
                    let mut f = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&path)
                        .expect("open the input file");
                    f.write_all(text.as_bytes())
                        .expect("append to the input file");
                    written.store(from + batch, Ordering::SeqCst);
                    std::thread::sleep(every);
                }
            }
        });
        Appender {
            stop,
            written,
            prefix: prefix.to_string(),
            thread: Some(thread),
        }
    }

    /// The lines appended so far.
    fn written(&self) -> Vec<String> {
        let n = self.written.load(Ordering::SeqCst);
        (0..n).map(|i| line(&self.prefix, i)).collect()
    }

    /// Stops appending; returns every line appended.
    fn finish(mut self) -> Vec<String> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().expect("the appender thread");
        }
        self.written()
    }
}

impl Drop for Appender {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn line(prefix: &str, i: usize) -> String {
    format!("{prefix} {i:06}")
}

/// A source reading `input` into `topic` and a sink writing `topic` to `output`.
struct Pipeline {
    source: String,
    sink: String,
    topic: String,
    input: PathBuf,
    output: PathBuf,
    _dir: tempfile::TempDir,
}

impl Pipeline {
    /// Creates the topic (the broker's replication factor) and the two connectors, through
    /// different workers.
    fn create(broker: &Broker, c: &Cluster, name: &str) -> Pipeline {
        let dir = tempfile::tempdir().unwrap();
        let p = Pipeline {
            source: format!("{name}-src"),
            sink: format!("{name}-sink"),
            topic: unique(name),
            input: dir.path().join("in.txt"),
            output: dir.path().join("out.txt"),
            _dir: dir,
        };
        broker.create_topic(&p.topic, 1);
        std::fs::write(&p.input, "").unwrap();
        let source = json!({"name": p.source, "config": {"connector.class": "FileStreamSource", "file": p.input.display().to_string(), "topic": p.topic}});
        let sink = json!({"name": p.sink, "config": {"connector.class": "FileStreamSink", "file": p.output.display().to_string(), "topics": p.topic}});
        let last = c.workers.len() - 1;
        let (code, body) = c.workers[0].call_retrying("POST", "/connectors", Some(source));
        assert_eq!(code, 201, "create the source: {body}");
        let (code, body) = c.workers[last].call_retrying("POST", "/connectors", Some(sink));
        assert_eq!(code, 201, "create the sink: {body}");
        p
    }

    fn connectors(&self) -> [&str; 2] {
        [&self.source, &self.sink]
    }
}

/// Checks that `got` is `expected` delivered at least once: the first occurrences are
/// `expected` in order, and nothing else appears. While lines are still being appended, `got`
/// may hold lines appended after `expected` was taken: with `complete` false, the first
/// occurrences need only begin with `expected`. Returns how many lines came more than once.
fn at_least_once(got: &[String], expected: &[String], complete: bool) -> Result<usize, String> {
    let mut seen = HashSet::new();
    let first: Vec<&String> = got.iter().filter(|l| seen.insert(*l)).collect();
    if let Some(i) = (0..expected.len().min(first.len())).find(|&i| *first[i] != expected[i]) {
        return Err(format!(
            "{:?} where {:?} was appended (line {i})",
            first[i], expected[i]
        ));
    }
    if first.len() < expected.len() {
        return Err(format!(
            "{} of {} lines missing, the first {:?}",
            expected.len() - first.len(),
            expected.len(),
            expected[first.len()]
        ));
    }
    if complete && first.len() > expected.len() {
        return Err(format!("{:?} was never appended", first[expected.len()]));
    }
    Ok(got.len() - first.len())
}

/// Waits until the sink file holds every line of `expected` at least once (see
/// `at_least_once`); returns how many lines came more than once.
fn wait_for_sink(output: &Path, expected: &[String], complete: bool, timeout: Duration) -> usize {
    let deadline = Instant::now() + timeout;
    loop {
        let got = read_lines(output);
        match at_least_once(&got, expected, complete) {
            Ok(repeated) => return repeated,
            Err(e) if Instant::now() > deadline => {
                panic!("the sink file after {timeout:?}: {e}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Checks the topic with the independent consumer: every line at least once, as appended.
fn check_topic(broker: &Broker, topic: &str, expected: &[String]) -> Vec<String> {
    let values = broker.values_to_end(topic, expected, Duration::from_secs(120));
    if let Err(e) = at_least_once(&values, expected, true) {
        panic!("the topic {topic}: {e}");
    }
    values
}

/// Every worker that is up says each connector of `pipeline` and its one task are RUNNING.
fn wait_running(c: &Cluster, up: &[usize], connectors: &[&str], timeout: Duration) {
    wait_for("every connector RUNNING on every worker", timeout, || {
        up.iter()
            .all(|&w| {
                connectors
                    .iter()
                    .all(|n| all_running(&status(&c.workers[w], n), 1))
            })
            .then_some(())
    });
}

/// The workers each connector and task of `connectors` runs on, as a status names them.
fn owners(w: &Ferry, connectors: &[&str]) -> Option<BTreeSet<String>> {
    let mut owners = BTreeSet::new();
    for name in connectors {
        let s = status(w, name);
        if !all_running(&s, 1) {
            return None;
        }
        owners.insert(s["connector"]["worker_id"].as_str()?.to_string());
        owners.insert(s["tasks"][0]["worker_id"].as_str()?.to_string());
    }
    Some(owners)
}

/// The members of a group, as the group coordinator describes them to an independent client.
struct GroupWatch {
    client: BaseConsumer,
    group: String,
}

impl GroupWatch {
    fn new(broker: &Broker, group: &str) -> GroupWatch {
        let client = ClientConfig::new()
            .set("bootstrap.servers", &broker.address)
            .create()
            .expect("client");
        GroupWatch {
            client,
            group: group.to_string(),
        }
    }

    fn members(&self) -> Option<usize> {
        let list = self
            .client
            .fetch_group_list(Some(&self.group), Duration::from_secs(5))
            .ok()?;
        Some(list.groups().first()?.members().len())
    }
}

#[test]
fn killed_worker_work_moves_after_the_scheduled_delay() {
    let broker = Broker::shared();
    let delay = Duration::from_millis(4000);
    let session = Duration::from_millis(6000);
    let heartbeat = Duration::from_millis(1000);
    let mut c = cluster_with(
        &broker,
        3,
        &[
            (
                "scheduled.rebalance.max.delay.ms",
                delay.as_millis().to_string(),
            ),
            ("session.timeout.ms", session.as_millis().to_string()),
            ("heartbeat.interval.ms", heartbeat.as_millis().to_string()),
        ],
    );
    let p = Pipeline::create(&broker, &c, "kill");
    let appender = Appender::start(&p.input, "kill", 10, Duration::from_millis(200));
    // Two connectors and their two tasks, spread over the workers.
    let spread = wait_for(
        "connectors and tasks RUNNING on several workers",
        Duration::from_secs(90),
        || owners(&c.workers[0], &p.connectors()).filter(|o| o.len() >= 2),
    );
    wait_for_sink(
        &p.output,
        &appender.written(),
        false,
        Duration::from_secs(90),
    );

    let s = status(&c.workers[0], &p.source);
    let owner = s["tasks"][0]["worker_id"].as_str().unwrap().to_string();
    let victim = c
        .index_of(&owner)
        .expect("the task runs on one of our workers");
    println!(
        "work runs on {spread:?}; killing worker {victim} ({owner}), which runs the source task"
    );
    let group = GroupWatch::new(&broker, &c.group);
    wait_for(
        "the coordinator to describe three workers in the group",
        Duration::from_secs(30),
        || (group.members()? == 3).then_some(()),
    );
    c.workers[victim].kill9();
    let killed = Instant::now();
    let survivors: Vec<usize> = (0..3).filter(|&i| i != victim).collect();

    // The coordinator drops the dead worker a session timeout after its last heartbeat.
    let dropped = wait_for(
        "the coordinator to drop the killed worker from the group",
        Duration::from_secs(60),
        || (group.members()? == 2).then(Instant::now),
    );
    println!(
        "the coordinator dropped worker {victim} {:?} after the kill",
        dropped - killed
    );
    let (moved_to, moved) = wait_for(
        "the source task RUNNING on another worker",
        Duration::from_secs(60).saturating_sub(killed.elapsed()),
        || {
            let s = status(&c.workers[survivors[0]], &p.source);
            let w = s["tasks"][0]["worker_id"].as_str()?.to_string();
            (s["tasks"][0]["state"] == "RUNNING" && w != owner).then(|| (w, Instant::now()))
        },
    );
    println!(
        "the source task moved to {moved_to} {:?} after the kill, {:?} after the worker was dropped",
        moved - killed,
        moved - dropped
    );
    assert!(
        c.index_of(&moved_to).is_some_and(|i| i != victim),
        "moved to {moved_to}, not a survivor"
    );
    // Once the group lost the worker, the leader holds its work for the scheduled delay, in case
    // it comes back. Half a second of slack for seeing the drop late.
    let earliest = delay - Duration::from_millis(500);
    assert!(
        moved - dropped >= earliest,
        "the task moved {:?} after the group lost its worker: the scheduled delay of {delay:?} was not honoured",
        moved - dropped
    );
    // Everything the dead worker ran runs on the survivors.
    wait_for(
        "every connector and task RUNNING on the survivors",
        Duration::from_secs(60),
        || {
            survivors
                .iter()
                .all(|&w| {
                    owners(&c.workers[w], &p.connectors()).is_some_and(|o| !o.contains(&owner))
                })
                .then_some(())
        },
    );

    // The data flow continues: lines appended after the move arrive too.
    std::thread::sleep(Duration::from_secs(3));
    let lines = appender.finish();
    let repeated = wait_for_sink(&p.output, &lines, true, Duration::from_secs(120));
    let values = check_topic(&broker, &p.topic, &lines);
    println!(
        "{} lines; {} repeated in the topic, {repeated} in the sink file",
        lines.len(),
        values.len() - lines.len()
    );
}

#[test]
fn rolling_restart_under_load_loses_nothing() {
    let broker = Broker::shared();
    let mut c = cluster(&broker, 3);
    let p = Pipeline::create(&broker, &c, "roll");
    let appender = Appender::start(&p.input, "roll", 20, Duration::from_millis(200));

    // A source that is paused, and a sink that is stopped; each has moved data before.
    let side = tempfile::tempdir().unwrap();
    let paused_file = side.path().join("paused-in.txt");
    let paused_topic = unique("roll-paused");
    broker.create_topic(&paused_topic, 1);
    let paused_before: Vec<String> = (0..10).map(|i| format!("paused {i}")).collect();
    append_lines(&paused_file, &paused_before);
    let paused = json!({"name": "paused", "config": {"connector.class": "FileStreamSource", "file": paused_file.display().to_string(), "topic": paused_topic}});
    assert_eq!(
        c.workers[1]
            .call_retrying("POST", "/connectors", Some(paused))
            .0,
        201
    );
    let stopped_file = side.path().join("stopped-out.txt");
    let stopped_topic = unique("roll-stopped");
    broker.create_topic(&stopped_topic, 1);
    let stopped_before: Vec<String> = (0..10).map(|i| format!("stopped {i}")).collect();
    broker.produce(&stopped_topic, &stopped_before);
    let stopped = json!({"name": "stopped", "config": {"connector.class": "FileStreamSink", "file": stopped_file.display().to_string(), "topics": stopped_topic}});
    assert_eq!(
        c.workers[2]
            .call_retrying("POST", "/connectors", Some(stopped))
            .0,
        201
    );
    assert_eq!(
        broker.consume(&paused_topic, 10, Duration::from_secs(60)),
        paused_before
    );
    wait_for(
        "the stopped sink's first records",
        Duration::from_secs(60),
        || (read_lines(&stopped_file) == stopped_before).then_some(()),
    );
    let (code, body) = c.workers[0].call_retrying("PUT", "/connectors/paused/pause", None);
    assert_eq!(code, 202, "{body}");
    let (code, body) = c.workers[1].call_retrying("PUT", "/connectors/stopped/stop", None);
    assert_eq!(code, 204, "{body}");

    let in_target_state = |w: &Ferry| {
        let paused = status(w, "paused");
        let stopped = status(w, "stopped");
        p.connectors().iter().all(|n| all_running(&status(w, n), 1))
            && paused["connector"]["state"] == "PAUSED"
            && paused["tasks"].as_array().is_some_and(|t| t.len() == 1)
            && paused["tasks"][0]["state"] == "PAUSED"
            && stopped["connector"]["state"] == "STOPPED"
            && stopped["tasks"] == json!([])
    };
    wait_for(
        "every connector in its target state on every worker",
        Duration::from_secs(90),
        || c.workers.iter().all(in_target_state).then_some(()),
    );
    // Data that the paused and the stopped connector must not move.
    let paused_after: Vec<String> = (0..10).map(|i| format!("paused later {i}")).collect();
    append_lines(&paused_file, &paused_after);
    let stopped_after: Vec<String> = (0..10).map(|i| format!("stopped later {i}")).collect();
    broker.produce(&stopped_topic, &stopped_after);
    wait_for_sink(
        &p.output,
        &appender.written(),
        false,
        Duration::from_secs(90),
    );

    for i in 0..3 {
        let started = Instant::now();
        assert_eq!(
            c.workers[i].terminate(),
            Some(0),
            "worker {i} stops cleanly on SIGTERM"
        );
        c.workers[i].start_again();
        wait_for(
            &format!("worker {i} healthy after its restart"),
            Duration::from_secs(90),
            || (c.workers[i].get("/health").0 == 200).then_some(()),
        );
        wait_for(
            &format!("every connector in its target state after worker {i} restarted"),
            Duration::from_secs(120),
            || c.workers.iter().all(in_target_state).then_some(()),
        );
        // The pair keeps moving data after each restart.
        let so_far = appender.written();
        wait_for_sink(&p.output, &so_far, false, Duration::from_secs(120));
        println!(
            "worker {i} restarted; the cluster settled and caught up in {:?}",
            started.elapsed()
        );
    }

    let lines = appender.finish();
    let repeated = wait_for_sink(&p.output, &lines, true, Duration::from_secs(120));
    let values = check_topic(&broker, &p.topic, &lines);
    println!(
        "{} lines; {} repeated in the topic, {repeated} in the sink file",
        lines.len(),
        values.len() - lines.len()
    );
    for (i, w) in c.workers.iter().enumerate() {
        let paused = status(w, "paused");
        let stopped = status(w, "stopped");
        assert!(
            in_target_state(w),
            "worker {i}: paused {paused}, stopped {stopped}"
        );
    }
    // Neither came back to life for a moment during the restarts.
    let paused_values =
        broker.values_to_end(&paused_topic, &paused_before, Duration::from_secs(60));
    assert!(
        !paused_values.iter().any(|v| paused_after.contains(v)),
        "the paused source moved data: {paused_values:?}"
    );
    let stopped_lines = read_lines(&stopped_file);
    assert!(
        !stopped_lines.iter().any(|v| stopped_after.contains(v)),
        "the stopped sink moved data: {stopped_lines:?}"
    );
}

#[test]
fn full_cluster_restart_continues_from_stored_offsets() {
    let broker = Broker::shared();
    let mut c = cluster(&broker, 3);
    let p = Pipeline::create(&broker, &c, "full");
    let first: Vec<String> = (0..300).map(|i| line("full", i)).collect();
    append_lines(&p.input, &first);
    wait_for_sink(&p.output, &first, true, Duration::from_secs(90));

    for (i, w) in c.workers.iter_mut().enumerate() {
        assert_eq!(
            w.terminate(),
            Some(0),
            "worker {i} stops cleanly on SIGTERM"
        );
    }
    let later: Vec<String> = (300..400).map(|i| line("full", i)).collect();
    append_lines(&p.input, &later);
    let restarted = Instant::now();
    for w in c.workers.iter_mut() {
        w.start_again();
    }
    wait_running(&c, &[0, 1, 2], &p.connectors(), Duration::from_secs(120));
    let all: Vec<String> = first.iter().chain(&later).cloned().collect();
    let repeated = wait_for_sink(&p.output, &all, true, Duration::from_secs(120));
    println!(
        "the new lines arrived {:?} after the restart; {repeated} lines repeated in the sink file",
        restarted.elapsed()
    );

    // The source committed its offsets when it stopped: nothing was read twice.
    let values = check_topic(&broker, &p.topic, &all);
    let mut counts: HashMap<&String, usize> = HashMap::new();
    for v in &values {
        *counts.entry(v).or_default() += 1;
    }
    let twice: Vec<(&&String, &usize)> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "{} lines are in the topic more than once after a graceful full restart, e.g. {:?}",
        twice.len(),
        &twice[..twice.len().min(5)]
    );
    assert_eq!(values, all);
}

#[test]
fn a_broker_restart_under_distributed_workers_loses_nothing() {
    let mut broker = Broker::private();
    let c = cluster(&broker, 2);
    let p = Pipeline::create(&broker, &c, "outage");
    let appender = Appender::start(&p.input, "outage", 10, Duration::from_millis(200));
    wait_running(&c, &[0, 1], &p.connectors(), Duration::from_secs(90));
    wait_for_sink(
        &p.output,
        &appender.written(),
        false,
        Duration::from_secs(90),
    );

    broker.stop();
    println!(
        "the broker stopped after {} lines",
        appender.written().len()
    );
    std::thread::sleep(Duration::from_secs(10));
    broker.restart();
    let back = Instant::now();
    println!(
        "the broker is back after {} lines",
        appender.written().len()
    );
    std::thread::sleep(Duration::from_secs(5));
    let lines = appender.finish();

    let repeated = wait_for_sink(&p.output, &lines, true, Duration::from_secs(120));
    println!(
        "every line in the sink file {:?} after the broker came back",
        back.elapsed()
    );
    wait_running(&c, &[0, 1], &p.connectors(), Duration::from_secs(90));
    for (i, w) in c.workers.iter().enumerate() {
        let (code, body) = w.get("/health");
        assert_eq!(code, 200, "worker {i} healthy after the outage: {body}");
    }
    // The workers are a group again: a new connector is assigned and runs.
    group_takes_a_new_connector(&broker, &c, "outage-new");
    let values = check_topic(&broker, &p.topic, &lines);
    println!(
        "{} lines; {} repeated in the topic, {repeated} in the sink file",
        lines.len(),
        values.len() - lines.len()
    );
}

#[test]
fn one_broker_of_three_killed_loses_nothing() {
    let mut broker = Broker::cluster(3);
    assert_eq!(broker.replication(), 3);
    let c = cluster(&broker, 2);
    let p = Pipeline::create(&broker, &c, "node");
    let appender = Appender::start(&p.input, "node", 10, Duration::from_millis(200));
    wait_running(&c, &[0, 1], &p.connectors(), Duration::from_secs(90));
    wait_for_sink(
        &p.output,
        &appender.written(),
        false,
        Duration::from_secs(90),
    );

    // The node coordinating the workers' group: its death moves the group to another node, which
    // the workers must find and rejoin. It may also lead the data topic or the internal topics.
    let coordinator = group_coordinator(&broker, &c.group);
    let roles = [
        (p.topic.as_str(), "the data topic"),
        (c.config_topic.as_str(), "the config topic"),
    ]
    .iter()
    .filter(|(t, _)| partition_leader(&broker, t, 0) == coordinator)
    .map(|(_, role)| *role)
    .collect::<Vec<_>>();
    let victim = (coordinator - 1) as usize;
    broker.kill_node(victim);
    let killed = Instant::now();
    println!(
        "killed node {coordinator}, the worker group's coordinator and leader of {roles:?}, after {} lines",
        appender.written().len()
    );
    std::thread::sleep(Duration::from_secs(10));
    let during = appender.written();
    wait_for_sink(&p.output, &during, false, Duration::from_secs(120));
    println!(
        "the lines appended while node {coordinator} was dead arrived {:?} after the kill",
        killed.elapsed()
    );
    wait_running(&c, &[0, 1], &p.connectors(), Duration::from_secs(90));
    for (i, w) in c.workers.iter().enumerate() {
        let (code, body) = w.get("/health");
        assert_eq!(code, 200, "worker {i} healthy with a node dead: {body}");
    }
    // The group lives on the new coordinator: a new connector is assigned and runs.
    group_takes_a_new_connector(&broker, &c, "node-new");
    println!(
        "the group ran a new connector {:?} after the kill",
        killed.elapsed()
    );

    broker.start_node(victim);
    std::thread::sleep(Duration::from_secs(5));
    let lines = appender.finish();
    let repeated = wait_for_sink(&p.output, &lines, true, Duration::from_secs(120));
    wait_running(&c, &[0, 1], &p.connectors(), Duration::from_secs(90));
    let values = check_topic(&broker, &p.topic, &lines);
    println!(
        "{} lines; {} repeated in the topic, {repeated} in the sink file",
        lines.len(),
        values.len() - lines.len()
    );
}

/// Creates a source connector through the last worker and waits until every worker reports it
/// RUNNING and its lines are in its topic: the group can still rebalance and run new work.
fn group_takes_a_new_connector(broker: &Broker, c: &Cluster, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let topic = unique(name);
    broker.create_topic(&topic, 1);
    let lines: Vec<String> = (0..5).map(|i| format!("{name} {i}")).collect();
    append_lines(&input, &lines);
    let config = json!({"name": name, "config": {"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic}});
    let last = c.workers.len() - 1;
    let (code, body) = c.workers[last].call_retrying("POST", "/connectors", Some(config));
    assert_eq!(code, 201, "create {name}: {body}");
    let all: Vec<usize> = (0..c.workers.len()).collect();
    wait_running(c, &all, &[name], Duration::from_secs(90));
    check_topic(broker, &topic, &lines);
}

/// The metadata of `topic` (its partitions and their leaders), once the broker has it.
fn partitions(broker: &Broker, topic: &str) -> Vec<i32> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &broker.address)
        .create()
        .expect("consumer");
    wait_for(
        &format!("the leaders of {topic}"),
        Duration::from_secs(30),
        || {
            let metadata = consumer
                .fetch_metadata(Some(topic), Duration::from_secs(5))
                .ok()?;
            let leaders: Vec<i32> = metadata
                .topics()
                .first()?
                .partitions()
                .iter()
                .map(|p| p.leader())
                .collect();
            (!leaders.is_empty() && leaders.iter().all(|l| *l > 0)).then_some(leaders)
        },
    )
}

/// The node id (1-based) leading `partition` of `topic`.
fn partition_leader(broker: &Broker, topic: &str, partition: usize) -> i32 {
    partitions(broker, topic)[partition]
}

/// The node id (1-based) coordinating `group`: the leader of the `__consumer_offsets`
/// partition Kafka maps the group to (`Utils.abs(group.hashCode()) % partitions`).
fn group_coordinator(broker: &Broker, group: &str) -> i32 {
    let leaders = partitions(broker, "__consumer_offsets");
    let hash = group
        .encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
    let abs = if hash == i32::MIN { 0 } else { hash.abs() };
    leaders[abs as usize % leaders.len()]
}
