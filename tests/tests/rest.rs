//! The read side of the REST API, with Kafka Connect's paths, JSON shapes and error bodies.

use std::time::Duration;

use ferry_e2e::*;

#[test]
fn connectors_status_tasks_and_plugins_have_kafkas_shapes() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.txt");
    append_lines(&input, &["x".to_string()]);
    let topic = unique("rest");
    let worker = Ferry::worker_props(&broker, dir.path(), free_port());
    let source = vec![
        ("name", "local-file-source".to_string()),
        ("connector.class", "FileStreamSource".to_string()),
        ("tasks.max", "3".to_string()),
        ("file", input.display().to_string()),
        ("topic", topic.clone()),
    ];
    let ferry = Ferry::start(dir.path(), &worker, &[source]);

    let (code, root) = ferry.get("/");
    assert_eq!(code, 200);
    assert_eq!(root["version"], "4.4.0");
    assert!(root["commit"].is_string());
    wait_for("the cluster id", Duration::from_secs(30), || {
        ferry.get("/").1["kafka_cluster_id"]
            .as_str()
            .map(str::to_string)
    });

    assert_eq!(
        ferry.get("/connectors"),
        (200, serde_json::json!(["local-file-source"]))
    );

    let (code, info) = ferry.get("/connectors/local-file-source");
    assert_eq!(code, 200);
    assert_eq!(info["name"], "local-file-source");
    assert_eq!(info["type"], "source");
    assert_eq!(info["config"]["topic"], topic.as_str());
    // One file is one task, whatever tasks.max says.
    assert_eq!(
        info["tasks"],
        serde_json::json!([{"connector": "local-file-source", "task": 0}])
    );

    let (_, config) = ferry.get("/connectors/local-file-source/config");
    assert_eq!(config["connector.class"], "FileStreamSource");
    assert_eq!(config["tasks.max"], "3");

    let status = wait_for("RUNNING", Duration::from_secs(30), || {
        let (_, s) = ferry.get("/connectors/local-file-source/status");
        (s["tasks"][0]["state"] == "RUNNING").then_some(s)
    });
    assert_eq!(status["connector"]["state"], "RUNNING");
    let worker_id = status["connector"]["worker_id"].as_str().unwrap();
    assert!(
        worker_id.ends_with(&ferry.rest.rsplit(':').next().unwrap().to_string()),
        "{worker_id}"
    );
    assert_eq!(status["tasks"][0]["id"], 0);
    assert!(status["tasks"][0].get("trace").is_none());

    let (_, tasks) = ferry.get("/connectors/local-file-source/tasks");
    assert_eq!(
        tasks[0]["id"],
        serde_json::json!({"connector": "local-file-source", "task": 0})
    );
    assert_eq!(tasks[0]["config"]["file"], input.display().to_string());

    let (_, plugins) = ferry.get("/connector-plugins");
    let classes: Vec<&str> = plugins
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["class"].as_str().unwrap())
        .collect();
    assert!(classes.contains(&"org.apache.kafka.connect.file.FileStreamSourceConnector"));
    assert!(classes.contains(&"org.apache.kafka.connect.file.FileStreamSinkConnector"));
    assert!(plugins[0]["type"].is_string() && plugins[0]["version"].is_string());

    let (code, err) = ferry.get("/connectors/nope/status");
    assert_eq!(code, 404);
    assert_eq!(err["error_code"], 404);
    assert_eq!(err["message"], "No status found for connector nope");
    let (code, err) = ferry.get("/no/such/path");
    assert_eq!(code, 404);
    assert_eq!(err["error_code"], 404);
}
