//! Moving a distributed cluster from Apache Kafka Connect 4.4.0 to ferry and back, on the same
//! group and internal topics: the connectors, their configurations, target states, task
//! configurations and offsets carry over, and the data goes on with no line lost and none
//! repeated (every worker stops cleanly, so everything read was committed).

use std::time::Duration;

use ferry_e2e::cluster::*;
use ferry_e2e::file_source::{wait_state, Source};
use ferry_e2e::*;
use serde_json::json;

/// What a user sees of the cluster over REST, without what names a worker: each connector's
/// configuration, state, task states, task configurations and offsets.
fn snapshot(w: &Ferry, names: &[&str]) -> Json {
    let (code, list) = w.get("/connectors");
    assert_eq!(code, 200, "list: {list}");
    let mut listed: Vec<String> = serde_json::from_value(list).expect("a list of names");
    listed.sort();
    let mut connectors = serde_json::Map::new();
    for name in names {
        let get = |path: &str| {
            let (code, body) = w.get(&format!("/connectors/{name}{path}"));
            assert_eq!(code, 200, "GET /connectors/{name}{path}: {body}");
            body
        };
        let status = get("/status");
        let tasks = status["tasks"].as_array().cloned().unwrap_or_default();
        connectors.insert(
            name.to_string(),
            json!({
                "config": get("/config"),
                "state": status["connector"]["state"],
                "type": status["type"],
                "task_states": tasks.iter().map(|t| t["state"].clone()).collect::<Vec<_>>(),
                "tasks": get("/tasks"),
                "offsets": get("/offsets"),
            }),
        );
    }
    json!({"names": listed, "connectors": connectors})
}

/// Waits until the worker's view has settled on what `wanted` holds: each connector in its
/// state and its tasks' states (a worker that just joined is still starting them).
fn wait_settled(w: &Ferry, names: &[&str], wanted: &Json) -> Json {
    let mut last = Json::Null;
    let settled = (0..240).find_map(|_| {
        let s = snapshot(w, names);
        let same_states = names.iter().all(|n| {
            s["connectors"][n]["state"] == wanted["connectors"][n]["state"]
                && s["connectors"][n]["task_states"] == wanted["connectors"][n]["task_states"]
        });
        if same_states {
            return Some(s);
        }
        last = s;
        std::thread::sleep(Duration::from_millis(500));
        None
    });
    settled.unwrap_or_else(|| {
        panic!(
            "the {:?} worker never showed the states the other kind showed:\n{:#}\nbut\n{:#}",
            w.kind, wanted, last
        )
    })
}

fn put(w: &Ferry, path: &str) {
    let (code, body) = w.call_retrying("PUT", path, None);
    assert!(code == 202 || code == 204, "PUT {path}: {code} {body}");
}

fn wait_lines(path: &std::path::Path, expected: &[String]) {
    wait_for(
        &format!("{} to hold every line", path.display()),
        Duration::from_secs(90),
        || (read_lines(path).len() >= expected.len()).then_some(()),
    );
    assert_eq!(
        read_lines(path),
        expected,
        "the sink file holds every line once, in order"
    );
}

/// Hands the cluster from the only worker (of one kind) to a new worker of the other kind:
/// stops the old one cleanly, starts the new one, and checks that it shows what the old one
/// showed. Returns the new worker's index.
fn hand_over(c: &mut Cluster, to: Kind, names: &[&str]) -> usize {
    let old = c.workers.len() - 1;
    let before = snapshot(&c.workers[old], names);
    let code = c.workers[old].terminate();
    assert_eq!(
        code,
        Some(if c.workers[old].kind == Kind::Java {
            143
        } else {
            0
        }),
        "the old worker stops cleanly"
    );
    let new = c.add(to);
    let after = wait_settled(&c.workers[new], names, &before);
    assert_eq!(
        after, before,
        "the {to:?} worker shows what the {:?} worker showed",
        c.workers[old].kind
    );
    new
}

#[test]
fn java_to_ferry_and_back_without_losing_a_line() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut c = cluster_of(&broker, &[Kind::Java], &[]);
    let java = &c.workers[0];

    // On Kafka Connect: a source and a sink RUNNING, a source PAUSED, a source STOPPED.
    let mut running = Source::create(&broker, java, dir.path(), "running");
    let output = dir.path().join("out.txt");
    let sink_name = unique("sink");
    let sink = json!({"name": sink_name, "config": {
        "connector.class": "FileStreamSink",
        "file": output.display().to_string(),
        "topics": running.topic,
    }});
    let (code, body) = java.call_retrying("POST", "/connectors", Some(sink));
    assert_eq!(code, 201, "create the sink on Java: {body}");
    let mut paused = Source::create(&broker, java, dir.path(), "paused");
    let mut stopped = Source::create(&broker, java, dir.path(), "stopped");
    running.append(100);
    paused.append(20);
    stopped.append(20);
    running.wait_delivered_once(&broker);
    paused.wait_delivered_once(&broker);
    stopped.wait_delivered_once(&broker);
    wait_lines(&output, &running.lines);
    put(java, "/connectors/paused/pause");
    put(java, "/connectors/stopped/stop");
    wait_state(java, "paused", "PAUSED");
    wait_state(java, "stopped", "STOPPED");
    // Lines the paused and stopped sources must not move until resumed.
    paused.append(10);
    stopped.append(10);
    let names = ["paused", "running", sink_name.as_str(), "stopped"];

    // Java -> ferry.
    let f = hand_over(&mut c, Kind::Ferry, &names);
    let ferry = &c.workers[f];
    paused.holds_only(&broker, 20);
    stopped.holds_only(&broker, 20);
    running.append(100);
    running.wait_delivered_once(&broker);
    wait_lines(&output, &running.lines);
    put(ferry, "/connectors/paused/resume");
    put(ferry, "/connectors/stopped/resume");
    paused.wait_delivered_once(&broker);
    stopped.wait_delivered_once(&broker);
    // Back to where Java left them, for the way back.
    put(ferry, "/connectors/paused/pause");
    put(ferry, "/connectors/stopped/stop");
    wait_state(ferry, "paused", "PAUSED");
    wait_state(ferry, "stopped", "STOPPED");
    paused.append(10);
    stopped.append(10);

    // ferry -> Java.
    let j = hand_over(&mut c, Kind::Java, &names);
    let java = &c.workers[j];
    paused.holds_only(&broker, 30);
    stopped.holds_only(&broker, 30);
    running.append(100);
    running.wait_delivered_once(&broker);
    wait_lines(&output, &running.lines);
    put(java, "/connectors/paused/resume");
    put(java, "/connectors/stopped/resume");
    paused.wait_delivered_once(&broker);
    stopped.wait_delivered_once(&broker);
}
