//! `GET /metrics`: the worker's connectors and tasks, and its process, in Prometheus's text
//! format, read by a plain HTTP client.

use std::time::Duration;

use ferry_e2e::{unique, wait_for, Broker, Ferry};
use serde_json::json;

fn scrape(ferry: &Ferry) -> (String, String) {
    let response = ureq::get(&format!("{}/metrics", ferry.rest))
        .call()
        .expect("GET /metrics answers");
    let kind = response
        .header("Content-Type")
        .unwrap_or_default()
        .to_string();
    (kind, response.into_string().expect("text"))
}

#[test]
fn metrics_show_each_connector_and_task_state_and_the_process() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let ferry = Ferry::standalone_on(&broker, dir.path());
    let topic = unique("metered");
    broker.create_topic(&topic, 1);
    let sink = json!({
        "connector.class": "FileStreamSink",
        "file": dir.path().join("out.txt").display().to_string(),
        "topics": topic,
        "tasks.max": "1",
    });
    let (code, body) = ferry.call("PUT", "/connectors/metered/config", Some(sink));
    assert_eq!(code, 201, "{body}");
    wait_for("the task RUNNING", Duration::from_secs(30), || {
        let (_, s) = ferry.get("/connectors/metered/status");
        (s["tasks"][0]["state"] == "RUNNING").then_some(())
    });
    let (kind, text) = scrape(&ferry);
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    let worker = ferry.get("/connectors/metered/status").1["connector"]["worker_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for line in [
        "kafka_connect_worker_connector_count 1".to_string(),
        "kafka_connect_worker_task_count 1".to_string(),
        format!("kafka_connect_connector_status{{connector=\"metered\",type=\"sink\",state=\"RUNNING\",worker=\"{worker}\"}} 1"),
        "kafka_connect_connector_task_count{connector=\"metered\",state=\"RUNNING\"} 1".to_string(),
        "kafka_connect_connector_task_count{connector=\"metered\",state=\"FAILED\"} 0".to_string(),
        format!("kafka_connect_task_status{{connector=\"metered\",task=\"0\",state=\"RUNNING\",worker=\"{worker}\"}} 1"),
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in:\n{text}");
    }
    let rss: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("process_resident_memory_bytes "))
        .and_then(|v| v.parse().ok())
        .expect("process_resident_memory_bytes");
    assert!(rss > 1e6 && rss < 1e9, "{rss}");

    // Paused: the states move.
    let (code, _) = ferry.call("PUT", "/connectors/metered/pause", None);
    assert_eq!(code, 202);
    wait_for("PAUSED in the metrics", Duration::from_secs(30), || {
        let (_, text) = scrape(&ferry);
        text.lines()
            .any(|l| {
                l == "kafka_connect_connector_task_count{connector=\"metered\",state=\"PAUSED\"} 1"
            })
            .then_some(())
    });
}

/// The value of a metric of one task in a scrape.
fn task_value(text: &str, name: &str, connector: &str, task: u32) -> Option<f64> {
    let prefix = format!("{name}{{connector=\"{connector}\",task=\"{task}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.parse().ok())
}

#[test]
fn record_counters_equal_the_records_moved_and_a_skipped_record_is_counted() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let ferry = Ferry::standalone_on(&broker, dir.path());
    let topic = unique("counted");
    broker.create_topic(&topic, 1);
    let input = dir.path().join("in.txt");
    // 500 lines, each a JSON number, so that the sink's JsonConverter reads them.
    let lines: Vec<String> = (1..=500).map(|n| n.to_string()).collect();
    ferry_e2e::append_lines(&input, &lines);
    let source = json!({
        "connector.class": "FileStreamSource",
        "file": input.display().to_string(),
        "topic": topic,
    });
    let (code, body) = ferry.call("PUT", "/connectors/counted-src/config", Some(source));
    assert_eq!(code, 201, "{body}");
    let (_, text) = wait_for("500 records written", Duration::from_secs(60), || {
        let (_, text) = scrape(&ferry);
        (task_value(
            &text,
            "kafka_connect_source_task_source_record_write_total",
            "counted-src",
            0,
        ) == Some(500.0))
        .then_some(((), text))
    });
    assert_eq!(
        task_value(
            &text,
            "kafka_connect_source_task_source_record_poll_total",
            "counted-src",
            0
        ),
        Some(500.0),
        "{text}"
    );
    assert!(
        task_value(
            &text,
            "kafka_connect_source_task_poll_batch_avg_time_ms",
            "counted-src",
            0
        )
        .is_some(),
        "{text}"
    );
    // One record the sink cannot read as JSON, tolerated and sent to the dead letter queue.
    broker.produce(&topic, &["not json".to_string()]);
    let dlq = unique("counted-dlq");
    let sink = json!({
        "connector.class": "FileStreamSink",
        "file": dir.path().join("out.txt").display().to_string(),
        "topics": topic,
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1",
    });
    let (code, body) = ferry.call("PUT", "/connectors/counted-sink/config", Some(sink));
    assert_eq!(code, 201, "{body}");
    let (_, text) = wait_for("501 records read", Duration::from_secs(60), || {
        let (_, text) = scrape(&ferry);
        (task_value(
            &text,
            "kafka_connect_sink_task_sink_record_read_total",
            "counted-sink",
            0,
        ) == Some(501.0))
        .then_some(((), text))
    });
    for (name, want) in [
        ("kafka_connect_sink_task_sink_record_send_total", 500.0),
        ("kafka_connect_task_error_total_record_errors", 1.0),
        ("kafka_connect_task_error_total_records_skipped", 1.0),
        (
            "kafka_connect_task_error_deadletterqueue_produce_total",
            1.0,
        ),
    ] {
        assert_eq!(
            task_value(&text, name, "counted-sink", 0),
            Some(want),
            "{name}:\n{text}"
        );
    }
    // After an offset commit the sink is caught up: no lag.
    wait_for(
        "the lag measured at a commit",
        Duration::from_secs(60),
        || {
            let (_, text) = scrape(&ferry);
            let line = format!(
            "kafka_connect_sink_task_partition_lag{{connector=\"counted-sink\",task=\"0\",topic=\"{topic}\",partition=\"0\"}} 0"
        );
            text.lines().any(|l| l == line).then_some(())
        },
    );
    let (_, text) = scrape(&ferry);
    for name in [
        "kafka_connect_worker_connector_startup_success_total",
        "kafka_connect_worker_task_startup_success_total",
    ] {
        let n: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_default();
        assert!(n >= 2.0, "{name} = {n}");
    }
    // Every metric the Grafana dashboard queries is one the worker exports.
    let dashboard = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/grafana-dashboard.json"),
    )
    .expect("docs/grafana-dashboard.json");
    let names: std::collections::BTreeSet<&str> = dashboard
        .split(|c: char| !(c.is_ascii_lowercase() || c == '_'))
        .filter(|w| w.starts_with("kafka_connect_") || w.starts_with("process_"))
        .collect();
    assert!(names.len() > 10, "{names:?}");
    for name in names {
        assert!(
            text.contains(&format!("# TYPE {name} ")),
            "the dashboard queries {name}, which /metrics does not export"
        );
    }
}
