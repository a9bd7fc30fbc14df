//! The whole REST API over HTTP against the real binary and broker: creating, changing and
//! deleting connectors, their states, offsets, topics, plugins and loggers, with Kafka's status
//! codes and bodies.

use std::time::Duration;

use ferry_e2e::*;
use serde_json::json;

fn source_config(file: &std::path::Path, topic: &str) -> Json {
    json!({
        "connector.class": "FileStreamSource",
        "file": file.display().to_string(),
        "topic": topic,
    })
}

fn state_of(ferry: &Ferry, name: &str) -> (String, Vec<String>) {
    let (_, s) = ferry.get(&format!("/connectors/{name}/status"));
    let tasks = s["tasks"]
        .as_array()
        .map(|t| {
            t.iter()
                .map(|t| t["state"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    (
        s["connector"]["state"].as_str().unwrap_or("").to_string(),
        tasks,
    )
}

fn wait_state(ferry: &Ferry, name: &str, connector: &str, tasks: &[&str]) {
    wait_for(
        &format!("{name} to be {connector} {tasks:?}"),
        Duration::from_secs(30),
        || {
            let (c, t) = state_of(ferry, name);
            (c == connector && t == tasks).then_some(())
        },
    );
}

fn numbered(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix}-{i:04}")).collect()
}

#[test]
fn bad_requests_get_kafkas_error_bodies_and_create_nothing() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let ferry = Ferry::standalone_on(&broker, dir.path());
    let input = dir.path().join("in.txt");
    let topic = unique("bad-requests");

    let (code, body) = ferry.call(
        "POST",
        "/connectors",
        Some(json!({"name": "c", "config": {"file": "x"}})),
    );
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["error_code"], 400);
    assert_eq!(
        body["message"], "Connector config contains no connector type",
        "{body}"
    );

    let (code, body) = ferry.call(
        "POST",
        "/connectors",
        Some(json!({"name": "c", "config": {"connector.class": "NoSuch", "topic": "t"}})),
    );
    assert_eq!(code, 400);
    assert!(
        body["message"].as_str().unwrap().contains("NoSuch"),
        "{body}"
    );

    let mut bad = source_config(&input, &topic);
    bad["batch.size"] = json!("0");
    let (code, body) = ferry.call(
        "POST",
        "/connectors",
        Some(json!({"name": "c", "config": bad})),
    );
    assert_eq!(code, 400);
    assert!(
        body["message"].as_str().unwrap().contains("batch.size"),
        "{body}"
    );

    let (code, body) = ferry.call(
        "PUT",
        "/connectors/c/config",
        Some(json!({"name": "other", "connector.class": "FileStreamSource", "topic": "t"})),
    );
    assert_eq!(code, 400);
    assert!(
        body["message"].as_str().unwrap().contains("doesn't match"),
        "{body}"
    );

    let (code, body) = ferry.call_raw("POST", "/connectors", "{not json");
    assert_eq!(code, 400);
    assert_eq!(body["error_code"], 400);

    assert_eq!(
        ferry.get("/connectors"),
        (200, json!([])),
        "nothing was created"
    );

    let (code, body) = ferry.call(
        "POST",
        "/connectors",
        Some(json!({"name": "c", "config": source_config(&input, &topic)})),
    );
    assert_eq!(code, 201, "{body}");
    assert_eq!(body["name"], "c");
    assert_eq!(body["type"], "source");
    let (code, body) = ferry.call(
        "POST",
        "/connectors",
        Some(json!({"name": "c", "config": source_config(&input, &topic)})),
    );
    assert_eq!(code, 409);
    assert_eq!(body["error_code"], 409);

    let (code, body) = ferry.call("DELETE", "/connectors", None);
    assert_eq!(code, 405);
    assert_eq!(body["error_code"], 405);
    assert_eq!(
        ferry.call("GET", "/connectors/c/tasks/7/status", None).0,
        404
    );
    assert_eq!(
        ferry.call("POST", "/connectors/c/tasks/7/restart", None).0,
        404
    );
    assert_eq!(ferry.call("PUT", "/connectors/nope/pause", None).0, 404);
    assert_eq!(ferry.call("DELETE", "/connectors/nope", None).0, 404);
}

#[test]
fn pause_stop_resume_restart_and_source_offsets() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let ferry = Ferry::standalone_on(&broker, dir.path());
    let input = dir.path().join("in.txt");
    let topic = unique("lifecycle");
    broker.create_topic(&topic, 1);
    let first = numbered("a", 0..20);
    append_lines(&input, &first);

    let (code, _) = ferry.call(
        "POST",
        "/connectors",
        Some(json!({"name": "src", "config": source_config(&input, &topic)})),
    );
    assert_eq!(code, 201);
    wait_state(&ferry, "src", "RUNNING", &["RUNNING"]);
    assert_eq!(broker.consume(&topic, 20, Duration::from_secs(30)), first);

    // Paused: nothing moves, the task keeps its place.
    assert_eq!(ferry.call("PUT", "/connectors/src/pause", None).0, 202);
    wait_state(&ferry, "src", "PAUSED", &["PAUSED"]);
    let while_paused = numbered("b", 0..5);
    append_lines(&input, &while_paused);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        broker.consume(&topic, 25, Duration::from_secs(3)).len(),
        20,
        "a paused source must not produce"
    );

    // Offsets may only change when STOPPED.
    let (code, body) = ferry.call("DELETE", "/connectors/src/offsets", None);
    assert_eq!(code, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("STOPPED"),
        "{body}"
    );
    // A restart does not revive a paused connector.
    assert_eq!(ferry.call("POST", "/connectors/src/restart", None).0, 204);
    wait_state(&ferry, "src", "PAUSED", &["PAUSED"]);

    assert_eq!(ferry.call("PUT", "/connectors/src/resume", None).0, 202);
    wait_state(&ferry, "src", "RUNNING", &["RUNNING"]);
    let mut expected = first.clone();
    expected.extend(while_paused.clone());
    assert_eq!(
        broker.consume(&topic, 25, Duration::from_secs(30)),
        expected
    );

    // The committed offset is the end of the file.
    let size = std::fs::metadata(&input).unwrap().len();
    wait_for(
        "the offset of the last line",
        Duration::from_secs(30),
        || {
            let (_, o) = ferry.get("/connectors/src/offsets");
            (o == json!({"offsets": [{"partition": {"filename": input.display().to_string()}, "offset": {"position": size}}]})).then_some(())
        },
    );

    // Stopped: no tasks; a restart leaves it stopped.
    assert_eq!(ferry.call("PUT", "/connectors/src/stop", None).0, 204);
    wait_state(&ferry, "src", "STOPPED", &[]);
    assert_eq!(ferry.get("/connectors/src").1["tasks"], json!([]));
    let (code, body) = ferry.call("POST", "/connectors/src/restart?includeTasks=true", None);
    assert_eq!(code, 202);
    assert_eq!(body["connector"]["state"], "STOPPED");

    // Rewind the file to line 10 (each line is 7 bytes) and resume: lines 10.. come again.
    let (code, body) = ferry.call(
        "PATCH",
        "/connectors/src/offsets",
        Some(json!({"offsets": [{"partition": {"filename": input.display().to_string()}, "offset": {"position": 70}}]})),
    );
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body["message"],
        "The offsets for this connector have been altered successfully"
    );
    assert_eq!(ferry.call("PUT", "/connectors/src/resume", None).0, 202);
    wait_state(&ferry, "src", "RUNNING", &["RUNNING"]);
    let mut again = expected.clone();
    again.extend(expected[10..].iter().cloned());
    assert_eq!(
        broker.consume(&topic, again.len(), Duration::from_secs(30)),
        again
    );

    // Reset: everything again from the start.
    assert_eq!(ferry.call("PUT", "/connectors/src/stop", None).0, 204);
    let (code, body) = ferry.call("DELETE", "/connectors/src/offsets", None);
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body["message"],
        "The offsets for this connector have been reset successfully"
    );
    assert_eq!(
        ferry.get("/connectors/src/offsets").1,
        json!({"offsets": []})
    );
    assert_eq!(ferry.call("PUT", "/connectors/src/resume", None).0, 202);
    let mut thrice = again.clone();
    thrice.extend(expected.iter().cloned());
    assert_eq!(
        broker.consume(&topic, thrice.len(), Duration::from_secs(30)),
        thrice
    );

    // Restarts with and without the tasks.
    let (code, body) = ferry.call(
        "POST",
        "/connectors/src/restart?includeTasks=true&onlyFailed=false",
        None,
    );
    assert_eq!(code, 202);
    assert_eq!(body["connector"]["state"], "RESTARTING");
    assert_eq!(body["tasks"][0]["state"], "RESTARTING");
    wait_state(&ferry, "src", "RUNNING", &["RUNNING"]);
    assert_eq!(
        ferry
            .call("POST", "/connectors/src/tasks/0/restart", None)
            .0,
        204
    );
    wait_state(&ferry, "src", "RUNNING", &["RUNNING"]);
    let (code, task) = ferry.get("/connectors/src/tasks/0/status");
    assert_eq!(code, 200);
    assert_eq!(task["id"], 0);
    assert_eq!(task["state"], "RUNNING");

    // Topics the connector wrote to (KIP-558).
    assert_eq!(
        ferry.get("/connectors/src/topics").1,
        json!({"src": {"topics": [topic]}})
    );
    assert_eq!(
        ferry.call("PUT", "/connectors/src/topics/reset", None).0,
        202
    );
    assert_eq!(
        ferry.get("/connectors/src/topics").1,
        json!({"src": {"topics": []}})
    );
}

