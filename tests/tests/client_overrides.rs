//! Per-connector client settings (KIP-458): `consumer.override.*` reaches a sink's consumer, and
//! the worker's `connector.client.config.override.policy` refuses what it does not allow.

use std::time::Duration;

use ferry_e2e::*;
use serde_json::json;

#[test]
fn a_sink_consumer_takes_the_connectors_override() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let ferry = Ferry::standalone_on(&broker, dir.path());
    let topic = unique("override");
    broker.create_topic(&topic, 1);
    let old: Vec<String> = (0..5).map(|i| format!("before {i}")).collect();
    broker.produce(&topic, &old);
    let out = dir.path().join("out.txt");
    // The worker's sinks start from the earliest offset; this one is told to start at the end.
    let config = json!({
        "connector.class": "FileStreamSink",
        "file": out.display().to_string(),
        "topics": topic,
        "consumer.override.auto.offset.reset": "latest",
    });
    let (code, body) = ferry.call("PUT", "/connectors/latest-sink/config", Some(config));
    assert_eq!(code, 201, "{body}");
    wait_for("the sink task RUNNING", Duration::from_secs(60), || {
        let (_, s) = ferry.get("/connectors/latest-sink/status");
        (s["tasks"][0]["state"] == "RUNNING").then_some(())
    });
    // Produce until the consumer, which joins at the end, has seen something new.
    let new: Vec<String> = (0..5).map(|i| format!("after {i}")).collect();
    wait_for(
        "new records in the sink file",
        Duration::from_secs(60),
        || {
            broker.produce(&topic, &new);
            std::thread::sleep(Duration::from_millis(500));
            (!read_lines(&out).is_empty()).then_some(())
        },
    );
    let written = read_lines(&out);
    assert!(
        written.iter().all(|l| l.starts_with("after")),
        "only records produced after the sink started: {written:?}"
    );
}

#[test]
fn the_none_policy_refuses_overrides_with_kafkas_words() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut props = Ferry::worker_props(&broker, dir.path(), free_port());
    props.push((
        "connector.client.config.override.policy",
        "org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy".into(),
    ));
    let ferry = Ferry::start(dir.path(), &props, &[]);
    let config = json!({
        "connector.class": "FileStreamSource",
        "file": dir.path().join("in.txt").display().to_string(),
        "topic": unique("refused"),
        "producer.override.linger.ms": "5",
    });
    let (code, body) = ferry.call("PUT", "/connectors/refused/config", Some(config));
    assert_eq!(code, 400, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(
            "The 'None' policy does not allow 'linger.ms' to be overridden in the connector configuration."
        ),
        "{body}"
    );
    assert_eq!(ferry.get("/connectors/refused").0, 404, "nothing created");
}
