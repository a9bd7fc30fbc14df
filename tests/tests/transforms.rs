//! Single message transforms and predicates through the real ferry binary and a real broker:
//! a FileStreamSource with a chain (HoistField, InsertField, ReplaceField, RegexRouter) and
//! predicates, checked with an independent Kafka client; the plugins listed over REST; a bad
//! transform refused at create and in validate.

use std::time::Duration;

use ferry_e2e::*;
use rdkafka::config::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::json;

fn source(name: &str, input: &std::path::Path, topic: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", name.to_string()),
        ("connector.class", "FileStreamSource".to_string()),
        ("file", input.display().to_string()),
        ("topic", topic.to_string()),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter".to_string(),
        ),
        ("value.converter.schemas.enable", "false".to_string()),
        (
            "transforms",
            "hoist,insert,rename,route,tagTopic,dropOthers".to_string(),
        ),
        (
            "transforms.hoist.type",
            "org.apache.kafka.connect.transforms.HoistField$Value".to_string(),
        ),
        ("transforms.hoist.field", "line".to_string()),
        (
            "transforms.insert.type",
            "org.apache.kafka.connect.transforms.InsertField$Value".to_string(),
        ),
        ("transforms.insert.static.field", "origin".to_string()),
        ("transforms.insert.static.value", "ferry".to_string()),
        (
            "transforms.rename.type",
            "org.apache.kafka.connect.transforms.ReplaceField$Value".to_string(),
        ),
        ("transforms.rename.renames", "line:text".to_string()),
        (
            "transforms.route.type",
            "org.apache.kafka.connect.transforms.RegexRouter".to_string(),
        ),
        ("transforms.route.regex", "(.*)-in".to_string()),
        ("transforms.route.replacement", "$1-out".to_string()),
        // applies only to records routed above
        ("transforms.tagTopic.type", "InsertField$Value".to_string()),
        ("transforms.tagTopic.topic.field", "topic".to_string()),
        ("transforms.tagTopic.predicate", "routed".to_string()),
        // drops every record that was not routed
        (
            "transforms.dropOthers.type",
            "org.apache.kafka.connect.transforms.Filter".to_string(),
        ),
        ("transforms.dropOthers.predicate", "routed".to_string()),
        ("transforms.dropOthers.negate", "true".to_string()),
        ("predicates", "routed".to_string()),
        (
            "predicates.routed.type",
            "org.apache.kafka.connect.transforms.predicates.TopicNameMatches".to_string(),
        ),
        ("predicates.routed.pattern", ".*-out".to_string()),
    ]
}

