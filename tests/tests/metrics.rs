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
