//! The broker goes away under a running worker and comes back: the data flow resumes by itself.

use std::time::Duration;

use ferry_e2e::*;

#[test]
fn a_broker_restart_under_a_running_worker_loses_nothing() {
    let mut broker = Broker::private();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("outage");
    broker.create_topic(&topic, 1);
    let input = dir.path().join("input.txt");
    let output = dir.path().join("output.txt");
    let before: Vec<String> = (0..100).map(|i| format!("before {i}")).collect();
    append_lines(&input, &before);

    let worker = Ferry::worker_props(&broker, dir.path(), free_port());
    let source = vec![
        ("name", "src".to_string()),
        ("connector.class", "FileStreamSource".to_string()),
        ("file", input.display().to_string()),
        ("topic", topic.clone()),
    ];
    let sink = vec![
        ("name", "sink".to_string()),
        ("connector.class", "FileStreamSink".to_string()),
        ("file", output.display().to_string()),
        ("topics", topic.clone()),
    ];
    let ferry = Ferry::start(dir.path(), &worker, &[source, sink]);
    wait_for(
        "the first lines in the sink file",
        Duration::from_secs(60),
        || (read_lines(&output) == before).then_some(()),
    );

    broker.stop();
    let during: Vec<String> = (0..50).map(|i| format!("during {i}")).collect();
    append_lines(&input, &during);
    // Long enough for the worker to notice and say so.
    std::thread::sleep(Duration::from_secs(8));
    let status = ferry.get("/connectors/src/status").1;
    assert_eq!(
        status["connector"]["state"], "RUNNING",
        "a broker outage is not a failure: {status}"
    );
    broker.restart();
    let after: Vec<String> = (0..50).map(|i| format!("after {i}")).collect();
    append_lines(&input, &after);

    let expected: Vec<String> = before
        .iter()
        .chain(&during)
        .chain(&after)
        .cloned()
        .collect();
    wait_for(
        "every line in the sink file after the broker came back",
        Duration::from_secs(120),
        || {
            let got = read_lines(&output);
            // At-least-once: a redelivered stretch may repeat, but every line arrives, in order.
            let mut dedup = got.clone();
            dedup.dedup();
            let mut seen = std::collections::HashSet::new();
            let unique_in_order: Vec<String> =
                got.into_iter().filter(|l| seen.insert(l.clone())).collect();
            (unique_in_order == expected).then_some(dedup)
        },
    );
    let topic_values = broker.consume(&topic, expected.len(), Duration::from_secs(30));
    let mut seen = std::collections::HashSet::new();
    let distinct: Vec<&String> = topic_values
        .iter()
        .filter(|v| seen.insert(v.to_string()))
        .collect();
    assert_eq!(
        distinct.len(),
        expected.len(),
        "every line reached the topic"
    );
    let out = ferry.output();
    assert!(
        out.contains("cannot reach the Kafka broker") || out.contains("waiting for the broker"),
        "the worker should say it is retrying: {out}"
    );
}