#[test]
fn a_source_chain_with_predicates_reshapes_routes_and_drops() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let base = unique("smt");
    let (routed_in, routed_out, other) = (
        format!("{base}-in"),
        format!("{base}-out"),
        format!("{base}-other"),
    );
    broker.create_topic(&routed_out, 1);
    let kept_input = dir.path().join("kept.txt");
    let dropped_input = dir.path().join("dropped.txt");
    let lines: Vec<String> = (0..50).map(|i| format!("line {i:03}")).collect();
    append_lines(&kept_input, &lines);
    append_lines(&dropped_input, &lines);

    let rest_port = free_port();
    let worker = Ferry::worker_props(&broker, dir.path(), rest_port);
    let mut ferry = Ferry::start(
        dir.path(),
        &worker,
        &[
            source("kept", &kept_input, &routed_in),
            source("dropped", &dropped_input, &other),
        ],
    );

    // Every line of the first source, reshaped and in the routed topic.
    let values = broker.consume(&routed_out, lines.len(), Duration::from_secs(60));
    assert_eq!(
        values.len(),
        lines.len(),
        "{values:?}\nworker output:\n{}",
        ferry.output()
    );
    for (value, line) in values.iter().zip(&lines) {
        let got: serde_json::Value = serde_json::from_str(value).unwrap();
        assert_eq!(
            got,
            json!({"text": line, "origin": "ferry", "topic": routed_out}),
            "{value}"
        );
    }

    // The plugins are listed with Kafka's names and types.
    let (status, plugins) = ferry.get("/connector-plugins?connectorsOnly=false");
    assert_eq!(status, 200);
    let listed = |class: &str, kind: &str| {
        plugins
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["class"] == class && p["type"] == kind)
    };
    assert!(
        listed(
            "org.apache.kafka.connect.transforms.InsertField$Value",
            "transformation"
        ),
        "{plugins}"
    );
    assert!(listed(
        "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        "predicate"
    ));
    let (status, keys) =
        ferry.get("/connector-plugins/org.apache.kafka.connect.transforms.RegexRouter/config");
    assert_eq!(status, 200, "{keys}");
    assert!(keys
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["name"] == "regex"));

    // A bad transform is refused at create, with the reason, and shown by validate.
    let bad = json!({
        "connector.class": "FileStreamSource",
        "file": kept_input.display().to_string(),
        "topic": "t",
        "transforms": "route",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "(",
        "transforms.route.replacement": "x",
    });
    let (status, body) = ferry.call(
        "POST",
        "/connectors",
        Some(json!({"name": "bad", "config": bad})),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("transforms.route.regex"),
        "{body}"
    );
    let mut named = bad;
    named["name"] = json!("bad");
    let (status, body) = ferry.call(
        "PUT",
        "/connector-plugins/FileStreamSource/config/validate",
        Some(named),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["error_count"], 1, "{body}");
    let entry = body["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["name"] == "transforms.route.regex")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        entry["value"]["errors"].as_array().map(Vec::len),
        Some(1),
        "{body}"
    );

    // Nothing of the second source reached Kafka, yet its offsets are committed: a record a
    // transform drops counts as done, as in Kafka.
    let size = std::fs::metadata(&dropped_input).unwrap().len();
    let key = json!(["dropped", {"filename": dropped_input.display().to_string()}]).to_string();
    wait_for(
        "the dropped records' offsets to be committed",
        Duration::from_secs(30),
        || (ferry.offsets_file().get(&key) == Some(&json!({"position": size}))).then_some(()),
    );
    assert!(broker.consume(&other, 1, Duration::from_secs(3)).is_empty());
    assert_eq!(ferry.terminate(), Some(0), "{}", ferry.output());
}

/// Produces values (`None`: a tombstone), those flagged with a `skip` header.
fn produce(broker: &Broker, topic: &str, records: &[(Option<String>, bool)]) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &broker.address)
        .create()
        .expect("producer");
    for (value, skip) in records {
        let mut record = BaseRecord::<str, str>::to(topic).key("k");
        if let Some(v) = value {
            record = record.payload(v.as_str());
        }
        if *skip {
            record = record.headers(OwnedHeaders::new().insert(Header {
                key: "skip",
                value: Some("yes"),
            }));
        }
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(10));
                }
            }
        }
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
}

