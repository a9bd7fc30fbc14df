//! Java connectors from `plugin.path`, run by ferry through its Java plugin host (standalone
//! mode): a custom source and sink compiled from `tests/java/` as a user would ship them, and
//! Kafka's connect-file jar beside ferry's built-in FileStream connectors. Records are checked
//! with an independent Kafka client, statuses and offsets over REST, processes in `/proc`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ferry_e2e::java_plugins::*;
use ferry_e2e::*;
use serde_json::json;

fn lines(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix} line {i:04}")).collect()
}

/// A standalone worker with the test `plugin.path` and the given connector property sets.
fn start_java(
    broker: &Broker,
    dir: &std::path::Path,
    connectors: &[Vec<(&'static str, String)>],
) -> Ferry {
    let worker = java_worker_props(broker, dir, free_port());
    Ferry::start(dir, &worker, connectors)
}

/// `GET /connectors/NAME/offsets`, sorted by partition.
fn offsets(worker: &Ferry, name: &str) -> Vec<Json> {
    let (_, body) = worker.get(&format!("/connectors/{name}/offsets"));
    let mut list = body["offsets"].as_array().cloned().unwrap_or_default();
    list.sort_by_key(|o| o["partition"].to_string());
    list
}

/// The `n` of a key `p<P>-<n>`.
fn n_of(key: &str) -> i64 {
    key.split_once('-')
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or_else(|| panic!("not a counting key: {key}"))
}

#[test]
fn custom_connectors_are_packed_as_a_plugin_jar_with_service_entries() {
    let jar = custom_jar();
    let out = std::process::Command::new("jar")
        .arg("tf")
        .arg(&jar)
        .output()
        .expect("jar");
    let entries = String::from_utf8_lossy(&out.stdout);
    for entry in [
        "META-INF/services/org.apache.kafka.connect.source.SourceConnector",
        "META-INF/services/org.apache.kafka.connect.sink.SinkConnector",
        "com/example/connect/CountingSourceConnector.class",
        "com/example/connect/CountingSourceTask.class",
        "com/example/connect/RecordingSinkConnector.class",
        "com/example/connect/RecordingSinkTask.class",
    ] {
        assert!(
            entries.lines().any(|l| l == entry),
            "{} lacks {entry}: {entries}",
            jar.display()
        );
    }
    assert_eq!(
        jar.parent().and_then(|p| p.parent()),
        Some(custom_plugins().as_path()),
        "plugin.path names a folder of plugin folders"
    );
}

#[test]
fn connector_plugins_lists_the_jars_connectors_and_both_filestream_versions() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let ferry = start_java(&broker, dir.path(), &[]);
    let (code, plugins) = ferry.get("/connector-plugins");
    assert_eq!(code, 200, "{plugins}");
    let listed: BTreeSet<(String, String, String)> = plugins
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {plugins}"))
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap_or("?").to_string();
            (s("class"), s("type"), s("version"))
        })
        .collect();
    for (class, kind, version) in [
        (COUNTING_SOURCE, "source", CUSTOM_VERSION),
        (RECORDING_SINK, "sink", CUSTOM_VERSION),
        (FILE_SOURCE, "source", BUILTIN_VERSION),
        (FILE_SOURCE, "source", JAR_FILE_VERSION),
        (FILE_SINK, "sink", BUILTIN_VERSION),
        (FILE_SINK, "sink", JAR_FILE_VERSION),
    ] {
        let entry = (class.to_string(), kind.to_string(), version.to_string());
        assert!(
            listed.contains(&entry),
            "GET /connector-plugins lacks {entry:?}: {plugins}\n{}",
            output_tail(&ferry, 100)
        );
    }
}