#[test]
fn a_sink_rewound_to_zero_writes_the_records_again() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let ferry = Ferry::standalone_on(&broker, dir.path());
    let topic = unique("rewind");
    // A name of its own: the group `connect-NAME` keeps its offsets on the broker between runs.
    let snk = unique("snk");
    broker.create_topic(&topic, 1);
    let values = numbered("v", 0..30);
    broker.produce(&topic, &values);
    let out = dir.path().join("out.txt");
    let config = json!({"connector.class": "FileStreamSink", "file": out.display().to_string(), "topics": topic});
    assert_eq!(
        ferry
            .call("PUT", &format!("/connectors/{snk}/config"), Some(config))
            .0,
        201
    );
    wait_for("the sink file", Duration::from_secs(60), || {
        (read_lines(&out) == values).then_some(())
    });

    assert_eq!(
        ferry
            .call("PUT", &format!("/connectors/{snk}/stop"), None)
            .0,
        204
    );
    wait_state(&ferry, &snk, "STOPPED", &[]);
    let (_, offsets) = ferry.get(&format!("/connectors/{snk}/offsets"));
    assert_eq!(
        offsets,
        json!({"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": 30}}]})
    );
    let (code, body) = ferry.call("DELETE", &format!("/connectors/{snk}/offsets"), None);
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        ferry
            .call("PUT", &format!("/connectors/{snk}/resume"), None)
            .0,
        202
    );
    let twice: Vec<String> = values.iter().chain(&values).cloned().collect();
    wait_for("the records written again", Duration::from_secs(60), || {
        (read_lines(&out) == twice).then_some(())
    });

    // Altered to 25: the last five come a third time.
    assert_eq!(
        ferry
            .call("PUT", &format!("/connectors/{snk}/stop"), None)
            .0,
        204
    );
    let (code, body) = ferry.call(
        "PATCH",
        &format!("/connectors/{snk}/offsets"),
        Some(json!({"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": 25}}]})),
    );
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        ferry
            .call("PUT", &format!("/connectors/{snk}/resume"), None)
            .0,
        202
    );
    let mut thrice = twice.clone();
    thrice.extend(values[25..].iter().cloned());
    wait_for("the last five again", Duration::from_secs(60), || {
        (read_lines(&out) == thrice).then_some(())
    });
}