#[test]
fn a_sink_chain_drops_by_header_and_tombstone_and_extracts_a_field() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("smt-sink");
    broker.create_topic(&topic, 1);
    let mut records = Vec::new();
    let mut expected = Vec::new();
    for i in 0..30 {
        match i % 3 {
            0 => {
                records.push((
                    Some(json!({"a": format!("keep-{i}"), "n": i}).to_string()),
                    false,
                ));
                expected.push(format!("keep-{i}"));
            }
            1 => records.push((
                Some(json!({"a": format!("skip-{i}"), "n": i}).to_string()),
                true,
            )),
            _ => records.push((None, false)),
        }
    }
    produce(&broker, &topic, &records);

    let output = dir.path().join("out.txt");
    let sink = vec![
        ("name", "smt-sink".to_string()),
        ("connector.class", "FileStreamSink".to_string()),
        ("file", output.display().to_string()),
        ("topics", topic.clone()),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter".to_string(),
        ),
        ("value.converter.schemas.enable", "false".to_string()),
        (
            "transforms",
            "dropSkipped,dropTombstones,route,extract".to_string(),
        ),
        ("transforms.dropSkipped.type", "Filter".to_string()),
        ("transforms.dropSkipped.predicate", "hasSkip".to_string()),
        (
            "transforms.dropTombstones.type",
            "org.apache.kafka.connect.transforms.Filter".to_string(),
        ),
        (
            "transforms.dropTombstones.predicate",
            "isTombstone".to_string(),
        ),
        (
            "transforms.route.type",
            "org.apache.kafka.connect.transforms.RegexRouter".to_string(),
        ),
        ("transforms.route.regex", ".*".to_string()),
        ("transforms.route.replacement", "renamed".to_string()),
        (
            "transforms.extract.type",
            "org.apache.kafka.connect.transforms.ExtractField$Value".to_string(),
        ),
        ("transforms.extract.field", "a".to_string()),
        ("predicates", "hasSkip,isTombstone".to_string()),
        (
            "predicates.hasSkip.type",
            "org.apache.kafka.connect.transforms.predicates.HasHeaderKey".to_string(),
        ),
        ("predicates.hasSkip.name", "skip".to_string()),
        (
            "predicates.isTombstone.type",
            "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone".to_string(),
        ),
    ];
    let worker = Ferry::worker_props(&broker, dir.path(), free_port());
    let mut ferry = Ferry::start(dir.path(), &worker, &[sink]);
    wait_for(
        "the kept records in the sink file",
        Duration::from_secs(60),
        || (read_lines(&output) == expected).then_some(()),
    );
    // Nothing else comes, and the task keeps running.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(read_lines(&output), expected, "{}", ferry.output());
    let (_, status) = ferry.get("/connectors/smt-sink/status");
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    assert_eq!(ferry.terminate(), Some(0), "{}", ferry.output());
}

#[test]
fn a_failing_source_transform_fails_the_task_or_is_skipped_under_tolerance_all() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    append_lines(&input, &["a".to_string(), "b".to_string()]);
    // InsertField needs a struct (or a map); a line is a string: every record fails in it.
    let failing = |name: &str, topic: &str, tolerance: &str| {
        vec![
            ("name", name.to_string()),
            ("connector.class", "FileStreamSource".to_string()),
            ("file", input.display().to_string()),
            ("topic", topic.to_string()),
            ("errors.tolerance", tolerance.to_string()),
            ("transforms", "insert".to_string()),
            ("transforms.insert.type", "InsertField$Value".to_string()),
            ("transforms.insert.topic.field", "t".to_string()),
        ]
    };
    let (strict_topic, tolerant_topic) = (unique("smt-strict"), unique("smt-tolerant"));
    let worker = Ferry::worker_props(&broker, dir.path(), free_port());
    let mut ferry = Ferry::start(
        dir.path(),
        &worker,
        &[
            failing("strict", &strict_topic, "none"),
            failing("tolerant", &tolerant_topic, "all"),
        ],
    );
    let trace = wait_for("the strict task to fail", Duration::from_secs(30), || {
        let (_, status) = ferry.get("/connectors/strict/status");
        (status["tasks"][0]["state"] == "FAILED").then(|| status["tasks"][0]["trace"].to_string())
    });
    assert!(
        trace.contains("TRANSFORMATION")
            && trace.contains("InsertField$Value")
            && trace.contains("[field insertion]"),
        "{trace}"
    );
    // Skipped under `all`: nothing sent, the offsets committed, the task running.
    let size = std::fs::metadata(&input).unwrap().len();
    let key = json!(["tolerant", {"filename": input.display().to_string()}]).to_string();
    wait_for(
        "the skipped records' offsets to be committed",
        Duration::from_secs(30),
        || (ferry.offsets_file().get(&key) == Some(&json!({"position": size}))).then_some(()),
    );
    let (_, status) = ferry.get("/connectors/tolerant/status");
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    assert!(broker
        .consume(&tolerant_topic, 1, Duration::from_secs(3))
        .is_empty());
    assert_eq!(ferry.terminate(), Some(0), "{}", ferry.output());
}
