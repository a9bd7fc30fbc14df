//! Error tolerance in a sink (KIP-298): with `errors.tolerance=all` malformed records are skipped
//! and kept in a dead letter queue with headers saying where and why they failed, while every
//! good record arrives; with `none` the first malformed record fails the task with a trace naming
//! it. Checked with an independent consumer.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ferry_e2e::*;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::ClientConfig;
use serde_json::json;

/// The records of `topic` with their headers, until `expected` are read or `timeout` passes.
fn records_with_headers(
    broker: &Broker,
    topic: &str,
    expected: usize,
    timeout: Duration,
) -> Vec<(String, BTreeMap<String, String>)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &broker.address)
        .set("group.id", unique("dlq-check"))
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let deadline = Instant::now() + timeout;
    let mut out = Vec::new();
    while out.len() < expected && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            let value = String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned();
            let headers = m
                .headers()
                .map(|hs| {
                    hs.iter()
                        .map(|h| {
                            let v = h.value.map(String::from_utf8_lossy).unwrap_or_default();
                            (h.key.to_string(), v.into_owned())
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push((value, headers));
        }
    }
    out
}

fn sink_config(out: &std::path::Path, topic: &str, tolerance: &str, dlq: &str) -> Json {
    json!({
        "connector.class": "FileStreamSink",
        "file": out.display().to_string(),
        "topics": topic,
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "errors.tolerance": tolerance,
        "errors.log.enable": "true",
        "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    })
}

/// Good records are JSON strings; every third one is not JSON at all.
fn mixed_values() -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut all = Vec::new();
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for i in 0..30 {
        if i % 3 == 2 {
            let v = format!("not json {{{i}");
            bad.push(v.clone());
            all.push(v);
        } else {
            good.push(format!("good {i}"));
            all.push(format!("\"good {i}\""));
        }
    }
    (all, good, bad)
}

#[test]
fn tolerated_bad_records_go_to_the_dead_letter_queue_and_good_ones_arrive() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let ferry = Ferry::standalone_on(&broker, dir.path());
    let topic = unique("dlq-in");
    let dlq = unique("dlq");
    broker.create_topic(&topic, 1);
    let (all, good, bad) = mixed_values();
    broker.produce(&topic, &all);
    let out = dir.path().join("out.txt");
    let (code, body) = ferry.call(
        "PUT",
        "/connectors/tolerant/config",
        Some(sink_config(&out, &topic, "all", &dlq)),
    );
    assert_eq!(code, 201, "{body}");

    wait_for(
        "every good record in the sink file",
        Duration::from_secs(60),
        || (read_lines(&out).len() >= good.len()).then_some(()),
    );
    assert_eq!(read_lines(&out), good, "the good records, in order, once");
    let dead = records_with_headers(&broker, &dlq, bad.len(), Duration::from_secs(60));
    let values: Vec<&String> = dead.iter().map(|(v, _)| v).collect();
    assert_eq!(
        values,
        bad.iter().collect::<Vec<_>>(),
        "the bad records, as they were"
    );
    for (i, (_, headers)) in dead.iter().enumerate() {
        let offset = (3 * i + 2).to_string();
        assert_eq!(headers.get("__connect.errors.topic"), Some(&topic));
        assert_eq!(
            headers
                .get("__connect.errors.partition")
                .map(String::as_str),
            Some("0")
        );
        assert_eq!(headers.get("__connect.errors.offset"), Some(&offset));
        assert_eq!(
            headers
                .get("__connect.errors.connector.name")
                .map(String::as_str),
            Some("tolerant")
        );
        assert_eq!(
            headers.get("__connect.errors.task.id").map(String::as_str),
            Some("0")
        );
        assert_eq!(
            headers.get("__connect.errors.stage").map(String::as_str),
            Some("VALUE_CONVERTER")
        );
        assert_eq!(
            headers
                .get("__connect.errors.class.name")
                .map(String::as_str),
            Some("org.apache.kafka.connect.json.JsonConverter")
        );
        assert_eq!(
            headers
                .get("__connect.errors.exception.class.name")
                .map(String::as_str),
            Some("org.apache.kafka.connect.errors.DataException")
        );
        assert!(headers
            .get("__connect.errors.exception.message")
            .is_some_and(|m| !m.is_empty()));
    }
    // The skipped records' offsets are committed with the others: stopped and started again,
    // the connector delivers nothing twice.
    let (_, s) = ferry.get("/connectors/tolerant/status");
    assert_eq!(s["tasks"][0]["state"], "RUNNING", "{s}");
    // Committed while it runs (every offset.flush.interval.ms), then read again once stopped.
    // The group's offsets of this test's topic (a group keeps what it committed for others).
    let committed = || {
        let (_, o) = ferry.get("/connectors/tolerant/offsets");
        o["offsets"]
            .as_array()
            .and_then(|all| {
                all.iter()
                    .find(|p| p["partition"]["kafka_topic"] == json!(topic))
                    .map(|p| p["offset"]["kafka_offset"].clone())
            })
            .unwrap_or(Json::Null)
    };
    wait_for(
        "the offsets committed past the last record",
        Duration::from_secs(60),
        || (committed() == json!(all.len())).then_some(()),
    );
    assert_eq!(ferry.call("PUT", "/connectors/tolerant/stop", None).0, 204);
    assert_eq!(committed(), json!(all.len()));
}

#[test]
fn without_tolerance_a_bad_record_fails_the_task_with_where_it_was() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let ferry = Ferry::standalone_on(&broker, dir.path());
    let topic = unique("strict-in");
    broker.create_topic(&topic, 1);
    broker.produce(&topic, &["\"fine\"".to_string(), "{broken".to_string()]);
    let out = dir.path().join("out.txt");
    let config = sink_config(&out, &topic, "none", "");
    let (code, body) = ferry.call("PUT", "/connectors/strict/config", Some(config));
    assert_eq!(code, 201, "{body}");
    let status = wait_for("the task FAILED", Duration::from_secs(60), || {
        let (_, s) = ferry.get("/connectors/strict/status");
        (s["tasks"][0]["state"] == "FAILED").then_some(s)
    });
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains(&format!("topic {topic}, partition 0, offset 1")),
        "the trace names the record: {trace}"
    );
    assert_eq!(
        status["connector"]["state"], "RUNNING",
        "the connector goes on"
    );
}

