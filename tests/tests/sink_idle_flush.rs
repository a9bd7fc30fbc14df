//! A sink's last records reach the output soon after the stream goes idle, not only at the next
//! offset commit: with a 60 s `offset.flush.interval.ms` every line must be in the sink file within
//! seconds of the last produce.

use std::time::{Duration, Instant};

use ferry_e2e::*;

#[test]
fn sink_output_trails_the_topic_by_seconds_not_by_the_commit_interval() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("sinkidle");
    // One partition: the sink file must hold the lines in the order they were produced.
    broker.create_topic(&topic, 1);
    let output = dir.path().join("output.txt");

    let rest_port = free_port();
    let mut worker = Ferry::worker_props(&broker, dir.path(), rest_port);
    for (key, value) in worker.iter_mut() {
        if *key == "offset.flush.interval.ms" {
            *value = "60000".into();
        }
    }
    let sink = vec![
        // A fresh name, so a fresh consumer group: a group left behind by an earlier run's killed
        // worker holds a rebalance until its member's session times out.
        ("name", unique("idle-sink")),
        ("connector.class", "FileStreamSink".to_string()),
        ("file", output.display().to_string()),
        ("topics", topic.clone()),
    ];
    let ferry = Ferry::start(dir.path(), &worker, &[sink]);

    // A few bursts with pauses between them; the stream goes idle after each.
    let all: Vec<String> = (0..1000).map(|i| format!("idle line {i:04}")).collect();
    for (i, burst) in all.chunks(250).enumerate() {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(300));
        }
        broker.produce(&topic, burst);
    }
    let produced_at = Instant::now();

    // The first commit is a minute away: only a flush on idle brings the tail in this soon.
    let deadline = Duration::from_secs(10);
    let mut got = Vec::new();
    while produced_at.elapsed() < deadline {
        got = read_lines(&output);
        if got.len() >= all.len() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        got == all,
        "{} of {} lines in the sink file {:?} after the last produce (in order: {}); worker output:\n{}",
        got.len(),
        all.len(),
        produced_at.elapsed(),
        got.iter().zip(&all).all(|(g, a)| g == a),
        ferry.output()
    );
}
