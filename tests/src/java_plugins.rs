//! Java plugins from `plugin.path`, run by ferry through its Java plugin host: the custom test
//! connectors of `tests/java/` compiled and packed as a user would ship them, the worker
//! properties that point at them, and what a test needs to look at the processes and topics.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::ClientConfig;

use crate::{kafka_plugins, unique, Broker, Ferry};

/// The custom source of `tests/java/`: counts, see `CountingSourceConnector.java`.
pub const COUNTING_SOURCE: &str = "com.example.connect.CountingSourceConnector";
/// The custom sink of `tests/java/`: records values and calls, see `RecordingSinkConnector.java`.
pub const RECORDING_SINK: &str = "com.example.connect.RecordingSinkConnector";
/// The version both custom connectors report.
pub const CUSTOM_VERSION: &str = "1.2.3";
/// Kafka's FileStream connectors, built into ferry and also in connect-file's jar.
pub const FILE_SOURCE: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";
pub const FILE_SINK: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";
/// The version of ferry's built-in FileStream connectors, and of connect-file's jar on Kafka
/// 4.4.0 (it reports the kafka-clients version it runs with).
pub const BUILTIN_VERSION: &str = "0.1.0";
pub const JAR_FILE_VERSION: &str = "4.4.0";
pub const STRING_CONVERTER: &str = "org.apache.kafka.connect.storage.StringConverter";

/// The built Java plugin host folder (`FERRY_JAVA_HOST`), which ferry's children inherit.
pub fn java_host() -> PathBuf {
    let Some(dir) = std::env::var_os("FERRY_JAVA_HOST").map(PathBuf::from) else {
        panic!(
            "FERRY_JAVA_HOST is not set: the Java plugin tests need the built plugin host. Build it \
             and export its folder with `. scripts/lib.sh; ensure_java_host` (scripts/test.sh does)"
        );
    };
    assert!(
        dir.is_dir(),
        "FERRY_JAVA_HOST={} is not a folder: build the host again with \
         `. scripts/lib.sh; ensure_java_host`",
        dir.display()
    );
    dir
}

/// Apache Kafka's jars (`KAFKA_LIBS`, else `~/.cache/ferry/kafka-4.4.0/libs`, as `scripts/lib.sh`).
pub fn kafka_libs() -> PathBuf {
    std::env::var_os("KAFKA_LIBS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/ferry/kafka-4.4.0/libs")
        })
}

/// The sources of the custom connectors (`tests/java/custom-connectors`).
fn custom_sources() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("java/custom-connectors")
}

/// Every file under `dir`, as paths relative to it, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).expect("under dir").to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// FNV-1a, to name a build after its sources (stable across runs and Rust versions).
fn fnv(hash: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *hash ^= u64::from(*b);
        *hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
}

fn run(command: &mut Command) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e} (scripts/test.sh installs a JDK)"));
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The folder of plugin folders holding `custom-connectors/custom-connectors.jar`: the sources
/// of `tests/java/custom-connectors` compiled with `javac --release 17` against Kafka's
/// connect-api and kafka-clients 4.4.0 jars, with their `META-INF/services` entries. Built once
/// per test process, into a folder of the temp dir named after a hash of the sources (so
/// processes running the same sources share one build; the build is renamed into place whole).
pub fn custom_plugins() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(build_custom_plugins).clone()
}

/// The custom connectors' jar.
pub fn custom_jar() -> PathBuf {
    custom_plugins().join("custom-connectors/custom-connectors.jar")
}

