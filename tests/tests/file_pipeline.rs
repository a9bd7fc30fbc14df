//! FileStreamSource -> broker -> FileStreamSink through the real ferry binary and a real broker,
//! checked with an independent Kafka client.

use std::time::Duration;

use ferry_e2e::*;

fn lines(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix} line {i:06}")).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn file_to_topic_to_file_round_trip_and_tailing() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("roundtrip");
    let input = dir.path().join("input.txt");
    let output = dir.path().join("output.txt");
    let first = lines("first", 500);
    append_lines(&input, &first);

    let rest_port = free_port();
    let worker = Ferry::worker_props(&broker, dir.path(), rest_port);
    let source = vec![
        ("name", "src".to_string()),
        ("connector.class", "FileStreamSource".to_string()),
        ("file", input.display().to_string()),
        ("topic", topic.clone()),
    ];
    let sink = vec![
        ("name", "roundtrip-sink".to_string()),
        (
            "connector.class",
            "org.apache.kafka.connect.file.FileStreamSinkConnector".to_string(),
        ),
        ("file", output.display().to_string()),
        ("topics", topic.clone()),
    ];
    let mut ferry = Ferry::start(dir.path(), &worker, &[source, sink]);

    // The topic did not exist: the source created it with the broker's default partition count.
    // Records without a key spread over the partitions, so order holds only within one partition.
    let mut in_topic = broker.consume(&topic, first.len(), Duration::from_secs(60));
    in_topic.sort();
    assert!(
        in_topic == first,
        "the topic holds {} of {} lines; worker output:\n{}",
        in_topic.len(),
        first.len(),
        ferry.output()
    );
    wait_for(
        "the sink file to hold every line",
        Duration::from_secs(60),
        || (sorted(read_lines(&output)) == first).then_some(()),
    );

    // A line appended while the worker runs arrives at both ends.
    let more = lines("later", 3);
    append_lines(&input, &more);
    let expected = sorted(first.iter().chain(&more).cloned().collect());
    wait_for(
        "appended lines in the sink file",
        Duration::from_secs(30),
        || (sorted(read_lines(&output)) == expected).then_some(()),
    );
    assert!(sorted(broker.consume(&topic, expected.len(), Duration::from_secs(30))) == expected);

    // A graceful stop commits the source offset at the end of the file, under Kafka's key.
    assert_eq!(ferry.terminate(), Some(0), "{}", ferry.output());
    let offsets = ferry.offsets_file();
    let key = serde_json::json!(["src", {"filename": input.display().to_string()}]).to_string();
    let size = std::fs::metadata(&input).unwrap().len();
    assert_eq!(
        offsets.get(&key),
        Some(&serde_json::json!({"position": size})),
        "{offsets:?}"
    );
    let log = std::fs::read_to_string(dir.path().join("logs/connect.log")).unwrap();
    assert!(log.contains("source task started"), "connect.log: {log}");
}

#[test]
fn kill_9_mid_stream_loses_nothing_and_repeats_only_after_the_last_flush() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("kill9");
    broker.create_topic(&topic, 1);
    let input = dir.path().join("input.txt");
    let all = lines("k", 200_000);
    append_lines(&input, &all);

    let rest_port = free_port();
    let mut worker = Ferry::worker_props(&broker, dir.path(), rest_port);
    worker.push(("offset.flush.interval.ms", "200".into()));
    let source = vec![
        ("name", "src".to_string()),
        ("connector.class", "FileStreamSource".to_string()),
        ("file", input.display().to_string()),
        ("topic", topic.clone()),
        ("batch.size", "100".to_string()),
    ];
    let mut ferry = Ferry::start(dir.path(), &worker, &[source]);
    let key = serde_json::json!(["src", {"filename": input.display().to_string()}]).to_string();
    let size = std::fs::metadata(&input).unwrap().len();
    let committed_before_kill = wait_for("a first offset commit", Duration::from_secs(60), || {
        ferry
            .offsets_file()
            .get(&key)
            .and_then(|o| o["position"].as_u64())
    });
    ferry.kill9();
    let committed = ferry.offsets_file()[&key]["position"].as_u64().unwrap();
    assert!(committed >= committed_before_kill);
    assert!(
        committed < size,
        "the kill came too late to test anything: raise the line count"
    );

    ferry.restart();
    wait_for(
        "the whole file to be committed",
        Duration::from_secs(120),
        || {
            (ferry
                .offsets_file()
                .get(&key)
                .and_then(|o| o["position"].as_u64())
                == Some(size))
            .then_some(())
        },
    );
    // Line i ends at byte (i+1)*len: the committed position says which line the restart resumes at.
    let line_len = all[0].len() as u64 + 1;
    assert_eq!(committed % line_len, 0, "an offset must sit at a line end");
    let resume_at = (committed / line_len) as usize;

    let got = broker.consume(&topic, all.len() * 2, Duration::from_secs(20));
    // The topic holds the first run's lines 0..a, then the second run's lines resume_at..end.
    let first_run = got.iter().zip(&all).take_while(|(g, a)| g == a).count();
    assert!(
        first_run >= resume_at,
        "acknowledged lines {resume_at} but only {first_run} reached the topic"
    );
    assert_eq!(
        &got[first_run..],
        &all[resume_at..],
        "the restart must resume at the committed line"
    );
    let duplicates = first_run - resume_at;
    println!("kill -9 after {first_run} lines, committed {resume_at}: {duplicates} duplicates");
}

#[test]
fn the_daemon_script_returns_at_once_and_logs_to_connect_standalone_out() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let rest_port = free_port();
    let worker_file = dir.path().join("worker.properties");
    write_properties(
        &worker_file,
        &Ferry::worker_props(&broker, dir.path(), rest_port),
    );
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bin/connect-standalone.sh");
    let started = std::time::Instant::now();
    let status = std::process::Command::new(script)
        .arg("-daemon")
        .arg(&worker_file)
        .env("LOG_DIR", dir.path().join("logs"))
        .env("FERRY_BIN", ferry_bin())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "-daemon must return at once"
    );
    let (code, root) = wait_for("the daemon's REST API", Duration::from_secs(30), || {
        ureq::get(&format!("http://127.0.0.1:{rest_port}/"))
            .call()
            .ok()
            .map(|r| (r.status(), r.into_json::<Json>().unwrap()))
    });
    assert_eq!(code, 200);
    assert!(root["version"].is_string());
    let out = std::fs::read_to_string(dir.path().join("logs/connectStandalone.out")).unwrap();
    assert!(out.contains("REST API"), "{out}");
    // Stop the daemon: find it by its worker file.
    let _ = std::process::Command::new("pkill")
        .arg("-TERM")
        .arg("-f")
        .arg(worker_file.display().to_string())
        .status();
}
