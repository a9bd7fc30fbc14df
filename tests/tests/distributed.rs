//! Distributed mode: three workers on loopback ports and a real broker, driven over REST and
//! checked with an independent Kafka client.

use std::collections::BTreeSet;
use std::time::Duration;

use ferry_e2e::cluster::*;
use ferry_e2e::*;
use serde_json::json;

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn a_cluster_spreads_work_forwards_writes_and_writes_kafkas_internal_topics() {
    let broker = Broker::shared();
    let c = cluster(&broker, 3);
    let data = tempfile::tempdir().unwrap();
    let input = data.path().join("in.txt");
    let output = data.path().join("out.txt");
    let topic = unique("dist-data");
    broker.create_topic(&topic, 1);
    let first: Vec<String> = (0..200).map(|i| format!("first {i:04}")).collect();
    append_lines(&input, &first);

    // Two workers out of three are followers: one of these writes is forwarded to the leader.
    let source = json!({"name": "src", "config": {"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic}});
    let sink_name = unique("dist-sink");
    let sink = json!({"name": sink_name, "config": {"connector.class": "FileStreamSink", "file": output.display().to_string(), "topics": topic}});
    assert_eq!(
        c.workers[0]
            .call_retrying("POST", "/connectors", Some(source))
            .0,
        201
    );
    assert_eq!(
        c.workers[1]
            .call_retrying("POST", "/connectors", Some(sink))
            .0,
        201
    );
    // Every worker reads the config topic as it grows: the third one lists both soon after.
    wait_for(
        "the third worker to list both connectors",
        Duration::from_secs(2),
        || (c.workers[2].get("/connectors").1 == json!([sink_name, "src"])).then_some(()),
    );

    wait_for(
        "every line in the sink file",
        Duration::from_secs(90),
        || (sorted(read_lines(&output)) == first).then_some(()),
    );
    // Two connectors and their two tasks: the work is spread over the workers.
    let owners = wait_for(
        "connectors and tasks RUNNING on several workers",
        Duration::from_secs(60),
        || {
            let mut owners = BTreeSet::new();
            for name in ["src", sink_name.as_str()] {
                let s = status(&c.workers[2], name);
                if !all_running(&s, 1) {
                    return None;
                }
                owners.insert(s["connector"]["worker_id"].as_str()?.to_string());
                owners.insert(s["tasks"][0]["worker_id"].as_str()?.to_string());
            }
            (owners.len() >= 2).then_some(owners)
        },
    );
    println!("work runs on {owners:?}");

    // The internal topics hold Kafka's keys and values.
    let configs = broker.consume_records(&c.config_topic, 20, Duration::from_secs(10));
    let keys: BTreeSet<String> = configs.iter().filter_map(|(k, _)| k.clone()).collect();
    let sink_keys = [
        format!("connector-{sink_name}"),
        format!("task-{sink_name}-0"),
        format!("commit-{sink_name}"),
    ];
    let source_keys = [
        "connector-src",
        "target-state-src",
        "task-src-0",
        "commit-src",
    ];
    for k in source_keys
        .iter()
        .copied()
        .chain(sink_keys.iter().map(String::as_str))
    {
        assert!(keys.contains(k), "config topic lacks {k}: {keys:?}");
    }
    let commit = configs
        .iter()
        .rev()
        .find(|(k, _)| k.as_deref() == Some(sink_keys[2].as_str()))
        .and_then(|(_, v)| v.clone())
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Json>(&commit).unwrap(),
        json!({"tasks": 1})
    );
    let connector = configs
        .iter()
        .find(|(k, _)| k.as_deref() == Some("connector-src"))
        .and_then(|(_, v)| v.clone())
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Json>(&connector).unwrap()["properties"]["topic"],
        topic.as_str()
    );
    let target = configs
        .iter()
        .find(|(k, _)| k.as_deref() == Some("target-state-src"))
        .and_then(|(_, v)| v.clone())
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Json>(&target).unwrap(),
        json!({"state": "STARTED", "state.v2": "STARTED"})
    );

    let statuses = broker.consume_records(&c.status_topic, 8, Duration::from_secs(10));
    let running = statuses
        .iter()
        .find(|(k, _)| k.as_deref() == Some("status-task-src-0"))
        .and_then(|(_, v)| serde_json::from_str::<Json>(v.as_deref()?).ok())
        .unwrap();
    assert!(
        running["state"].is_string()
            && running["worker_id"].is_string()
            && running["generation"].is_i64(),
        "{running}"
    );

    let offsets = broker.consume_records(&c.offsets_topic, 1, Duration::from_secs(10));
    let (key, value) = offsets.last().cloned().expect("an offset record");
    assert_eq!(
        serde_json::from_str::<Json>(&key.unwrap()).unwrap(),
        json!(["src", {"filename": input.display().to_string()}])
    );
    assert!(serde_json::from_str::<Json>(&value.unwrap()).unwrap()["position"].is_u64());
}