#[test]
fn a_record_a_transform_cannot_take_goes_to_the_dead_letter_queue() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let ferry = Ferry::standalone_on(&broker, dir.path());
    let topic = unique("transform-in");
    let dlq = unique("transform-dlq");
    broker.create_topic(&topic, 1);
    // ExtractField needs a map; plain strings cannot give it one.
    broker.produce(
        &topic,
        &["\"a string\"".to_string(), "{\"x\":\"kept\"}".to_string()],
    );
    let out = dir.path().join("out.txt");
    let mut config = sink_config(&out, &topic, "all", &dlq);
    config["transforms"] = json!("extract");
    config["transforms.extract.type"] =
        json!("org.apache.kafka.connect.transforms.ExtractField$Value");
    config["transforms.extract.field"] = json!("x");
    let (code, body) = ferry.call("PUT", "/connectors/transformed/config", Some(config));
    assert_eq!(code, 201, "{body}");
    wait_for(
        "the kept record in the sink file",
        Duration::from_secs(60),
        || (read_lines(&out) == ["kept"]).then_some(()),
    );
    let dead = records_with_headers(&broker, &dlq, 1, Duration::from_secs(60));
    assert_eq!(dead.len(), 1, "the record the transform failed on");
    let (value, headers) = &dead[0];
    assert_eq!(value, "\"a string\"");
    assert_eq!(
        headers.get("__connect.errors.stage").map(String::as_str),
        Some("TRANSFORMATION")
    );
    assert_eq!(
        headers
            .get("__connect.errors.class.name")
            .map(String::as_str),
        Some("org.apache.kafka.connect.transforms.ExtractField$Value")
    );
    assert_eq!(
        headers.get("__connect.errors.offset").map(String::as_str),
        Some("0")
    );
}
