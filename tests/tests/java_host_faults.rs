//! The Java plugin host dying under a running worker: only Java connectors notice (FAILED, with
//! the host's end as their trace), ferry's own connectors keep moving records, and a restart
//! brings the Java connector back on a new host without losing a record.

use std::collections::BTreeSet;
use std::time::Duration;

use ferry_e2e::java_plugins::*;
use ferry_e2e::*;

fn lines(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix}-{i:05}")).collect()
}

fn file_source(
    name: &str,
    file: &std::path::Path,
    topic: &str,
    jar: bool,
) -> Vec<(&'static str, String)> {
    let mut config = vec![
        ("name", name.to_string()),
        ("connector.class", "FileStreamSource".to_string()),
        ("file", file.display().to_string()),
        ("topic", topic.to_string()),
    ];
    if jar {
        config.push(("connector.plugin.version", "4.4.0".to_string()));
    }
    config
}

/// Waits until every one of `want` is among the values of `topic`.
fn wait_values(broker: &Broker, topic: &str, want: &[String]) {
    let want: BTreeSet<&String> = want.iter().collect();
    wait_for(
        &format!("{} values in {topic}", want.len()),
        Duration::from_secs(60),
        || {
            let got = broker.consume(topic, want.len(), Duration::from_secs(5));
            let got: BTreeSet<&String> = got.iter().collect();
            want.is_subset(&got).then_some(())
        },
    );
}

#[test]
fn a_dead_plugin_host_fails_only_java_connectors_and_a_restart_brings_them_back() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let worker = java_worker_props(&broker, dir.path(), free_port());
    let ferry = Ferry::start(dir.path(), &worker, &[]);
    let (java_in, native_in) = (dir.path().join("java.txt"), dir.path().join("native.txt"));
    let (java_topic, native_topic) = (unique("host-java"), unique("host-native"));
    let java_name = unique("java-file");
    let native_name = unique("native-file");
    append_lines(&java_in, &lines("j", 0..100));
    append_lines(&native_in, &lines("n", 0..100));
    create_connector(
        &ferry,
        &file_source(&java_name, &java_in, &java_topic, true),
    );
    create_connector(
        &ferry,
        &file_source(&native_name, &native_in, &native_topic, false),
    );
    wait_running(&ferry, &java_name, 1, Duration::from_secs(60));
    wait_values(&broker, &java_topic, &lines("j", 0..100));
    wait_values(&broker, &native_topic, &lines("n", 0..100));

    let pid = worker_pid(&ferry).expect("the worker's pid");
    let hosts = java_descendants(pid);
    assert_eq!(
        hosts.len(),
        1,
        "one plugin host under the worker: {hosts:?}"
    );
    let host = hosts[0].pid;
    let killed = std::process::Command::new("kill")
        .args(["-9", &host.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());

    // The Java task fails with the host's end as its trace; the worker and its own connector go on.
    let status = wait_task_state(&ferry, &java_name, 0, "FAILED", Duration::from_secs(30));
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("Java plugin host")
            && trace.contains(&format!("pid {host}"))
            && trace.contains("signal: 9"),
        "the trace says the host was killed: {status}"
    );
    append_lines(&native_in, &lines("n", 100..200));
    wait_values(&broker, &native_topic, &lines("n", 0..200));
    let native = connector_status(&ferry, &native_name);
    assert_eq!(native["tasks"][0]["state"], "RUNNING", "{native}");

    // A restart starts a new host and the Java connector goes on from its committed offset.
    append_lines(&java_in, &lines("j", 100..200));
    let (code, body) = ferry.call(
        "POST",
        &format!("/connectors/{java_name}/restart?includeTasks=true"),
        None,
    );
    assert!(code == 202 || code == 204, "restart: {code} {body}");
    wait_running(&ferry, &java_name, 1, Duration::from_secs(60));
    wait_values(&broker, &java_topic, &lines("j", 0..200));
    let hosts = java_descendants(pid);
    assert!(
        hosts.len() == 1 && hosts[0].pid != host,
        "a new plugin host runs: {hosts:?}"
    );
}
