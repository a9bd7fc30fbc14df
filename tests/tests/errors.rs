//! Bad input gets a clear answer: a wrong worker configuration stops start-up with a message; a
//! failing task becomes FAILED with its trace while the worker goes on.

use std::process::Command;
use std::time::Duration;

use ferry_e2e::*;

fn run_to_exit(args: &[&std::path::Path], dir: &std::path::Path) -> (Option<i32>, String) {
    let out = Command::new(ferry_bin())
        .arg("standalone")
        .args(args)
        .env("LOG_DIR", dir.join("logs"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[test]
fn a_worker_config_without_converters_stops_start_up_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let worker = dir.path().join("worker.properties");
    write_properties(
        &worker,
        &[
            ("bootstrap.servers", "127.0.0.1:1".into()),
            ("listeners", format!("http://127.0.0.1:{}", free_port())),
        ],
    );
    let (code, text) = run_to_exit(&[&worker], dir.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("Missing required configuration \"key.converter\""),
        "{text}"
    );
    assert!(
        text.contains("Missing required configuration \"value.converter\""),
        "{text}"
    );
}

#[test]
fn a_missing_worker_file_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.properties");
    let (code, text) = run_to_exit(&[&missing], dir.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(&missing.display().to_string()), "{text}");
}

#[test]
fn a_bad_listener_or_number_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let worker = dir.path().join("worker.properties");
    write_properties(
        &worker,
        &[
            (
                "key.converter",
                "org.apache.kafka.connect.storage.StringConverter".into(),
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.storage.StringConverter".into(),
            ),
            ("offset.flush.interval.ms", "soon".into()),
        ],
    );
    let (code, text) = run_to_exit(&[&worker], dir.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("Invalid value soon for configuration offset.flush.interval.ms"),
        "{text}"
    );
}

#[test]
fn a_bad_topics_regex_fails_the_task_not_the_worker() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("regex-neighbour");
    let input = dir.path().join("input.txt");
    append_lines(&input, &["still flowing".to_string()]);
    let worker = Ferry::worker_props(&broker, dir.path(), free_port());
    let bad_sink = vec![
        ("name", "bad-sink".to_string()),
        ("connector.class", "FileStreamSink".to_string()),
        ("file", dir.path().join("never.txt").display().to_string()),
        ("topics.regex", "orders-[".to_string()),
    ];
    let source = vec![
        ("name", "good-source".to_string()),
        ("connector.class", "FileStreamSource".to_string()),
        ("file", input.display().to_string()),
        ("topic", topic.clone()),
    ];
    let ferry = Ferry::start(dir.path(), &worker, &[bad_sink, source]);
    let status = wait_for("the bad sink task to fail", Duration::from_secs(30), || {
        let (_, s) = ferry.get("/connectors/bad-sink/status");
        (s["tasks"][0]["state"] == "FAILED").then_some(s)
    });
    assert_eq!(status["connector"]["state"], "RUNNING");
    assert_eq!(status["type"], "sink");
    let trace = status["tasks"][0]["trace"].as_str().unwrap();
    assert!(
        trace.contains("topics.regex") && trace.contains("orders-["),
        "{trace}"
    );
    // The worker and its other connector go on.
    assert_eq!(
        broker.consume(&topic, 1, Duration::from_secs(60)),
        vec!["still flowing".to_string()]
    );
    let (_, good) = ferry.get("/connectors/good-source/status");
    assert_eq!(good["tasks"][0]["state"], "RUNNING", "{good}");
}

#[test]
fn an_invalid_connector_file_is_refused_with_the_reason() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let worker = dir.path().join("worker.properties");
    write_properties(
        &worker,
        &Ferry::worker_props(&broker, dir.path(), free_port()),
    );
    let connector = dir.path().join("c.properties");
    write_properties(
        &connector,
        &[
            ("name", "x".into()),
            ("connector.class", "NoSuchConnector".into()),
        ],
    );
    let (code, text) = run_to_exit(&[&worker, &connector], dir.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Failed to find any class that implements Connector and which name matches NoSuchConnector"), "{text}");
}