#[test]
fn custom_source_splits_over_two_tasks_and_writes_every_record_once() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("java-count");
    broker.create_topic(&topic, 1);
    let name = unique("count");
    let ferry = start_java(&broker, dir.path(), &[]);
    create_connector(
        &ferry,
        &counting_source(
            &name,
            &topic,
            &[("count", "500"), ("partitions", "2"), ("tasks.max", "2")],
        ),
    );
    let status = wait_running(&ferry, &name, 2, Duration::from_secs(120));
    assert_eq!(status["type"], "source", "{status}");
    assert_eq!(status["connector"]["version"], CUSTOM_VERSION, "{status}");

    // One source partition per task.
    let (_, tasks) = ferry.get(&format!("/connectors/{name}/tasks"));
    let mut split: Vec<&str> = tasks
        .as_array()
        .unwrap_or_else(|| panic!("{tasks}"))
        .iter()
        .map(|t| t["config"]["task.partitions"].as_str().unwrap_or("?"))
        .collect();
    split.sort();
    assert_eq!(split, ["0", "1"], "{tasks}");

    let expected = counting_keys(0..2, 500);
    let records = keyed_records_to_end(&broker, &topic, &expected, Duration::from_secs(120));
    let keys: BTreeSet<String> = records.iter().map(|(k, _)| k.clone()).collect();
    assert!(
        keys == expected,
        "{} distinct keys of 1000 in the topic ({} records), missing e.g. {:?}\n{}",
        keys.len(),
        records.len(),
        expected.difference(&keys).take(5).collect::<Vec<_>>(),
        output_tail(&ferry, 100)
    );
    assert_eq!(records.len(), 1000, "each record once");
    for (key, value) in &records {
        assert_eq!(value, &format!("v{}", n_of(key)), "key {key}");
    }

    let want = vec![
        json!({"partition": {"p": 0}, "offset": {"n": 499}}),
        json!({"partition": {"p": 1}, "offset": {"n": 499}}),
    ];
    wait_until(
        &ferry,
        "the offsets of both partitions at n=499",
        Duration::from_secs(30),
        || {
            let got = offsets(&ferry, &name);
            if got == want {
                Ok(())
            } else {
                Err(json!(got).to_string())
            }
        },
    );
}

