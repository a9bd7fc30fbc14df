//! A sink task gives partitions up at a rebalance the way Kafka's does: what it wrote is flushed
//! and committed before the partitions go, so the member that gets them starts after the task's
//! last written record. Another member joins the sink's consumer group (`connect-NAME`) — an
//! independent rdkafka consumer, as a second task would — while the task has written records
//! whose offsets the 60 s commit interval has not committed yet.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use ferry_e2e::*;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::ClientConfig;

fn values(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix} {i:04}")).collect()
}

#[test]
fn a_member_joining_the_sink_group_gets_no_record_the_task_already_wrote() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let topic = unique("rebalance-in");
    broker.create_topic(&topic, 4);
    let name = unique("rebalanced-sink");
    let out = dir.path().join("out.txt");

    let mut worker = Ferry::worker_props(&broker, dir.path(), free_port());
    for (key, value) in worker.iter_mut() {
        if *key == "offset.flush.interval.ms" {
            // No commit on the interval during the test: only the rebalance commits.
            *value = "600000".into();
        }
    }
    let sink = vec![
        ("name", name.clone()),
        ("connector.class", "FileStreamSink".to_string()),
        ("file", out.display().to_string()),
        ("topics", topic.clone()),
    ];
    let ferry = Ferry::start(dir.path(), &worker, &[sink]);

    let first = values("before", 0..400);
    broker.produce(&topic, &first);
    wait_for(
        "the first records in the sink file",
        Duration::from_secs(60),
        || (read_lines(&out).len() >= first.len()).then_some(()),
    );

    // A second member of the connector's group, as a second task would be.
    let member: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &broker.address)
        .set("group.id", format!("connect-{name}"))
        .set("partition.assignment.strategy", "range")
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    member.subscribe(&[topic.as_str()]).expect("subscribe");
    let mut taken: Vec<String> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while member.assignment().map(|a| a.count()).unwrap_or(0) == 0 {
        assert!(
            Instant::now() < deadline,
            "the second member never got partitions; worker output:\n{}",
            ferry.output()
        );
        if let Some(Ok(m)) = member.poll(Duration::from_millis(200)) {
            taken.push(String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned());
        }
    }

    let second = values("after", 0..400);
    broker.produce(&topic, &second);
    let everything: BTreeSet<String> = first.iter().chain(&second).cloned().collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(Ok(m)) = member.poll(Duration::from_millis(100)) {
            taken.push(String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned());
        }
        let written: BTreeSet<String> = read_lines(&out).into_iter().collect();
        let seen: BTreeSet<String> = written.iter().chain(&taken).cloned().collect();
        if seen == everything {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} records written or taken by the second member; worker output:\n{}",
            seen.len(),
            everything.len(),
            ferry.output()
        );
    }

    let written = read_lines(&out);
    let redelivered: Vec<&String> = taken.iter().filter(|v| written.contains(v)).collect();
    assert!(
        redelivered.is_empty(),
        "{} records the task had written went to the second member too, e.g. {:?}",
        redelivered.len(),
        redelivered.iter().take(5).collect::<Vec<_>>()
    );
    assert!(
        !taken.is_empty(),
        "the second member got part of the second batch"
    );
    let unique_written: BTreeSet<&String> = written.iter().collect();
    assert_eq!(
        unique_written.len(),
        written.len(),
        "the task wrote no record twice"
    );
    let (_, status) = ferry.get(&format!("/connectors/{name}/status"));
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    assert!(
        ferry
            .output()
            .contains("partitions taken away by a rebalance of the consumer group"),
        "the worker says what the rebalance did"
    );
}
