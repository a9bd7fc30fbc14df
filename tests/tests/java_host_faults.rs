//! The Java plugin host dying under a running worker. ferry and its own connectors never notice.
//! A Java connector whose code brought the host down (`System.exit`) fails with the reason; the
//! other Java connectors start again on a new host from their committed offsets, losing nothing.
//! A host that keeps dying for no reason it can tell fails them all with the reason.

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

/// The plugin host under the worker, waiting for one to run (and, given `not`, a new one).
fn host_pid(worker_pid: u32, not: Option<u32>) -> u32 {
    wait_for("a plugin host", Duration::from_secs(60), || {
        let hosts = java_descendants(worker_pid);
        match hosts.as_slice() {
            [one] if Some(one.pid) != not => Some(one.pid),
            _ => None,
        }
    })
}

fn kill9(pid: u32) {
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
}

#[test]
fn a_killed_plugin_host_is_replaced_and_java_connectors_go_on_without_loss() {
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
    let host = host_pid(pid, None);
    kill9(host);
    append_lines(&java_in, &lines("j", 100..200));
    append_lines(&native_in, &lines("n", 100..200));

    // A new host runs the Java connector again, from its committed offset: every line arrives.
    let replacement = host_pid(pid, Some(host));
    wait_values(&broker, &java_topic, &lines("j", 0..200));
    wait_values(&broker, &native_topic, &lines("n", 0..200));
    let status = connector_status(&ferry, &java_name);
    assert_eq!(status["connector"]["state"], "RUNNING", "{status}");
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    assert!(
        ferry.output().contains("starts again on a new plugin host"),
        "the log says why the task started again"
    );
    assert_ne!(replacement, host);
}

#[test]
fn a_plugin_calling_system_exit_fails_alone_and_the_other_java_connector_goes_on() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let worker = java_worker_props(&broker, dir.path(), free_port());
    let ferry = Ferry::start(dir.path(), &worker, &[]);
    let (bad, good) = (unique("exiting"), unique("steady"));
    let (bad_topic, good_topic) = (unique("exit-bad"), unique("exit-good"));
    let native_in = dir.path().join("native.txt");
    let native_topic = unique("exit-native");
    append_lines(&native_in, &lines("n", 0..50));
    create_connector(
        &ferry,
        &counting_source(&good, &good_topic, &[("count", "3000")]),
    );
    wait_running(&ferry, &good, 1, Duration::from_secs(60));
    create_connector(
        &ferry,
        &file_source(&unique("exit-native"), &native_in, &native_topic, false),
    );
    create_connector(
        &ferry,
        &counting_source(&bad, &bad_topic, &[("exit.at", "250")]),
    );

    let status = wait_task_state(&ferry, &bad, 0, "FAILED", Duration::from_secs(60));
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("exit status: 3") && trace.contains(&format!("thread task-{bad}-0")),
        "the trace names the exit and the thread that called it: {status}"
    );
    // The other Java connector started again on a new host and wrote every record.
    let want = counting_keys(0..1, 3000);
    let got = keyed_records_to_end(&broker, &good_topic, &want, Duration::from_secs(120));
    let keys: BTreeSet<String> = got.into_iter().map(|(k, _)| k).collect();
    assert!(
        want.is_subset(&keys),
        "{} of 3000 records of the steady connector; worker output:\n{}",
        want.intersection(&keys).count(),
        output_tail(&ferry, 60)
    );
    let steady = connector_status(&ferry, &good);
    assert_eq!(steady["tasks"][0]["state"], "RUNNING", "{steady}");
    // ferry's own connector went on throughout.
    append_lines(&native_in, &lines("n", 50..100));
    wait_values(&broker, &native_topic, &lines("n", 0..100));
}

/// Waits until `host` serves the counting source: it said it speaks ferry's protocol, and
/// records polled through it (two batches past what was committed then) are committed.
fn serving(ferry: &Ferry, name: &str, host: u32) {
    wait_for(
        "the new host to be greeted",
        Duration::from_secs(60),
        || {
            ferry
                .output()
                .contains(&format!("speaks ferry's protocol pid={host}"))
                .then_some(())
        },
    );
    let then = committed_n(ferry, name, 0).unwrap_or(-1);
    wait_for("the task to move on", Duration::from_secs(60), || {
        (committed_n(ferry, name, 0).unwrap_or(-1) > then + 200).then_some(())
    });
}

#[test]
fn a_host_that_keeps_dying_fails_its_java_connectors_with_the_reason() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let worker = java_worker_props(&broker, dir.path(), free_port());
    let ferry = Ferry::start(dir.path(), &worker, &[]);
    let name = unique("dying");
    let topic = unique("dying");
    create_connector(
        &ferry,
        &counting_source(&name, &topic, &[("count", "100000")]),
    );
    wait_running(&ferry, &name, 1, Duration::from_secs(60));
    let pid = worker_pid(&ferry).expect("the worker's pid");
    // Three deaths nothing explains are taken; the fourth within ten minutes is not.
    let mut host = host_pid(pid, None);
    for _ in 0..3 {
        serving(&ferry, &name, host);
        kill9(host);
        host = host_pid(pid, Some(host));
    }
    serving(&ferry, &name, host);
    kill9(host);
    let status = wait_task_state(&ferry, &name, 0, "FAILED", Duration::from_secs(60));
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains(&format!("pid {host}")) && trace.contains("signal: 9"),
        "the trace says how the host ended: {status}"
    );
}