fn build_custom_plugins() -> PathBuf {
    let src = custom_sources();
    let files = files_under(&src);
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for f in &files {
        fnv(&mut hash, f.to_string_lossy().as_bytes());
        fnv(
            &mut hash,
            &std::fs::read(src.join(f)).expect("read a source"),
        );
    }
    let root = std::env::temp_dir().join(format!("ferry-e2e-java-{hash:016x}"));
    let plugins = root.join("plugins");
    let jar_path = plugins.join("custom-connectors/custom-connectors.jar");
    if jar_path.is_file() {
        return plugins;
    }

    let libs = kafka_libs();
    let classpath: Vec<PathBuf> = ["connect-api-4.4.0.jar", "kafka-clients-4.4.0.jar"]
        .iter()
        .map(|j| libs.join(j))
        .collect();
    for j in &classpath {
        assert!(
            j.is_file(),
            "{} is missing: Kafka's jars are fetched by `. scripts/lib.sh; ensure_kafka` \
             (scripts/test.sh does)",
            j.display()
        );
    }
    let stage = tempfile::Builder::new()
        .prefix("ferry-e2e-java-build")
        .tempdir_in(std::env::temp_dir())
        .expect("temp dir");
    let classes = stage.path().join("classes");
    std::fs::create_dir_all(&classes).expect("classes dir");
    let sources: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "java"))
        .map(|f| src.join(f))
        .collect();
    assert!(!sources.is_empty(), "no Java sources in {}", src.display());
    run(Command::new("javac")
        .args(["--release", "17", "-nowarn", "-encoding", "UTF-8", "-d"])
        .arg(&classes)
        .arg("-cp")
        .arg(std::env::join_paths(&classpath).expect("classpath"))
        .args(&sources));
    let out = stage.path().join("out");
    let staged_jar = out.join("plugins/custom-connectors/custom-connectors.jar");
    std::fs::create_dir_all(staged_jar.parent().unwrap()).expect("plugin folder");
    run(Command::new("jar")
        .arg("cf")
        .arg(&staged_jar)
        .arg("-C")
        .arg(&classes)
        .arg(".")
        .arg("-C")
        .arg(&src)
        .arg("META-INF"));
    // Another process may have finished the same build first: either copy is good.
    if std::fs::rename(&out, &root).is_err() {
        assert!(
            jar_path.is_file(),
            "cannot move the custom connectors' build to {}",
            root.display()
        );
    }
    plugins
}

/// `plugin.path` with Kafka's connect-file plugin folder and the custom connectors' folder
/// (two folders of plugin folders).
pub fn plugin_path() -> String {
    format!(
        "{},{}",
        kafka_plugins().display(),
        custom_plugins().display()
    )
}

/// The test worker properties (`Ferry::worker_props`) with `plugin.path` (see `plugin_path`)
/// and `plugin.discovery=service_load`. Panics when no Java plugin host is built.
pub fn java_worker_props(
    broker: &Broker,
    dir: &Path,
    rest_port: u16,
) -> Vec<(&'static str, String)> {
    java_host();
    let mut props = Ferry::worker_props(broker, dir, rest_port);
    props.extend(java_worker_extra());
    props
}

/// The worker properties a worker needs for the Java plugins of the tests (for a cluster).
pub fn java_worker_extra() -> Vec<(&'static str, String)> {
    java_host();
    vec![
        ("plugin.path", plugin_path()),
        ("plugin.discovery", "service_load".to_string()),
    ]
}

/// A connector config of the counting source writing to `topic`, with string converters; `extra`
/// keys are added or replace these.
pub fn counting_source(
    name: &str,
    topic: &str,
    extra: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    with_extra(
        vec![
            ("name", name.to_string()),
            ("connector.class", COUNTING_SOURCE.to_string()),
            ("topic", topic.to_string()),
            ("key.converter", STRING_CONVERTER.to_string()),
            ("value.converter", STRING_CONVERTER.to_string()),
        ],
        extra,
    )
}

/// A connector config of the recording sink reading `topic` into `file`, with string converters.
pub fn recording_sink(
    name: &str,
    topic: &str,
    file: &Path,
    extra: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    with_extra(
        vec![
            ("name", name.to_string()),
            ("connector.class", RECORDING_SINK.to_string()),
            ("topics", topic.to_string()),
            ("file", file.display().to_string()),
            ("key.converter", STRING_CONVERTER.to_string()),
            ("value.converter", STRING_CONVERTER.to_string()),
        ],
        extra,
    )
}