#[test]
fn config_changes_restart_tasks_and_deleted_connectors_keep_their_offsets() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let ferry = Ferry::standalone_on(&broker, dir.path());
    let input = dir.path().join("in.txt");
    let (t1, t2) = (unique("cfg-one"), unique("cfg-two"));
    broker.create_topic(&t1, 1);
    broker.create_topic(&t2, 1);
    append_lines(&input, &numbered("x", 0..5));

    let (code, info) = ferry.call(
        "PUT",
        "/connectors/c/config",
        Some(source_config(&input, &t1)),
    );
    assert_eq!(code, 201, "{info}");
    assert_eq!(info["config"]["name"], "c");
    assert_eq!(broker.consume(&t1, 5, Duration::from_secs(30)).len(), 5);

    // Same connector, new topic: 200, and new lines go to the new topic.
    let (code, info) = ferry.call(
        "PUT",
        "/connectors/c/config",
        Some(source_config(&input, &t2)),
    );
    assert_eq!(code, 200, "{info}");
    assert_eq!(info["config"]["topic"], t2.as_str());
    append_lines(&input, &numbered("y", 0..3));
    assert_eq!(
        broker.consume(&t2, 3, Duration::from_secs(30)),
        numbered("y", 0..3)
    );

    // PATCH merges; a null removes a key.
    let (code, info) = ferry.call(
        "PATCH",
        "/connectors/c/config",
        Some(json!({"batch.size": "10", "tasks.max": null})),
    );
    assert_eq!(code, 200, "{info}");
    assert_eq!(info["config"]["batch.size"], "10");
    assert!(info["config"].get("tasks.max").is_none(), "{info}");
    assert_eq!(
        ferry.get("/connectors/c/tasks-config").1["c-0"]["batch.size"],
        "10"
    );

    // Deleted, then created again under the same name: it continues where it was.
    let size = std::fs::metadata(&input).unwrap().len();
    wait_for(
        "the offset of the last line",
        Duration::from_secs(30),
        || {
            (ferry.get("/connectors/c/offsets").1["offsets"][0]["offset"]["position"] == size)
                .then_some(())
        },
    );
    assert_eq!(ferry.call("DELETE", "/connectors/c", None).0, 204);
    assert_eq!(ferry.get("/connectors/c").0, 404);
    append_lines(&input, &numbered("z", 0..2));
    assert_eq!(
        ferry
            .call(
                "POST",
                "/connectors",
                Some(json!({"name": "c", "config": source_config(&input, &t2)}))
            )
            .0,
        201
    );
    let mut expected = numbered("y", 0..3);
    expected.extend(numbered("z", 0..2));
    assert_eq!(
        broker.consume(&t2, 10, Duration::from_secs(10)),
        expected,
        "no line twice, none lost"
    );
}

