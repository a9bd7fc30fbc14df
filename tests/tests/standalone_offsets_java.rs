//! The standalone offsets file is Kafka Connect's: Apache Kafka Connect 4.4.0 and ferry take
//! over each other's `offset.storage.file.filename` with a FileStreamSource, and no line is lost
//! or sent twice; ferry's former JSON offsets file is read and converted.

use std::path::Path;
use std::time::Duration;

use ferry_e2e::*;

fn lines(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix} line {i:06}")).collect()
}

fn source(input: &Path, topic: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", "src".to_string()),
        ("connector.class", "FileStreamSource".to_string()),
        ("file", input.display().to_string()),
        ("topic", topic.to_string()),
    ]
}

/// The key Kafka Connect stores a FileStreamSource's offset under.
fn offset_key(input: &Path) -> String {
    serde_json::json!(["src", {"filename": input.display().to_string()}]).to_string()
}

fn committed_position(worker: &Ferry, input: &Path) -> Option<u64> {
    worker.offsets_file().get(&offset_key(input))?["position"].as_u64()
}

/// Waits until the topic holds exactly `expected`, each once, and the worker committed the
/// whole input file.
fn delivered(broker: &Broker, topic: &str, worker: &Ferry, input: &Path, expected: &[String]) {
    let values = broker.values_to_end(topic, expected, Duration::from_secs(120));
    let mut got = values.clone();
    got.sort();
    let mut want = expected.to_vec();
    want.sort();
    assert!(
        got == want,
        "the topic holds {} records for {} lines (first of them: {:?}); worker output: {}",
        values.len(),
        expected.len(),
        values.first(),
        worker.output()
    );
    let size = std::fs::metadata(input).unwrap().len();
    wait_for(
        "the whole input file to be committed",
        Duration::from_secs(60),
        || (committed_position(worker, input) == Some(size)).then_some(()),
    );
}

#[test]
fn java_and_ferry_take_over_each_others_offsets_file() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("offsets-java");
    broker.create_topic(&topic, 1);
    let input = dir.path().join("input.txt");
    let offsets = dir.path().join("connect.offsets");
    let rest_port = free_port();
    let worker = Ferry::worker_props(&broker, dir.path(), rest_port);
    let connector = source(&input, &topic);
    let mut expected = lines("java first", 1000);
    append_lines(&input, &expected);

    // Kafka Connect reads the file from the start and commits its position on a clean stop.
    let mut java = Ferry::java_standalone(dir.path(), &worker, std::slice::from_ref(&connector));
    delivered(&broker, &topic, &java, &input, &expected);
    java.terminate();
    let written_by_java = std::fs::read(&offsets).unwrap();
    assert!(written_by_java.starts_with(&[0xAC, 0xED, 0x00, 0x05]));

    // ferry resumes at Java's position: only the new lines follow.
    let mut ferry = Ferry::start(dir.path(), &worker, std::slice::from_ref(&connector));
    let more = lines("ferry", 500);
    append_lines(&input, &more);
    expected.extend(more);
    delivered(&broker, &topic, &ferry, &input, &expected);
    assert_eq!(ferry.terminate(), Some(0), "{}", ferry.output());
    let written_by_ferry = std::fs::read(&offsets).unwrap();
    assert!(written_by_ferry.starts_with(&[0xAC, 0xED, 0x00, 0x05]));

    // Kafka Connect reads ferry's file and goes on from ferry's position.
    let mut java = Ferry::java_standalone(dir.path(), &worker, std::slice::from_ref(&connector));
    let last = lines("java second", 300);
    append_lines(&input, &last);
    expected.extend(last);
    delivered(&broker, &topic, &java, &input, &expected);
    // Had Java failed to read ferry's file it would not have started; had it taken it for empty
    // (as it does with a file cut short), the first 1,500 lines would be in the topic twice.
    java.terminate();
}

#[test]
fn ferrys_former_json_offsets_file_is_read_and_converted() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("offsets-json");
    broker.create_topic(&topic, 1);
    let input = dir.path().join("input.txt");
    let offsets = dir.path().join("connect.offsets");
    // Lines an earlier ferry already delivered, and its offsets file in the former JSON format.
    append_lines(&input, &lines("delivered before", 400));
    let size = std::fs::metadata(&input).unwrap().len();
    let old = serde_json::json!({ offset_key(&input): {"position": size} });
    std::fs::write(&offsets, serde_json::to_vec_pretty(&old).unwrap()).unwrap();

    let rest_port = free_port();
    let worker = Ferry::worker_props(&broker, dir.path(), rest_port);
    let mut ferry = Ferry::start(dir.path(), &worker, &[source(&input, &topic)]);
    let (status, body) = ferry.get("/connectors/src/offsets");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["offsets"][0]["offset"]["position"].as_u64(),
        Some(size),
        "{body}"
    );
    let new = lines("after the upgrade", 200);
    append_lines(&input, &new);
    delivered(&broker, &topic, &ferry, &input, &new);
    assert_eq!(ferry.terminate(), Some(0), "{}", ferry.output());
    let bytes = std::fs::read(&offsets).unwrap();
    assert!(
        bytes.starts_with(&[0xAC, 0xED, 0x00, 0x05]),
        "the file is now Kafka Connect's format"
    );
    assert_eq!(ferry.offsets_file().len(), 1, "{:?}", ferry.offsets_file());
}