fn with_extra(
    mut config: Vec<(&'static str, String)>,
    extra: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    for (key, value) in extra {
        match config.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value.to_string(),
            None => config.push((key, value.to_string())),
        }
    }
    config
}

/// A connector config as the JSON body of `POST /connectors`.
pub fn create_body(config: &[(&'static str, String)]) -> serde_json::Value {
    let name = config
        .iter()
        .find(|(k, _)| *k == "name")
        .map(|(_, v)| v.clone())
        .expect("a connector config has a name");
    let map: serde_json::Map<String, serde_json::Value> = config
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::json!({"name": name, "config": map})
}

/// The pid of a running worker started by the harness, found by its worker file on its command
/// line.
pub fn worker_pid(worker: &Ferry) -> Option<u32> {
    let file = worker.worker_file.display().to_string();
    processes().into_iter().find_map(|p| {
        let is_worker = p
            .args
            .get(1)
            .is_some_and(|m| m == "standalone" || m == "distributed")
            && p.args.contains(&file);
        is_worker.then_some(p.pid)
    })
}

/// A process as `/proc` shows it.
#[derive(Clone, Debug)]
pub struct Process {
    pub pid: u32,
    pub ppid: u32,
    /// `comm`: the executable's name, at most 15 bytes.
    pub comm: String,
    pub args: Vec<String>,
}

impl Process {
    /// Runs a JVM (`java`, by name or first argument).
    pub fn is_java(&self) -> bool {
        self.comm == "java"
            || self
                .args
                .first()
                .is_some_and(|a| a == "java" || a.ends_with("/java"))
    }
}

/// Every process `/proc` lists now (those that vanish while read are skipped).
pub fn processes() -> Vec<Process> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...; comm may hold spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_string();
        let Some(ppid) = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
        else {
            continue;
        };
        let args = std::fs::read(entry.path().join("cmdline"))
            .map(|b| {
                b.split(|c| *c == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect()
            })
            .unwrap_or_default();
        out.push(Process {
            pid,
            ppid,
            comm,
            args,
        });
    }
    out
}

/// Every descendant of `pid` (children, their children, ...) now.
pub fn descendants(pid: u32) -> Vec<Process> {
    let all = processes();
    let mut by_parent: HashMap<u32, Vec<&Process>> = HashMap::new();
    for p in &all {
        by_parent.entry(p.ppid).or_default().push(p);
    }
    let mut out = Vec::new();
    let mut stack = vec![pid];
    while let Some(parent) = stack.pop() {
        for child in by_parent.get(&parent).into_iter().flatten() {
            stack.push(child.pid);
            out.push((*child).clone());
        }
    }
    out
}

/// The JVMs among the descendants of `pid`.
pub fn java_descendants(pid: u32) -> Vec<Process> {
    descendants(pid)
        .into_iter()
        .filter(Process::is_java)
        .collect()
}

/// Whether a process is alive (and not a zombie).
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let close = s.rfind(')')?;
            s[close + 1..].split_whitespace().next().map(|st| st != "Z")
        })
        .unwrap_or(false)
}

/// Every record of `topic` (all its partitions) as (key, value) text, read from the beginning by
/// an independent consumer until every key of `expected` has been seen and the end of every
/// partition reached, or `timeout` passes: duplicates show.
pub fn keyed_records_to_end(
    broker: &Broker,
    topic: &str,
    expected: &BTreeSet<String>,
    timeout: Duration,
) -> Vec<(String, String)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &broker.address)
        .set("group.id", unique("e2e-java-check"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let mut missing: BTreeSet<&String> = expected.iter().collect();
    let mut records = Vec::new();
    let mut next_offsets: BTreeMap<i32, i64> = BTreeMap::new();
    let deadline = Instant::now() + timeout;
    let text = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
    while Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            let key = text(m.key()).unwrap_or_default();
            missing.remove(&key);
            records.push((key, text(m.payload()).unwrap_or_default()));
            next_offsets.insert(m.partition(), m.offset() + 1);
            continue;
        }
        if missing.is_empty() && at_end(&consumer, topic, &next_offsets) {
            break;
        }
    }
    records
}

