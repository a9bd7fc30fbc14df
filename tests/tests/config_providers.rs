//! Config providers (KIP-297): a value a task needs comes from `${file:...}` when the task starts;
//! the REST API, the config topic and the worker's log keep the placeholder, never the value.

use std::time::Duration;

use ferry_e2e::cluster::*;
use ferry_e2e::*;
use serde_json::json;

#[test]
fn a_secret_from_a_file_is_used_by_the_task_and_never_shown() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    // The secret: the topic the source writes to. Only the task may see it.
    let secret = unique("secret-topic");
    broker.create_topic(&secret, 1);
    let secrets = dir.path().join("secrets.properties");
    std::fs::write(&secrets, format!("topic={secret}\n")).expect("secrets file");
    let placeholder = format!("${{file:{}:topic}}", secrets.display());

    let c = cluster_with(
        &broker,
        1,
        &[
            ("config.providers", "file".to_string()),
            (
                "config.providers.file.class",
                "org.apache.kafka.common.config.provider.FileConfigProvider".to_string(),
            ),
        ],
    );
    let w = &c.workers[0];
    let input = dir.path().join("in.txt");
    let lines: Vec<String> = (0..10).map(|i| format!("line {i}")).collect();
    append_lines(&input, &lines);
    let config = json!({"name": "with-secret", "config": {
        "connector.class": "FileStreamSource",
        "file": input.display().to_string(),
        "topic": placeholder,
    }});
    let (code, body) = w.call_retrying("POST", "/connectors", Some(config));
    assert_eq!(code, 201, "create: {body}");

    // The task wrote to the topic the secret names.
    assert_eq!(
        broker.consume(&secret, lines.len(), Duration::from_secs(60)),
        lines
    );

    let (_, shown) = w.get("/connectors/with-secret/config");
    assert_eq!(
        shown["topic"],
        json!(placeholder),
        "the config shows the placeholder"
    );
    let (_, tasks) = w.get("/connectors/with-secret/tasks");
    assert_eq!(
        tasks[0]["config"]["topic"],
        json!(placeholder),
        "the task config shows the placeholder: {tasks}"
    );
    for path in ["/connectors/with-secret", "/connectors?expand=info"] {
        let (_, answer) = w.get(path);
        assert!(
            !answer.to_string().contains(&secret),
            "{path} shows the secret: {answer}"
        );
    }
    // The config topic, read by an independent consumer, holds the placeholder only.
    let records = broker.consume_records(&c.config_topic, 100, Duration::from_secs(10));
    let stored: Vec<String> = records.into_iter().filter_map(|(_, v)| v).collect();
    assert!(
        stored.iter().any(|v| v.contains(&placeholder)),
        "the config topic holds the placeholder: {stored:?}"
    );
    assert!(
        !stored.iter().any(|v| v.contains(&secret)),
        "the config topic holds the secret: {stored:?}"
    );
    assert!(
        !w.output().contains(&secret),
        "the worker's log shows the secret"
    );
}