#[test]
fn rest_created_connectors_and_their_states_survive_a_restart() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let mut ferry = Ferry::standalone_on(&broker, dir.path());
    let input = dir.path().join("in.txt");
    let topic = unique("persist");
    broker.create_topic(&topic, 1);
    append_lines(&input, &numbered("p", 0..3));
    let body =
        json!({"name": "kept", "config": source_config(&input, &topic), "initial_state": "PAUSED"});
    assert_eq!(ferry.call("POST", "/connectors", Some(body)).0, 201);
    // Created paused, it makes no tasks until resumed, as in Kafka.
    wait_state(&ferry, "kept", "PAUSED", &[]);
    let stopped = json!({"name": "idle", "config": source_config(&input, &topic), "initial_state": "STOPPED"});
    assert_eq!(ferry.call("POST", "/connectors", Some(stopped)).0, 201);
    wait_state(&ferry, "idle", "STOPPED", &[]);

    assert_eq!(ferry.terminate(), Some(0));
    ferry.restart();
    assert_eq!(ferry.get("/connectors").1, json!(["idle", "kept"]));
    // A kept paused connector comes back with its tasks, paused.
    wait_state(&ferry, "kept", "PAUSED", &["PAUSED"]);
    wait_state(&ferry, "idle", "STOPPED", &[]);
    assert_eq!(
        ferry.get("/connectors/kept/config").1["topic"],
        topic.as_str()
    );
    assert_eq!(ferry.call("PUT", "/connectors/kept/resume", None).0, 202);
    assert_eq!(
        broker.consume(&topic, 3, Duration::from_secs(30)),
        numbered("p", 0..3)
    );
}