/// Whether every partition of `topic` has been read up to its high watermark.
fn at_end(consumer: &BaseConsumer, topic: &str, next_offsets: &BTreeMap<i32, i64>) -> bool {
    let Ok(metadata) = consumer.fetch_metadata(Some(topic), Duration::from_secs(5)) else {
        return false;
    };
    let Some(t) = metadata.topics().iter().find(|t| t.name() == topic) else {
        return false;
    };
    t.partitions().iter().all(|p| {
        consumer
            .fetch_watermarks(topic, p.id(), Duration::from_secs(5))
            .is_ok_and(|(low, high)| next_offsets.get(&p.id()).copied().unwrap_or(low) >= high)
    })
}

/// The keys `p<P>-<n>` the counting source writes for partitions `partitions` and n in `0..count`.
pub fn counting_keys(partitions: std::ops::Range<i64>, count: i64) -> BTreeSet<String> {
    partitions
        .flat_map(|p| (0..count).map(move |n| format!("p{p}-{n}")))
        .collect()
}

/// The `[connector, {"p": P}]` key under which the standalone offsets file keeps a counting
/// source's offset.
pub fn counting_offset_key(connector: &str, partition: i64) -> String {
    serde_json::json!([connector, {"p": partition}]).to_string()
}

/// The committed `n` of a counting source's partition in the standalone offsets file.
pub fn committed_n(worker: &Ferry, connector: &str, partition: i64) -> Option<i64> {
    worker
        .offsets_file()
        .get(&counting_offset_key(connector, partition))?["n"]
        .as_i64()
}

/// The last `n` lines of everything a worker printed.
pub fn output_tail(worker: &Ferry, n: usize) -> String {
    let out = worker.output();
    let lines: Vec<&str> = out.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Polls `check` every 100 ms until it returns `Ok`; after `timeout` panics with `what`, the last
/// `Err` it gave (what was seen instead) and the end of the worker's output.
pub fn wait_until<T>(
    worker: &Ferry,
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        let seen = match check() {
            Ok(v) => return v,
            Err(seen) => seen,
        };
        if Instant::now() >= deadline {
            panic!(
                "timed out after {timeout:?} waiting for {what}; last seen: {seen}\n\
                 ----- end of the worker's output -----\n{}",
                output_tail(worker, 150)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `GET /connectors/NAME/status`.
pub fn connector_status(worker: &Ferry, name: &str) -> serde_json::Value {
    worker.get(&format!("/connectors/{name}/status")).1
}

/// Waits until task `task` of `name` is in `state`; returns the whole status.
pub fn wait_task_state(
    worker: &Ferry,
    name: &str,
    task: usize,
    state: &str,
    timeout: Duration,
) -> serde_json::Value {
    wait_until(
        worker,
        &format!("task {task} of {name} to be {state}"),
        timeout,
        || {
            let s = connector_status(worker, name);
            if s["tasks"][task]["state"] == state {
                Ok(s)
            } else {
                Err(s.to_string())
            }
        },
    )
}

/// Waits until `name` and exactly `tasks` tasks are RUNNING; returns the status.
pub fn wait_running(
    worker: &Ferry,
    name: &str,
    tasks: usize,
    timeout: Duration,
) -> serde_json::Value {
    wait_until(
        worker,
        &format!("{name} and its {tasks} task(s) to be RUNNING"),
        timeout,
        || {
            let s = connector_status(worker, name);
            if crate::cluster::all_running(&s, tasks) {
                Ok(s)
            } else {
                Err(s.to_string())
            }
        },
    )
}

/// `POST /connectors` of a connector config; asserts 201.
pub fn create_connector(worker: &Ferry, config: &[(&'static str, String)]) {
    let (code, body) = worker.call_retrying("POST", "/connectors", Some(create_body(config)));
    assert_eq!(
        code,
        201,
        "creating {config:?} answered {body}\n----- end of the worker's output -----\n{}",
        output_tail(worker, 100)
    );
}
