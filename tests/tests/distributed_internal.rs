//! What distributed workers do among themselves: the connector object lives on one worker and is
//! created once per configuration, and the internal endpoint that takes task configurations
//! refuses requests not signed with the cluster's session key (KIP-507).

use std::time::Duration;

use ferry_e2e::cluster::{all_running, cluster, status};
use ferry_e2e::*;
use serde_json::json;

/// How many FileStreamSource connector objects reading `file` were started, over the logs of
/// every worker (the connector says so in its `start`, whoever calls it).
fn connector_starts(workers: &[Ferry], file: &str) -> usize {
    workers
        .iter()
        .map(|w| {
            w.output()
                .lines()
                .filter(|l| {
                    l.contains("Starting file source connector reading from") && l.ends_with(file)
                })
                .count()
        })
        .sum()
}

#[test]
fn a_connector_object_is_created_once_per_configuration_and_its_tasks_come_from_it() {
    let broker = Broker::shared();
    let c = cluster(&broker, 3);
    let data = tempfile::tempdir().unwrap();
    let input = data.path().join("in.txt");
    let topic = unique("objects");
    broker.create_topic(&topic, 1);
    append_lines(&input, &["one".to_string()]);
    let name = unique("once");
    let config = json!({"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic});
    let (code, _) = c.workers[1].call_retrying(
        "POST",
        "/connectors",
        Some(json!({"name": name, "config": config})),
    );
    assert_eq!(code, 201);
    wait_for(
        "the connector and its task RUNNING",
        Duration::from_secs(60),
        || all_running(&status(&c.workers[0], &name), 1).then_some(()),
    );
    // Several heartbeats and ticks later, still one start in the whole cluster.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        connector_starts(&c.workers, &input.display().to_string()),
        1,
        "started once per configuration"
    );

    // A new configuration restarts the connector once, and its new task configuration follows.
    let mut changed = config.clone();
    changed["batch.size"] = json!("7");
    let (code, _) =
        c.workers[2].call_retrying("PUT", &format!("/connectors/{name}/config"), Some(changed));
    assert_eq!(code, 200);
    wait_for(
        "the new task configuration",
        Duration::from_secs(30),
        || {
            let tasks = c.workers[0].get(&format!("/connectors/{name}/tasks")).1;
            (tasks[0]["config"]["batch.size"] == "7").then_some(())
        },
    );
    wait_for("the task RUNNING again", Duration::from_secs(60), || {
        all_running(&status(&c.workers[0], &name), 1).then_some(())
    });
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        connector_starts(&c.workers, &input.display().to_string()),
        2,
        "once more for the new configuration"
    );
}

#[test]
fn task_configurations_are_taken_only_with_the_session_keys_signature() {
    let broker = Broker::shared();
    let c = cluster(&broker, 2);
    let data = tempfile::tempdir().unwrap();
    let input = data.path().join("in.txt");
    let topic = unique("signed");
    broker.create_topic(&topic, 1);
    let name = unique("signed");
    let config = json!({"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic});
    let (code, _) = c.workers[0].call_retrying(
        "POST",
        "/connectors",
        Some(json!({"name": name, "config": config})),
    );
    assert_eq!(code, 201);
    wait_for("the connector RUNNING", Duration::from_secs(60), || {
        all_running(&status(&c.workers[0], &name), 1).then_some(())
    });
    let before = c.workers[0].get(&format!("/connectors/{name}/tasks")).1;
    let forged =
        json!([{"task.class": "forged", "file": "/etc/passwd", "topic": "stolen"}]).to_string();
    let url = |w: &Ferry| format!("{}/connectors/{name}/tasks", w.rest);

    for w in &c.workers {
        // No signature: refused as Kafka refuses it, whichever worker gets it (it is forwarded
        // to the leader with its headers).
        let (code, body) = http_call("POST", &url(w), Some(forged.clone()));
        assert_eq!(code, 400, "{body}");
        assert_eq!(
            body["message"],
            "Internal request missing required signature"
        );

        // A signature made with another key.
        let answer = ureq::post(&url(w))
            .set("Content-Type", "application/json")
            .set(
                "X-Connect-Authorization",
                "c2lnbmVkIHdpdGggdGhlIHdyb25nIGtleQ==",
            )
            .set("X-Connect-Request-Signature-Algorithm", "HmacSHA256")
            .send_string(&forged);
        match answer {
            Err(ureq::Error::Status(code, _)) => assert_eq!(code, 403),
            other => panic!("a forged signature must be refused with 403: {other:?}"),
        }
    }
    assert_eq!(
        c.workers[1].get(&format!("/connectors/{name}/tasks")).1,
        before,
        "the task configurations are unchanged"
    );

    // The session key the leader wrote is in the config topic, as Kafka writes it.
    let records = broker.consume_records(&c.config_topic, 50, Duration::from_secs(10));
    let key = records
        .iter()
        .find(|(k, _)| k.as_deref() == Some("session-key"))
        .and_then(|(_, v)| serde_json::from_str::<Json>(v.as_deref()?).ok())
        .expect("a session-key record");
    assert_eq!(key["algorithm"], "HmacSHA256");
    assert!(key["key"].as_str().is_some_and(|k| k.len() >= 43), "{key}");
    assert!(key["creation-timestamp"].is_i64(), "{key}");
}
