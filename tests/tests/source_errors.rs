//! Error tolerance in a source (KIP-298): a record its converter cannot turn into bytes fails the
//! task with `errors.tolerance=none`, and is skipped, its offset committed, with `all`.

use std::time::Duration;

use ferry_e2e::*;
use serde_json::json;

/// A FileStreamSource whose value converter cannot take its lines: every record fails.
fn unconvertible(file: &std::path::Path, topic: &str, tolerance: &str) -> Json {
    json!({
        "connector.class": "FileStreamSource",
        "file": file.display().to_string(),
        "topic": topic,
        "value.converter": "org.apache.kafka.connect.converters.IntegerConverter",
        "errors.tolerance": tolerance,
        "errors.log.enable": "true",
    })
}

#[test]
fn a_source_skips_what_it_cannot_convert_under_all_and_fails_under_none() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let ferry = Ferry::standalone_on(&broker, dir.path());
    let input = dir.path().join("in.txt");
    let lines: Vec<String> = (0..10).map(|i| format!("line {i}")).collect();
    append_lines(&input, &lines);
    let size = std::fs::metadata(&input).expect("input").len();

    let topic = unique("skipped");
    broker.create_topic(&topic, 1);
    let (code, body) = ferry.call(
        "PUT",
        "/connectors/tolerant-src/config",
        Some(unconvertible(&input, &topic, "all")),
    );
    assert_eq!(code, 201, "{body}");
    // Every record was skipped, and its offset committed: the file was read to its end.
    wait_for(
        "the skipped lines' offsets committed",
        Duration::from_secs(60),
        || {
            let (_, o) = ferry.get("/connectors/tolerant-src/offsets");
            (o["offsets"][0]["offset"]["position"] == json!(size)).then_some(())
        },
    );
    let (_, s) = ferry.get("/connectors/tolerant-src/status");
    assert_eq!(s["tasks"][0]["state"], "RUNNING", "{s}");
    assert!(
        broker.consume(&topic, 1, Duration::from_secs(3)).is_empty(),
        "nothing reached the topic"
    );

    let strict_topic = unique("strict");
    broker.create_topic(&strict_topic, 1);
    let (code, body) = ferry.call(
        "PUT",
        "/connectors/strict-src/config",
        Some(unconvertible(&input, &strict_topic, "none")),
    );
    assert_eq!(code, 201, "{body}");
    let status = wait_for("the strict task FAILED", Duration::from_secs(60), || {
        let (_, s) = ferry.get("/connectors/strict-src/status");
        (s["tasks"][0]["state"] == "FAILED").then_some(s)
    });
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("VALUE_CONVERTER") && trace.contains(&strict_topic),
        "the trace says which stage and topic: {trace}"
    );
}