#[test]
fn kill_9_mid_stream_then_the_restarted_task_goes_on_from_its_committed_offset() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("java-kill9");
    broker.create_topic(&topic, 1);
    let name = unique("count-kill9");
    let count = 20_000i64;
    let count_text = count.to_string();
    let source = counting_source(
        &name,
        &topic,
        &[("count", count_text.as_str()), ("tasks.max", "1")],
    );
    let mut worker = java_worker_props(&broker, dir.path(), free_port());
    worker.push(("offset.flush.interval.ms", "200".into()));
    let mut ferry = Ferry::start(dir.path(), &worker, &[source]);

    let first = wait_until(
        &ferry,
        "a first committed offset past n=500",
        Duration::from_secs(120),
        || match committed_n(&ferry, &name, 0) {
            Some(n) if n >= 500 => Ok(n),
            other => Err(format!("{other:?} in {:?}", ferry.offsets_file())),
        },
    );
    let hosts: Vec<Process> = worker_pid(&ferry).map(java_descendants).unwrap_or_default();
    ferry.kill9();
    let committed = committed_n(&ferry, &name, 0).expect("an offset on disk after the kill");
    assert!(committed >= first);
    assert!(
        committed < count - 1,
        "the kill came too late to test anything (committed n={committed}): raise the count"
    );

    ferry.start_again();
    wait_until(
        &ferry,
        "the last offset to be committed after the restart",
        Duration::from_secs(180),
        || match committed_n(&ferry, &name, 0) {
            Some(n) if n == count - 1 => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    let expected = counting_keys(0..1, count);
    let records = keyed_records_to_end(&broker, &topic, &expected, Duration::from_secs(120));
    let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
    for (key, value) in &records {
        assert_eq!(value, &format!("v{}", n_of(key)), "key {key}");
        *seen.entry(n_of(key)).or_default() += 1;
    }
    let missing: Vec<i64> = (0..count).filter(|n| !seen.contains_key(n)).collect();
    assert!(
        missing.is_empty(),
        "{} records missing, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    // Records up to the committed offset were sent by the first run only: the restarted task
    // read its offset in start and went on from committed+1.
    let repeated: Vec<(i64, usize)> = seen
        .range(..=committed)
        .filter(|(_, c)| **c > 1)
        .map(|(n, c)| (*n, *c))
        .collect();
    assert!(
        repeated.is_empty(),
        "records at or before the committed n={committed} were sent again (the task started \
         over instead of reading its offset), e.g. {:?}\n{}",
        &repeated[..repeated.len().min(10)],
        output_tail(&ferry, 100)
    );
    let duplicates = records.len() as i64 - count;
    println!("kill -9 at committed n={committed}: {duplicates} duplicates after it");
    assert_eq!(
        offsets(&ferry, &name),
        vec![json!({"partition": {"p": 0}, "offset": {"n": count - 1}})]
    );

    // The killed worker's plugin host went away with it (its stdin reached EOF).
    for host in &hosts {
        wait_until(
            &ferry,
            &format!("the killed worker's plugin host (pid {}) to exit", host.pid),
            Duration::from_secs(30),
            || {
                if alive(host.pid) {
                    Err(format!("{host:?} still alive"))
                } else {
                    Ok(())
                }
            },
        );
    }
}

/// Waits until the connector is in `state` and its tasks in `tasks`' states.
fn wait_states(ferry: &Ferry, name: &str, state: &str, tasks: &[&str]) -> Json {
    wait_until(
        ferry,
        &format!("{name} {state} with tasks {tasks:?}"),
        Duration::from_secs(60),
        || {
            let s = connector_status(ferry, name);
            let got: Vec<&str> = s["tasks"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| t["state"].as_str().unwrap_or("?"))
                .collect();
            if s["connector"]["state"] == state && got == tasks {
                Ok(s)
            } else {
                Err(s.to_string())
            }
        },
    )
}

/// Waits until the REST offsets of a one-partition counting source are `{"n": n}`.
fn wait_offset(ferry: &Ferry, name: &str, n: i64) {
    let want = vec![json!({"partition": {"p": 0}, "offset": {"n": n}})];
    wait_until(
        ferry,
        &format!("the offset of {name} at n={n}"),
        Duration::from_secs(120),
        || {
            let got = offsets(ferry, name);
            if got == want {
                Ok(())
            } else {
                Err(json!(got).to_string())
            }
        },
    );
}

#[test]
fn a_java_source_pauses_resumes_restarts_stops_rewinds_and_is_deleted() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("java-life");
    broker.create_topic(&topic, 1);
    let name = unique("count-life");
    let count = 3000i64;
    let ferry = start_java(&broker, dir.path(), &[]);
    create_connector(
        &ferry,
        &counting_source(&name, &topic, &[("count", "3000"), ("tasks.max", "1")]),
    );
    wait_running(&ferry, &name, 1, Duration::from_secs(120));
    wait_until(
        &ferry,
        "a first offset past n=300",
        Duration::from_secs(60),
        || match offsets(&ferry, &name).first() {
            Some(o) if o["offset"]["n"].as_i64() >= Some(300) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    let everything = BTreeSet::new();

    // Paused: nothing more reaches the topic.
    let call = |method: &str, path: &str| {
        let (code, body) = ferry.call(method, &format!("/connectors/{name}{path}"), None);
        (code, body)
    };
    assert_eq!(call("PUT", "/pause").0, 202);
    wait_states(&ferry, &name, "PAUSED", &["PAUSED"]);
    std::thread::sleep(Duration::from_secs(1));
    let paused_at =
        keyed_records_to_end(&broker, &topic, &everything, Duration::from_secs(30)).len();
    std::thread::sleep(Duration::from_secs(2));
    let later = keyed_records_to_end(&broker, &topic, &everything, Duration::from_secs(30)).len();
    assert_eq!(paused_at, later, "a paused Java source must not produce");
    assert!(
        (paused_at as i64) < count,
        "the source was done before the pause: raise the count"
    );
    // A restart does not revive a paused connector.
    assert_eq!(call("POST", "/restart").0, 204);
    wait_states(&ferry, &name, "PAUSED", &["PAUSED"]);

    assert_eq!(call("PUT", "/resume").0, 202);
    wait_states(&ferry, &name, "RUNNING", &["RUNNING"]);
    wait_offset(&ferry, &name, count - 1);

    // Stopped: no tasks; the offset moved back to n=2989, and the resumed task goes on from it.
    assert_eq!(call("PUT", "/stop").0, 204);
    wait_states(&ferry, &name, "STOPPED", &[]);
    let (code, body) = ferry.call(
        "PATCH",
        &format!("/connectors/{name}/offsets"),
        Some(json!({"offsets": [{"partition": {"p": 0}, "offset": {"n": count - 11}}]})),
    );
    assert_eq!(code, 200, "{body}");
    wait_offset(&ferry, &name, count - 11);
    assert_eq!(call("PUT", "/resume").0, 202);
    wait_states(&ferry, &name, "RUNNING", &["RUNNING"]);
    wait_offset(&ferry, &name, count - 1);
    let expected = counting_keys(0..1, count);
    let records = keyed_records_to_end(&broker, &topic, &expected, Duration::from_secs(60));
    let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
    for (key, _) in &records {
        *seen.entry(n_of(key)).or_default() += 1;
    }
    let wrong: Vec<(i64, usize)> = (0..count)
        .map(|n| (n, seen.get(&n).copied().unwrap_or(0)))
        .filter(|(n, c)| *c != if *n > count - 11 { 2 } else { 1 })
        .collect();
    assert!(
        wrong.is_empty(),
        "each record once, the last 10 twice (rewound); (n, times) that differ: {:?}\n{}",
        &wrong[..wrong.len().min(10)],
        output_tail(&ferry, 100)
    );

    // Restarted with its task: RUNNING again, nothing more to send.
    let (code, body) = call("POST", "/restart?includeTasks=true");
    assert_eq!(code, 202, "{body}");
    wait_states(&ferry, &name, "RUNNING", &["RUNNING"]);

    // Deleted: gone.
    assert_eq!(call("DELETE", "").0, 204);
    wait_until(
        &ferry,
        "the connector gone",
        Duration::from_secs(30),
        || {
            let (code, body) = call("GET", "/status");
            if code == 404 {
                Ok(())
            } else {
                Err(format!("{code} {body}"))
            }
        },
    );
    std::thread::sleep(Duration::from_secs(1));
    let total = keyed_records_to_end(&broker, &topic, &everything, Duration::from_secs(30)).len();
    assert_eq!(
        total,
        records.len(),
        "nothing sent after the restart and delete"
    );
}

#[test]
fn a_java_exception_fails_the_task_with_its_stack_trace_and_the_worker_goes_on() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("java-fail");
    let name = unique("count-fail");
    let ferry = start_java(&broker, dir.path(), &[]);
    create_connector(
        &ferry,
        &counting_source(&name, &topic, &[("fail.at", "50"), ("tasks.max", "1")]),
    );
    let status = wait_task_state(&ferry, &name, 0, "FAILED", Duration::from_secs(120));
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    for part in [
        "java.lang.IllegalStateException: boom at 50",
        "at com.example.connect.CountingSourceTask.poll(",
        "Caused by: java.io.IOException: disk on fire",
    ] {
        assert!(trace.contains(part), "the trace lacks {part:?}: {status}");
    }
    assert_eq!(status["connector"]["state"], "RUNNING", "{status}");

    // The worker still serves a native connector.
    let native_topic = unique("java-fail-native");
    broker.create_topic(&native_topic, 1);
    let input = dir.path().join("native.txt");
    let native_lines = lines("native", 3);
    append_lines(&input, &native_lines);
    let native = unique("native-src");
    create_connector(
        &ferry,
        &[
            ("name", native.clone()),
            ("connector.class", "FileStreamSource".to_string()),
            ("file", input.display().to_string()),
            ("topic", native_topic.clone()),
        ],
    );
    let values = broker.values_to_end(&native_topic, &native_lines, Duration::from_secs(60));
    assert_eq!(values, native_lines, "{}", output_tail(&ferry, 100));
    let native_status = wait_running(&ferry, &native, 1, Duration::from_secs(30));
    assert_eq!(
        native_status["connector"]["version"], BUILTIN_VERSION,
        "{native_status}"
    );
    assert_eq!(
        connector_status(&ferry, &name)["tasks"][0]["state"],
        "FAILED"
    );
}

#[test]
fn request_task_reconfiguration_grows_the_connector_to_three_tasks() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("java-reconf");
    broker.create_topic(&topic, 1);
    let name = unique("count-reconf");
    let ferry = start_java(&broker, dir.path(), &[]);
    create_connector(
        &ferry,
        &counting_source(
            &name,
            &topic,
            &[
                ("partitions", "1"),
                ("tasks.max", "3"),
                ("reconfigure.to", "3"),
                ("count", "300"),
            ],
        ),
    );
    let task_partitions = || -> Vec<String> {
        let (_, tasks) = ferry.get(&format!("/connectors/{name}/tasks"));
        tasks
            .as_array()
            .map(|ts| {
                ts.iter()
                    .map(|t| {
                        t["config"]["task.partitions"]
                            .as_str()
                            .unwrap_or("?")
                            .into()
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    // One partition, one task, for about a second after the first task configs.
    wait_until(&ferry, "one task first", Duration::from_secs(120), || {
        let t = task_partitions();
        if t == ["0"] {
            Ok(())
        } else {
            Err(format!("{t:?}"))
        }
    });
    wait_until(
        &ferry,
        "three tasks after the reconfiguration",
        Duration::from_secs(60),
        || {
            let mut t = task_partitions();
            t.sort();
            if t == ["0", "1", "2"] {
                Ok(())
            } else {
                Err(format!("{t:?}"))
            }
        },
    );
    let status = wait_running(&ferry, &name, 3, Duration::from_secs(60));
    assert_eq!(status["connector"]["version"], CUSTOM_VERSION, "{status}");
    // The new tasks ran: every partition's records arrive (p0's task restarted: duplicates are
    // allowed).
    let expected = counting_keys(0..3, 300);
    let records = keyed_records_to_end(&broker, &topic, &expected, Duration::from_secs(120));
    let keys: BTreeSet<String> = records.into_iter().map(|(k, _)| k).collect();
    assert!(
        keys == expected,
        "missing e.g. {:?}",
        expected.difference(&keys).take(5).collect::<Vec<_>>()
    );
}

#[test]
fn connect_file_jar_runs_beside_the_built_in_and_the_recording_sink_sees_every_call() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let all = lines("file", 300);
    let (jar_input, builtin_input) = (dir.path().join("jar.txt"), dir.path().join("builtin.txt"));
    append_lines(&jar_input, &all);
    append_lines(&builtin_input, &all);
    let (jar_topic, builtin_topic) = (unique("java-file-jar"), unique("java-file-builtin"));
    broker.create_topic(&jar_topic, 1);
    broker.create_topic(&builtin_topic, 1);
    let ferry = start_java(&broker, dir.path(), &[]);

    let jar_source = unique("file-jar");
    let builtin_source = unique("file-builtin");
    let file_source = |name: &str, input: &std::path::Path, topic: &str| {
        vec![
            ("name", name.to_string()),
            ("connector.class", FILE_SOURCE.to_string()),
            ("file", input.display().to_string()),
            ("topic", topic.to_string()),
            ("key.converter", STRING_CONVERTER.to_string()),
            ("value.converter", STRING_CONVERTER.to_string()),
        ]
    };
    let mut jar = file_source(&jar_source, &jar_input, &jar_topic);
    jar.push(("connector.plugin.version", JAR_FILE_VERSION.to_string()));
    create_connector(&ferry, &jar);
    create_connector(
        &ferry,
        &file_source(&builtin_source, &builtin_input, &builtin_topic),
    );
    let jar_status = wait_running(&ferry, &jar_source, 1, Duration::from_secs(120));
    assert_eq!(
        (
            &jar_status["connector"]["version"],
            &jar_status["tasks"][0]["version"]
        ),
        (&json!(JAR_FILE_VERSION), &json!(JAR_FILE_VERSION)),
        "connector.plugin.version picks the jar: {jar_status}"
    );
    let builtin_status = wait_running(&ferry, &builtin_source, 1, Duration::from_secs(60));
    assert_eq!(
        builtin_status["connector"]["version"], BUILTIN_VERSION,
        "without connector.plugin.version the built-in runs: {builtin_status}"
    );

    // The same keys and values, in order.
    let from_jar = broker.consume_records(&jar_topic, all.len(), Duration::from_secs(60));
    let from_builtin = broker.consume_records(&builtin_topic, all.len(), Duration::from_secs(60));
    let values: Vec<String> = from_jar
        .iter()
        .map(|(_, v)| v.clone().unwrap_or_default())
        .collect();
    assert!(
        values == all,
        "the jar's source wrote {} of {} lines\n{}",
        values.len(),
        all.len(),
        output_tail(&ferry, 100)
    );
    assert!(from_jar == from_builtin, "the jar and the built-in differ");
    // The same offsets, under each one's file name.
    let size = std::fs::metadata(&jar_input).unwrap().len();
    for (name, input) in [(&jar_source, &jar_input), (&builtin_source, &builtin_input)] {
        let want = vec![
            json!({"partition": {"filename": input.display().to_string()}, "offset": {"position": size}}),
        ];
        wait_until(
            &ferry,
            &format!("the offset of {name} at the end of its file"),
            Duration::from_secs(30),
            || {
                let got = offsets(&ferry, name);
                if got == want {
                    Ok(())
                } else {
                    Err(json!(got).to_string())
                }
            },
        );
    }

    // The jar's FileStreamSink and the recording sink read the jar's topic.
    let out = dir.path().join("recorded.txt");
    let calls = dir.path().join("calls.txt");
    let sink = unique("recording");
    let calls_text = calls.display().to_string();
    create_connector(
        &ferry,
        &recording_sink(
            &sink,
            &jar_topic,
            &out,
            &[("calls.file", calls_text.as_str())],
        ),
    );
    let file_sink = unique("file-sink-jar");
    let sunk = dir.path().join("sunk.txt");
    create_connector(
        &ferry,
        &[
            ("name", file_sink.clone()),
            ("connector.class", FILE_SINK.to_string()),
            ("connector.plugin.version", JAR_FILE_VERSION.to_string()),
            ("file", sunk.display().to_string()),
            ("topics", jar_topic.clone()),
        ],
    );
    for file in [&out, &sunk] {
        wait_until(
            &ferry,
            &format!("every line in {}", file.display()),
            Duration::from_secs(120),
            || {
                let got = read_lines(file);
                if got == all {
                    Ok(())
                } else {
                    Err(format!("{} lines", got.len()))
                }
            },
        );
    }
    let sink_status = wait_running(&ferry, &file_sink, 1, Duration::from_secs(30));
    assert_eq!(
        sink_status["connector"]["version"], JAR_FILE_VERSION,
        "{sink_status}"
    );

    let before = read_lines(&calls);
    assert_eq!(
        before.first().map(String::as_str),
        Some("start"),
        "{before:?}"
    );
    assert_eq!(
        before.get(1),
        Some(&format!("open [{jar_topic}-0]")),
        "{before:?}"
    );
    let put: usize = before
        .iter()
        .filter_map(|l| l.strip_prefix("put ")?.parse::<usize>().ok())
        .sum();
    assert_eq!(put, all.len(), "put got every record once: {before:?}");
    assert!(
        !before.iter().any(|l| l == "stop" || l.starts_with("close")),
        "{before:?}"
    );

    let (code, body) = ferry.call("DELETE", &format!("/connectors/{sink}"), None);
    assert_eq!(code, 204, "{body}");
    let after = wait_until(
        &ferry,
        "close and stop in the call log",
        Duration::from_secs(60),
        || {
            let l = read_lines(&calls);
            if l.last().map(String::as_str) == Some("stop") {
                Ok(l)
            } else {
                Err(format!("{:?}", &l[l.len().saturating_sub(5)..]))
            }
        },
    );
    assert_eq!(
        &after[after.len() - 2..],
        [format!("close [{jar_topic}-0]"), "stop".to_string()],
        "{after:?}"
    );
}

#[test]
fn a_sink_task_that_refuses_a_record_fails_with_the_java_trace() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("java-refuse");
    broker.create_topic(&topic, 1);
    let values: Vec<String> = ["a", "b", "poison", "c"].map(String::from).to_vec();
    broker.produce(&topic, &values);
    let ferry = start_java(&broker, dir.path(), &[]);
    let name = unique("recording-refuse");
    let out = dir.path().join("recorded.txt");
    create_connector(
        &ferry,
        &recording_sink(&name, &topic, &out, &[("fail.on.value", "poison")]),
    );
    let status = wait_task_state(&ferry, &name, 0, "FAILED", Duration::from_secs(120));
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("org.apache.kafka.connect.errors.ConnectException: refusing poison"),
        "{status}"
    );
    assert!(
        trace.contains("at com.example.connect.RecordingSinkTask.put("),
        "{status}"
    );
    assert_eq!(status["connector"]["state"], "RUNNING", "{status}");
    assert_eq!(
        read_lines(&out),
        ["a", "b"],
        "the records before the refused one"
    );
}

#[test]
fn a_worker_without_plugin_path_never_starts_a_jvm() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("java-none");
    broker.create_topic(&topic, 1);
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    let all = lines("native", 2000);
    append_lines(&input, &all);
    let worker = Ferry::worker_props(&broker, dir.path(), free_port());
    assert!(!worker.iter().any(|(k, _)| *k == "plugin.path"));
    let source = vec![
        ("name", unique("native-src")),
        ("connector.class", "FileStreamSource".to_string()),
        ("file", input.display().to_string()),
        ("topic", topic.clone()),
    ];
    let sink = vec![
        ("name", unique("native-sink")),
        ("connector.class", "FileStreamSink".to_string()),
        ("file", output.display().to_string()),
        ("topics", topic.clone()),
    ];
    let ferry = Ferry::start(dir.path(), &worker, &[source, sink]);
    let pid = worker_pid(&ferry).expect("the worker's pid");
    let mut samples = 0;
    let check = |samples: &mut usize| {
        let jvms = java_descendants(pid);
        assert!(
            jvms.is_empty(),
            "a worker with only native connectors started {jvms:?}"
        );
        *samples += 1;
    };
    check(&mut samples);
    // Listing plugins, status and config of native connectors need no JVM either.
    assert_eq!(ferry.get("/connector-plugins").0, 200);
    check(&mut samples);
    wait_for(
        "every line in the sink file",
        Duration::from_secs(60),
        || {
            check(&mut samples);
            (read_lines(&output).len() == all.len()).then_some(())
        },
    );
    for _ in 0..20 {
        check(&mut samples);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(descendants(pid).iter().all(|p| !p.is_java()));
    println!("{samples} looks at the process tree, no JVM");
}