#[test]
fn plugins_validation_loggers_health_and_expand() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let ferry = Ferry::standalone_on(&broker, dir.path());

    let (code, health) = ferry.get("/health");
    assert_eq!(code, 200);
    assert_eq!(health["status"], "healthy");

    let (_, all) = ferry.get("/connector-plugins?connectorsOnly=false");
    let has = |class: &str, kind: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .any(|p| p["class"] == class && p["type"] == kind)
    };
    assert!(
        has("org.apache.kafka.connect.json.JsonConverter", "converter"),
        "{all}"
    );
    assert!(
        has(
            "org.apache.kafka.connect.storage.SimpleHeaderConverter",
            "header_converter"
        ),
        "{all}"
    );
    assert!(
        has(
            "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "sink"
        ),
        "{all}"
    );
    let connectors: Vec<String> = ferry
        .get("/connector-plugins")
        .1
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["class"].as_str().unwrap_or(""),
                p["type"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        connectors,
        [
            "io.confluent.connect.jdbc.JdbcSinkConnector sink",
            "io.debezium.connector.jdbc.JdbcSinkConnector sink",
            "io.debezium.connector.mariadb.MariaDbConnector source",
            "io.debezium.connector.mysql.MySqlConnector source",
            "org.apache.kafka.connect.file.FileStreamSinkConnector sink",
            "org.apache.kafka.connect.file.FileStreamSourceConnector source",
        ],
        "connectorsOnly lists the connectors, by class"
    );

    let (code, keys) = ferry.get("/connector-plugins/FileStreamSource/config");
    assert_eq!(code, 200);
    let names: Vec<&str> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    // The connector's own keys, then those every source connector has (as Kafka 4 lists them).
    assert_eq!(names[..3], ["file", "topic", "batch.size"]);
    assert!(names.contains(&"connector.class") && names.contains(&"topic.creation.groups"));
    let batch = &keys[2];
    assert_eq!(
        (
            batch["type"].as_str(),
            batch["default_value"].as_str(),
            batch["required"].as_bool()
        ),
        (Some("INT"), Some("2000"), Some(false))
    );
    assert_eq!(ferry.get("/connector-plugins/NoSuchPlugin/config").0, 404);

    let (code, v) = ferry.call(
        "PUT",
        "/connector-plugins/FileStreamSink/config/validate",
        Some(json!({"connector.class": "FileStreamSink", "name": "s", "tasks.max": "zero"})),
    );
    assert_eq!(code, 200, "{v}");
    // Named after connector.class as written, as Kafka names it.
    assert_eq!(v["name"], "FileStreamSink");
    assert_eq!(
        v["error_count"], 3,
        "tasks.max, topics and topics.regex: {v}"
    );
    assert!(v["groups"].as_array().unwrap().contains(&json!("Common")));
    let tasks_max = v["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["definition"]["name"] == "tasks.max")
        .unwrap();
    assert_eq!(tasks_max["value"]["value"], "zero");
    assert!(tasks_max["value"]["errors"][0]
        .as_str()
        .unwrap()
        .contains("tasks.max"));
    let (_, ok) = ferry.call(
        "PUT",
        "/connector-plugins/org.apache.kafka.connect.file.FileStreamSinkConnector/config/validate",
        Some(json!({"connector.class": "FileStreamSink", "name": "s", "topics": "t"})),
    );
    assert_eq!(ok["error_count"], 0, "{ok}");

    let (_, loggers) = ferry.get("/admin/loggers");
    assert_eq!(loggers["root"]["level"], "INFO");
    let (code, changed) = ferry.call(
        "PUT",
        "/admin/loggers/ferry_runtime",
        Some(json!({"level": "DEBUG"})),
    );
    assert_eq!(code, 200, "{changed}");
    assert_eq!(changed, json!(["ferry_runtime"]));
    let (_, level) = ferry.get("/admin/loggers/ferry_runtime");
    assert_eq!(level["level"], "DEBUG");
    assert!(level["last_modified"].is_u64());
    assert_eq!(
        ferry
            .call(
                "PUT",
                "/admin/loggers/ferry_runtime",
                Some(json!({"level": "LOUD"}))
            )
            .0,
        404
    );
    assert_eq!(
        ferry
            .call("PUT", "/admin/loggers/ferry_runtime", Some(json!({})))
            .0,
        400
    );
    assert_eq!(ferry.get("/admin/loggers/never.set").0, 404);

    let input = dir.path().join("in.txt");
    let topic = unique("expand");
    assert_eq!(
        ferry
            .call(
                "POST",
                "/connectors",
                Some(json!({"name": "e", "config": source_config(&input, &topic)}))
            )
            .0,
        201
    );
    let (_, expanded) = ferry.get("/connectors?expand=status&expand=info");
    assert_eq!(expanded["e"]["info"]["name"], "e");
    assert_eq!(expanded["e"]["status"]["name"], "e");
    let (_, status_only) = ferry.get("/connectors?expand=status");
    assert!(status_only["e"].get("info").is_none());
}
