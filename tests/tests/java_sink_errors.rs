//! A Java sink task's errant record reporter under ferry: the record it reports goes, as the bytes
//! consumed, to the dead letter queue with Kafka's error headers naming the Java exception, and
//! the task goes on (`errors.tolerance=all`); under `errors.tolerance=none` the report fails the
//! task, as Kafka's reporter does. Records a Java converter refuses take the same way, as
//! Kafka's error handler sends them.

use std::time::Duration;

use ferry_e2e::java_plugins::*;
use ferry_e2e::*;

/// A worker running a recording sink on a fresh topic (named after `prefix`) that holds `values`, with
/// the `extra` settings; the sink writes what `put` receives to `out` in `dir`.
struct Sink {
    ferry: Ferry,
    name: String,
    topic: String,
    out: std::path::PathBuf,
}

fn recording_sink_on(
    broker: &Broker,
    dir: &std::path::Path,
    prefix: &str,
    values: &[&str],
    extra: &[(&'static str, &str)],
) -> Sink {
    let topic = unique(prefix);
    broker.create_topic(&topic, 1);
    broker.produce(
        &topic,
        &values.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
    );
    let worker = java_worker_props(broker, dir, free_port());
    let ferry = Ferry::start(dir, &worker, &[]);
    let name = unique(&format!("{prefix}-sink"));
    let out = dir.join("recorded.txt");
    create_connector(&ferry, &recording_sink(&name, &topic, &out, extra));
    Sink {
        ferry,
        name,
        topic,
        out,
    }
}

/// A header of a dead-lettered record as text; empty when absent.
fn header(record: &ConsumedRecord, key: &str) -> String {
    record
        .headers
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// The dead letter queue settings of the tests, context headers on.
fn dead_letters(dlq: &str) -> [(&'static str, &str); 4] {
    [
        ("errors.tolerance", "all"),
        ("errors.deadletterqueue.topic.name", dlq),
        ("errors.deadletterqueue.topic.replication.factor", "1"),
        ("errors.deadletterqueue.context.headers.enable", "true"),
    ]
}

/// JsonConverter without schemas for values, so that a value that is not JSON fails it.
const JSON_VALUES: [(&str, &str); 2] = [
    (
        "value.converter",
        "org.apache.kafka.connect.json.JsonConverter",
    ),
    ("value.converter.schemas.enable", "false"),
];

#[test]
fn a_reported_record_goes_to_the_dead_letter_queue_and_the_task_goes_on() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let dlq = unique("java-errant-dlq");
    let calls = dir.path().join("calls.txt");
    let calls_path = calls.display().to_string();
    let mut extra = vec![("errant.on.value", "bad"), ("calls.file", &calls_path)];
    extra.extend(dead_letters(&dlq));
    let sink = recording_sink_on(
        &broker,
        dir.path(),
        "java-errant",
        &["a", "bad", "b"],
        &extra,
    );
    wait_for("both good records written", Duration::from_secs(60), || {
        (read_lines(&sink.out) == ["a", "b"]).then_some(())
    });
    let dead = broker.consume_with_headers(&dlq, 1, Duration::from_secs(60));
    assert_eq!(dead.len(), 1, "one record in the dead letter queue");
    let record = &dead[0];
    assert_eq!(record.value.as_deref(), Some("bad"), "the consumed bytes");
    assert_eq!(header(record, "__connect.errors.topic"), sink.topic);
    assert_eq!(header(record, "__connect.errors.offset"), "1");
    assert_eq!(
        header(record, "__connect.errors.exception.class.name"),
        "java.lang.IllegalArgumentException"
    );
    assert_eq!(
        header(record, "__connect.errors.exception.message"),
        "cannot write bad"
    );
    assert!(
        header(record, "__connect.errors.exception.stacktrace")
            .contains("at com.example.connect.RecordingSinkTask.put("),
        "the Java stack trace: {:?}",
        record.headers
    );
    let status = connector_status(&sink.ferry, &sink.name);
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    assert!(read_lines(&calls).contains(&"errant bad".to_string()));
}

#[test]
fn without_tolerance_a_reported_record_fails_the_task() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let sink = recording_sink_on(
        &broker,
        dir.path(),
        "java-errant-none",
        &["a", "bad", "b"],
        &[("errant.on.value", "bad")],
    );
    let status = wait_task_state(
        &sink.ferry,
        &sink.name,
        0,
        "FAILED",
        Duration::from_secs(60),
    );
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("cannot write bad") && trace.contains("RecordingSinkTask.put("),
        "{status}"
    );
    assert!(
        !read_lines(&sink.out).contains(&"b".to_string()),
        "nothing after the refused record"
    );
}

/// A record the task's Java value converter cannot read (not JSON for JsonConverter) goes, as
/// consumed, to the dead letter queue with Kafka's headers naming the stage and the converter,
/// and the records around it reach the task (`errors.tolerance=all`), as in Kafka's sink task.
#[test]
fn a_record_its_java_converter_refuses_goes_to_the_dead_letter_queue() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let dlq = unique("java-convert-dlq");
    let mut extra = JSON_VALUES.to_vec();
    extra.extend(dead_letters(&dlq));
    let sink = recording_sink_on(
        &broker,
        dir.path(),
        "java-convert",
        &["1", "not json", "2"],
        &extra,
    );
    wait_for("both good records written", Duration::from_secs(60), || {
        (read_lines(&sink.out) == ["1", "2"]).then_some(())
    });
    let dead = broker.consume_with_headers(&dlq, 1, Duration::from_secs(60));
    assert_eq!(dead.len(), 1, "one record in the dead letter queue");
    let record = &dead[0];
    assert_eq!(
        record.value.as_deref(),
        Some("not json"),
        "the consumed bytes"
    );
    assert_eq!(header(record, "__connect.errors.stage"), "VALUE_CONVERTER");
    assert_eq!(
        header(record, "__connect.errors.class.name"),
        "org.apache.kafka.connect.json.JsonConverter"
    );
    assert_eq!(
        header(record, "__connect.errors.exception.class.name"),
        "org.apache.kafka.connect.errors.DataException"
    );
    assert_eq!(header(record, "__connect.errors.offset"), "1");
    let status = connector_status(&sink.ferry, &sink.name);
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
}

/// Under `errors.tolerance=none` the same record fails the task, with Kafka's words and the
/// converter's exception as the cause.
#[test]
fn without_tolerance_a_record_its_java_converter_refuses_fails_the_task() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let sink = recording_sink_on(
        &broker,
        dir.path(),
        "java-convert-none",
        &["1", "not json", "2"],
        &JSON_VALUES,
    );
    let status = wait_task_state(
        &sink.ferry,
        &sink.name,
        0,
        "FAILED",
        Duration::from_secs(60),
    );
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("Tolerance exceeded in error handler")
            && trace.contains("org.apache.kafka.connect.errors.DataException"),
        "{status}"
    );
    assert!(
        !read_lines(&sink.out).contains(&"2".to_string()),
        "nothing after the refused record"
    );
}