#[test]
fn pause_stop_reset_and_resume_across_workers_and_a_full_restart() {
    let broker = Broker::shared();
    let mut c = cluster(&broker, 3);
    let data = tempfile::tempdir().unwrap();
    let input = data.path().join("in.txt");
    let topic = unique("dist-life");
    broker.create_topic(&topic, 1);
    let lines: Vec<String> = (0..30).map(|i| format!("l{i:03}")).collect();
    append_lines(&input, &lines);
    let source = json!({"name": "src", "config": {"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic}});
    assert_eq!(
        c.workers[2]
            .call_retrying("POST", "/connectors", Some(source))
            .0,
        201
    );
    assert_eq!(broker.consume(&topic, 30, Duration::from_secs(60)), lines);

    let call =
        |w: usize, method: &str, path: &str| c.workers[w].call_retrying(method, path, None).0;
    assert_eq!(call(0, "PUT", "/connectors/src/pause"), 202);
    wait_for("PAUSED", Duration::from_secs(90), || {
        let s = status(&c.workers[1], "src");
        (s["connector"]["state"] == "PAUSED" && s["tasks"][0]["state"] == "PAUSED").then_some(())
    });
    let (code, body) = c.workers[1].call_retrying("DELETE", "/connectors/src/offsets", None);
    assert_eq!(code, 400, "offsets cannot be reset while paused: {body}");

    assert_eq!(call(1, "PUT", "/connectors/src/stop"), 204);
    wait_for("STOPPED without tasks", Duration::from_secs(90), || {
        let s = status(&c.workers[2], "src");
        (s["connector"]["state"] == "STOPPED" && s["tasks"] == json!([])).then_some(())
    });
    let size = std::fs::metadata(&input).unwrap().len();
    let (_, offsets) = c.workers[0].get("/connectors/src/offsets");
    assert_eq!(
        offsets,
        json!({"offsets": [{"partition": {"filename": input.display().to_string()}, "offset": {"position": size}}]})
    );
    let (code, body) = c.workers[2].call_retrying("DELETE", "/connectors/src/offsets", None);
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        c.workers[1].get("/connectors/src/offsets").1,
        json!({"offsets": []})
    );
    assert_eq!(call(0, "PUT", "/connectors/src/resume"), 202);
    let twice: Vec<String> = lines.iter().chain(&lines).cloned().collect();
    assert_eq!(
        broker.consume(&topic, 60, Duration::from_secs(60)),
        twice,
        "a reset source reads the file again"
    );

    // Every worker stops, then starts again: the connector comes back RUNNING and continues
    // from its stored offset (nothing read twice more).
    for w in c.workers.iter_mut() {
        assert_eq!(w.terminate(), Some(0), "{}", w.output());
    }
    let later: Vec<String> = (0..5).map(|i| format!("later{i}")).collect();
    append_lines(&input, &later);
    for w in c.workers.iter_mut() {
        w.start_again();
    }
    wait_for("RUNNING after the restart", Duration::from_secs(90), || {
        all_running(&status(&c.workers[0], "src"), 1).then_some(())
    });
    let mut expected = twice.clone();
    expected.extend(later);
    assert_eq!(
        broker.consume(&topic, 70, Duration::from_secs(30)),
        expected
    );
}

/// With `scheduled.rebalance.max.delay.ms=0`, the work of a worker killed with `kill -9` moves
/// to the others as soon as the coordinator drops it (one session timeout).
#[test]
fn the_work_of_a_killed_worker_moves_to_the_others() {
    let broker = Broker::shared();
    let mut c = cluster(&broker, 3);
    let data = tempfile::tempdir().unwrap();
    let input = data.path().join("in.txt");
    let output = data.path().join("out.txt");
    let topic = unique("dist-kill");
    broker.create_topic(&topic, 1);
    let first: Vec<String> = (0..50).map(|i| format!("first {i:04}")).collect();
    append_lines(&input, &first);
    let source = json!({"name": "src", "config": {"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic}});
    let sink_name = unique("kill-sink");
    let sink = json!({"name": sink_name, "config": {"connector.class": "FileStreamSink", "file": output.display().to_string(), "topics": topic}});
    assert_eq!(
        c.workers[0]
            .call_retrying("POST", "/connectors", Some(source))
            .0,
        201
    );
    assert_eq!(
        c.workers[1]
            .call_retrying("POST", "/connectors", Some(sink))
            .0,
        201
    );
    wait_for(
        "every line in the sink file",
        Duration::from_secs(90),
        || (sorted(read_lines(&output)) == first).then_some(()),
    );

    // kill -9 the worker running the source task: its work moves to the others.
    let s = status(&c.workers[0], "src");
    let owner = s["tasks"][0]["worker_id"].as_str().unwrap().to_string();
    let victim = c
        .workers
        .iter()
        .position(|w| w.rest.ends_with(&owner))
        .expect("the owner is one of ours");
    c.workers[victim].kill9();
    let survivor = (victim + 1) % 3;
    let more: Vec<String> = (0..50).map(|i| format!("after-kill {i:04}")).collect();
    append_lines(&input, &more);
    let expected = sorted(first.iter().chain(&more).cloned().collect());
    wait_for(
        "the lines written after the kill",
        Duration::from_secs(120),
        || {
            let got: BTreeSet<String> = read_lines(&output).into_iter().collect();
            expected.iter().all(|l| got.contains(l)).then_some(())
        },
    );
    let moved = wait_for(
        "the source task RUNNING elsewhere",
        Duration::from_secs(60),
        || {
            let s = status(&c.workers[survivor], "src");
            let w = s["tasks"][0]["worker_id"]
                .as_str()
                .unwrap_or("")
                .to_string();
            (s["tasks"][0]["state"] == "RUNNING" && w != owner).then_some(w)
        },
    );
    println!("source task moved from {owner} to {moved}");
}

/// As in Kafka: a connector created PAUSED has no tasks until it is resumed, and then moves the
/// lines appended meanwhile.
#[test]
fn a_connector_created_paused_gets_its_tasks_when_resumed() {
    let broker = Broker::shared();
    let c = cluster(&broker, 1);
    let w = &c.workers[0];
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("in.txt");
    let lines: Vec<String> = (0..5).map(|i| format!("paused line {i}")).collect();
    append_lines(&input, &lines);
    let topic = unique("created-paused");
    broker.create_topic(&topic, 1);
    let config = json!({"name": "born-paused", "initial_state": "PAUSED", "config": {
        "connector.class": "FileStreamSource",
        "file": input.display().to_string(),
        "topic": topic,
    }});
    let (code, body) = w.call_retrying("POST", "/connectors", Some(config));
    assert_eq!(code, 201, "create paused: {body}");
    wait_for("the connector PAUSED", Duration::from_secs(60), || {
        (status(w, "born-paused")["connector"]["state"] == "PAUSED").then_some(())
    });
    std::thread::sleep(Duration::from_secs(2));
    let s = status(w, "born-paused");
    assert_eq!(s["tasks"], json!([]), "no tasks while paused: {s}");
    assert_eq!(w.get("/connectors/born-paused/tasks").1, json!([]));

    let (code, body) = w.call_retrying("PUT", "/connectors/born-paused/resume", None);
    assert_eq!(code, 202, "resume: {body}");
    wait_for(
        "the resumed connector and its task RUNNING",
        Duration::from_secs(60),
        || all_running(&status(w, "born-paused"), 1).then_some(()),
    );
    assert_eq!(
        broker.consume(&topic, lines.len(), Duration::from_secs(30)),
        lines
    );
}
