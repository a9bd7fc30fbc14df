//! Helpers for the end-to-end tests: Apache Kafka, the ferry binary as a child process, an
//! independent Kafka client (plain rdkafka, not ferry's code) and a small HTTP client.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::ClientConfig;

pub use serde_json::Value as Json;

pub mod cluster;
pub mod file_source;
pub mod java_offsets;
pub mod java_plugins;
pub mod mysql;
pub mod postgres;
pub use mysql::MySql;
pub use postgres::Postgres;

/// Polls `check` every 100 ms until it returns `Some`, or panics after `timeout` with `what`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

/// Apache Kafka for a test: the shared single node that `scripts/test.sh` starts
/// (`FERRY_TEST_BROKER`), or nodes of this test's own, started with `scripts/kafka/broker.sh`
/// (KRaft, each node broker and controller) so that the test can stop, kill and restart them.
/// A record as an independent consumer read it: key, value and headers as text.
pub struct ConsumedRecord {
    pub key: Option<String>,
    pub value: Option<String>,
    pub headers: Vec<(String, Option<String>)>,
}

pub struct Broker {
    pub address: String,
    nodes: Vec<Node>,
    _dir: Option<tempfile::TempDir>,
}

/// One Kafka process of a private broker.
struct Node {
    id: usize,
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Broker {
    /// The shared broker if there is one, else a private one.
    pub fn shared() -> Broker {
        match std::env::var("FERRY_TEST_BROKER") {
            Ok(address) => Broker {
                address,
                nodes: Vec::new(),
                _dir: None,
            },
            Err(_) => Broker::private(),
        }
    }

    /// A single node of this test's own, with its data on disk, so it can be stopped and restarted.
    pub fn private() -> Broker {
        Broker::cluster(1)
    }

    /// `n` nodes of this test's own in one cluster; topics get replication factor `n`.
    pub fn cluster(n: usize) -> Broker {
        let dir = tempfile::tempdir().expect("temp dir");
        let ports: Vec<(u16, u16)> = (0..n).map(|_| (free_port(), free_port())).collect();
        let voters = ports
            .iter()
            .enumerate()
            .map(|(i, (_, cport))| format!("{}@127.0.0.1:{cport}", i + 1))
            .collect::<Vec<_>>()
            .join(",");
        let cluster_id = kafka_cluster_id();
        let mut nodes: Vec<Node> = ports
            .iter()
            .enumerate()
            .map(|(i, (port, _))| Node {
                id: i + 1,
                port: *port,
                dir: dir.path().join(format!("node-{}", i + 1)),
                child: None,
            })
            .collect();
        for node in &mut nodes {
            node.spawn(&voters, &cluster_id);
        }
        for node in &nodes {
            node.wait_started(1);
        }
        let address = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect::<Vec<_>>()
            .join(",");
        let broker = Broker {
            address,
            nodes,
            _dir: Some(dir),
        };
        // Voters stay in the properties each node wrote; a restart reuses them.
        std::fs::write(broker.voters_file(), voters).expect("voters file");
        broker
    }

    fn voters_file(&self) -> PathBuf {
        self._dir
            .as_ref()
            .map(|d| d.path().join("voters"))
            .expect("only a private broker has nodes")
    }

    /// Stops every node of a private broker gracefully (its data stays on disk).
    pub fn stop(&mut self) {
        for node in &mut self.nodes {
            node.signal("-TERM");
        }
        for node in &mut self.nodes {
            node.wait_exit();
        }
    }

    /// Starts the stopped nodes of a private broker again, on the same ports and data.
    pub fn restart(&mut self) {
        for i in 0..self.nodes.len() {
            if self.nodes[i].child.is_none() {
                self.start_node(i);
            }
        }
    }

    /// `kill -9` of one node (0-based) of a private broker.
    pub fn kill_node(&mut self, index: usize) {
        let node = &mut self.nodes[index];
        node.signal("-KILL");
        node.wait_exit();
    }

    /// Starts one stopped or killed node (0-based) again and waits until it says it started.
    pub fn start_node(&mut self, index: usize) {
        let voters = std::fs::read_to_string(self.voters_file()).expect("voters file");
        let node = &mut self.nodes[index];
        let starts = node.starts();
        node.spawn(&voters, "");
        node.wait_started(starts + 1);
    }

    /// How many nodes this broker has (1 for the shared one).
    pub fn replication(&self) -> i32 {
        self.nodes.len().max(1) as i32
    }

    pub fn create_topic(&self, topic: &str, partitions: i32) {
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", &self.address)
            .create()
            .expect("admin client");
        let replication = self.replication();
        let rt = std::thread::spawn({
            let topic = topic.to_string();
            move || {
                let new_topic =
                    NewTopic::new(&topic, partitions, TopicReplication::Fixed(replication));
                let fut = admin.create_topics([&new_topic], &AdminOptions::new());
                block_on(fut)
            }
        });
        let result = rt.join().expect("admin thread").expect("create topic");
        for r in result {
            if let Err((t, code)) = r {
                assert_eq!(
                    code,
                    rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists,
                    "create {t}"
                );
            }
        }
    }

    /// Every value of `topic`, read from the beginning by a fresh consumer group, until `expected`
    /// values are read or `timeout` passes.
    pub fn consume(&self, topic: &str, expected: usize, timeout: Duration) -> Vec<String> {
        self.consume_records(topic, expected, timeout)
            .into_iter()
            .map(|(_, value)| value.unwrap_or_default())
            .collect()
    }

    /// Keys and values (as text; `None` for a null) of every record of `topic`, from the
    /// beginning, until `expected` are read or `timeout` passes.
    pub fn consume_records(
        &self,
        topic: &str,
        expected: usize,
        timeout: Duration,
    ) -> Vec<(Option<String>, Option<String>)> {
        self.consume_with_headers(topic, expected, timeout)
            .into_iter()
            .map(|r| (r.key, r.value))
            .collect()
    }

    /// Every record of `topic` with its headers, from the beginning, until `expected` are read
    /// or `timeout` passes.
    pub fn consume_with_headers(
        &self,
        topic: &str,
        expected: usize,
        timeout: Duration,
    ) -> Vec<ConsumedRecord> {
        let group = format!("e2e-records-{}-{}", topic, std::process::id());
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.address)
            .set("group.id", &group)
            .set("auto.offset.reset", "earliest")
            .set("enable.auto.commit", "false")
            .create()
            .expect("consumer");
        consumer.subscribe(&[topic]).expect("subscribe");
        let deadline = Instant::now() + timeout;
        let mut records = Vec::new();
        while records.len() < expected && Instant::now() < deadline {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
                let text = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
                let headers = m
                    .headers()
                    .map(|hs| {
                        hs.iter()
                            .map(|h| (h.key.to_string(), text(h.value)))
                            .collect()
                    })
                    .unwrap_or_default();
                records.push(ConsumedRecord {
                    key: text(m.key()),
                    value: text(m.payload()),
                    headers,
                });
            }
        }
        records
    }

    /// Every value of a one-partition `topic`, read from the beginning by an independent
    /// consumer (plain rdkafka, its own group) until each of `expected` has been seen and the end
    /// of the partition reached, or `timeout` passes: duplicates show.
    pub fn values_to_end(
        &self,
        topic: &str,
        expected: &[String],
        timeout: Duration,
    ) -> Vec<String> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.address)
            .set("group.id", unique("e2e-check"))
            .set("auto.offset.reset", "earliest")
            .set("enable.auto.commit", "false")
            .create()
            .expect("consumer");
        consumer.subscribe(&[topic]).expect("subscribe");
        let mut missing: HashSet<&String> = expected.iter().collect();
        let mut values = Vec::new();
        let mut next_offset = 0i64;
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
                let value = String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned();
                missing.remove(&value);
                values.push(value);
                next_offset = m.offset() + 1;
            }
            if missing.is_empty() {
                if let Ok((_, high)) = consumer.fetch_watermarks(topic, 0, Duration::from_secs(5)) {
                    if next_offset >= high {
                        break;
                    }
                }
            }
        }
        values
    }

    pub fn produce(&self, topic: &str, values: &[String]) {
        let producer: BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", &self.address)
            .create()
            .expect("producer");
        for v in values {
            let mut record = BaseRecord::<(), str>::to(topic).payload(v.as_str());
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((_, back)) => {
                        record = back;
                        producer.poll(Duration::from_millis(10));
                    }
                }
            }
        }
        producer.flush(Duration::from_secs(30)).expect("flush");
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.signal("-KILL");
            node.wait_exit();
        }
    }
}

impl Node {
    fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// How many times this node has said it started.
    fn starts(&self) -> usize {
        std::fs::read_to_string(self.log())
            .map(|l| l.matches("Kafka Server started").count())
            .unwrap_or(0)
    }

    fn spawn(&mut self, voters: &str, cluster_id: &str) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/kafka/broker.sh");
        let child = Command::new(script)
            .arg(&self.dir)
            .arg(self.id.to_string())
            .arg(self.port.to_string())
            .arg(voters)
            .arg(cluster_id)
            .stdin(Stdio::null())
            .spawn()
            .expect("cannot run scripts/kafka/broker.sh");
        self.child = Some(child);
    }

    fn wait_started(&self, starts: usize) {
        let what = format!(
            "Kafka node {} to start (log: {})",
            self.id,
            self.log().display()
        );
        wait_for(&what, Duration::from_secs(120), || {
            (self.starts() >= starts).then_some(())
        });
    }

    fn signal(&mut self, signal: &str) {
        if let Some(c) = &self.child {
            let _ = Command::new("kill")
                .arg(signal)
                .arg(c.id().to_string())
                .status();
        }
    }

    /// Waits for the process to end; a node that ignores SIGTERM for a minute is killed.
    fn wait_exit(&mut self) {
        let Some(mut c) = self.child.take() else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !matches!(c.try_wait(), Ok(Some(_))) {
            if Instant::now() > deadline {
                let _ = c.kill();
                let _ = c.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A new cluster id, from Kafka's own tool (the nodes of one cluster must share it).
fn kafka_cluster_id() -> String {
    let libs = std::env::var("KAFKA_LIBS").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/ferry/kafka-4.4.0/libs")
    });
    let out = Command::new("java")
        .arg("-cp")
        .arg(format!("{libs}/*"))
        .args(["kafka.tools.StorageTool", "random-uuid"])
        .stderr(Stdio::null())
        .output()
        .expect("java, to run Kafka's StorageTool (scripts/test.sh installs it)");
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success() && !id.is_empty(),
        "Kafka's StorageTool gave no cluster id: are its jars in {libs}? (scripts/test.sh fetches them)"
    );
    id
}

/// Drives a future to completion on the current thread (rdkafka's admin futures need no runtime).
pub fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(v) => return v,
            Poll::Pending => std::thread::park_timeout(Duration::from_millis(50)),
        }
    }
}

pub fn ferry_bin() -> PathBuf {
    let path = std::env::var("FERRY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/ferry"));
    assert!(
        path.exists(),
        "{} does not exist: build it first (cargo build -p ferry) or run scripts/test.sh",
        path.display()
    );
    path
}

/// Writes a properties file.
/// The folder on Kafka Connect's `plugin.path` holding the FileStream connectors (filled by
/// `scripts/lib.sh`'s `ensure_connect_file`).
pub fn kafka_plugins() -> PathBuf {
    std::env::var_os("KAFKA_PLUGINS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/ferry/kafka-4.4.0/plugins")
        })
}

pub fn write_properties(path: &Path, props: &[(&str, String)]) {
    let mut f = std::fs::File::create(path).expect("properties file");
    for (k, v) in props {
        writeln!(f, "{k}={v}").expect("write properties");
    }
}

/// Which program a worker runs: ferry, or Apache Kafka Connect 4.4.0 (the reference, started
/// with `scripts/kafka/connect.sh`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Ferry,
    Java,
}

/// A Connect worker running as a child process, in its own directory: ferry, or Kafka Connect.
pub struct Ferry {
    pub kind: Kind,
    child: Option<Child>,
    pub dir: PathBuf,
    pub rest: String,
    pub worker_file: PathBuf,
    connector_files: Vec<PathBuf>,
    runs: usize,
    mode: &'static str,
}

impl Ferry {
    /// The worker properties a test starts from: string converters, fast offset flushes.
    pub fn worker_props(
        broker: &Broker,
        dir: &Path,
        rest_port: u16,
    ) -> Vec<(&'static str, String)> {
        vec![
            ("bootstrap.servers", broker.address.clone()),
            (
                "key.converter",
                "org.apache.kafka.connect.storage.StringConverter".into(),
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.storage.StringConverter".into(),
            ),
            (
                "offset.storage.file.filename",
                dir.join("connect.offsets").display().to_string(),
            ),
            ("offset.flush.interval.ms", "500".into()),
            ("listeners", format!("http://127.0.0.1:{rest_port}")),
        ]
    }

    /// The test worker properties with JsonConverter (schemas on) for keys and values, as
    /// Debezium's users run their workers.
    pub fn json_worker_props(
        broker: &Broker,
        dir: &Path,
        rest_port: u16,
    ) -> Vec<(&'static str, String)> {
        let mut props = Ferry::worker_props(broker, dir, rest_port);
        for (key, value) in props.iter_mut() {
            if key.ends_with(".converter") {
                *value = "org.apache.kafka.connect.json.JsonConverter".into();
            }
        }
        props
    }

    /// Starts `ferry standalone` on `broker` with the test worker properties and no connectors.
    pub fn standalone_on(broker: &Broker, dir: &Path) -> Ferry {
        Ferry::start(dir, &Ferry::worker_props(broker, dir, free_port()), &[])
    }

    /// Starts `ferry standalone` with the given worker properties and connector property sets.
    pub fn start(
        dir: &Path,
        worker: &[(&str, String)],
        connectors: &[Vec<(&str, String)>],
    ) -> Ferry {
        Ferry::start_kind(Kind::Ferry, "standalone", dir, worker, connectors)
    }

    /// Starts `ferry distributed` with the given worker properties.
    pub fn distributed(dir: &Path, worker: &[(&str, String)]) -> Ferry {
        Ferry::start_kind(Kind::Ferry, "distributed", dir, worker, &[])
    }

    /// Starts Apache Kafka Connect's distributed worker with the given worker properties (its
    /// `plugin.path` added: the FileStream connectors).
    pub fn java_distributed(dir: &Path, worker: &[(&str, String)]) -> Ferry {
        Ferry::start_kind(Kind::Java, "distributed", dir, worker, &[])
    }

    /// Starts Apache Kafka Connect's standalone worker, like `start`.
    pub fn java_standalone(
        dir: &Path,
        worker: &[(&str, String)],
        connectors: &[Vec<(&str, String)>],
    ) -> Ferry {
        Ferry::start_kind(Kind::Java, "standalone", dir, worker, connectors)
    }

    /// Starts a worker of either kind, in either mode.
    pub fn start_kind(
        kind: Kind,
        mode: &'static str,
        dir: &Path,
        worker: &[(&str, String)],
        connectors: &[Vec<(&str, String)>],
    ) -> Ferry {
        let mut props = worker.to_vec();
        if kind == Kind::Java && !props.iter().any(|(k, _)| *k == "plugin.path") {
            props.push(("plugin.path", kafka_plugins().display().to_string()));
        }
        let worker_file = dir.join("worker.properties");
        write_properties(&worker_file, &props);
        let connector_files = connectors
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let f = dir.join(format!("connector-{i}.properties"));
                write_properties(&f, c);
                f
            })
            .collect();
        let rest = worker
            .iter()
            .find(|(k, _)| *k == "listeners")
            .map(|(_, v)| v.trim_end_matches('/').to_string())
            .unwrap_or_else(|| "http://127.0.0.1:8083".into());
        let mut worker = Ferry {
            kind,
            child: None,
            dir: dir.to_path_buf(),
            rest,
            worker_file,
            connector_files,
            runs: 0,
            mode,
        };
        worker.launch();
        worker
    }

    fn out_file(&self, run: usize) -> PathBuf {
        let program = match self.kind {
            Kind::Ferry => "ferry",
            Kind::Java => "connect",
        };
        self.dir.join(format!("{program}-{run}.out"))
    }

    fn launch(&mut self) {
        self.runs += 1;
        let out = std::fs::File::create(self.out_file(self.runs)).expect("out file");
        let mut command = match self.kind {
            Kind::Ferry => {
                let mut c = Command::new(ferry_bin());
                c.env("LOG_DIR", self.dir.join("logs"))
                    .env("RUST_LOG", "info");
                c
            }
            Kind::Java => Command::new(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/kafka/connect.sh"),
            ),
        };
        let child = command
            .arg(self.mode)
            .arg(&self.worker_file)
            .args(&self.connector_files)
            .stdin(Stdio::null())
            .stdout(Stdio::from(out.try_clone().expect("out")))
            .stderr(Stdio::from(out))
            .spawn()
            .expect("start the worker");
        self.child = Some(child);
        // Kafka Connect answers on its REST port before its herder is ready; /health (KIP-1017)
        // answers 200 only once it is. ferry is ready when it answers at all.
        let (url, timeout) = match self.kind {
            Kind::Ferry => (format!("{}/", self.rest), Duration::from_secs(60)),
            Kind::Java => (format!("{}/health", self.rest), Duration::from_secs(180)),
        };
        wait_for("the REST API to answer", timeout, || {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "the {:?} worker exited with {status}: {}",
                    self.kind,
                    self.output()
                );
            }
            ureq::get(&url).call().ok().map(|_| ())
        });
    }

    /// Everything the worker printed, across runs.
    pub fn output(&self) -> String {
        (1..=self.runs)
            .map(|i| std::fs::read_to_string(self.out_file(i)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n----- restart -----\n")
    }

    /// `kill -9`: no shutdown hook runs.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait; returns the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let mut c = self.child.take()?;
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(c.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = c.try_wait() {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                panic!(
                    "ferry did not stop within 30 s of SIGTERM: {}",
                    self.output()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn restart(&mut self) {
        self.kill9();
        self.launch();
    }

    /// Starts the worker again after it stopped (or was killed).
    pub fn start_again(&mut self) {
        self.launch();
    }

    /// GET a REST path; returns the status code and the JSON body.
    pub fn get(&self, path: &str) -> (u16, Json) {
        http_get(&format!("{}{}", self.rest, path))
    }

    /// Any method, with an optional JSON body; returns the status code and the JSON body
    /// (`Null` when there is none).
    pub fn call(&self, method: &str, path: &str, body: Option<Json>) -> (u16, Json) {
        http_call(
            method,
            &format!("{}{}", self.rest, path),
            body.map(|b| b.to_string()),
        )
    }

    /// Like `call`, but a 409 (the cluster is rebalancing, as Kafka answers then) is tried again
    /// for up to a minute, as a client of a Kafka Connect cluster must.
    pub fn call_retrying(&self, method: &str, path: &str, body: Option<Json>) -> (u16, Json) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let answer = self.call(method, path, body.clone());
            if answer.0 != 409 || Instant::now() > deadline {
                return answer;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Like `call`, with a raw body (for malformed JSON).
    pub fn call_raw(&self, method: &str, path: &str, body: &str) -> (u16, Json) {
        http_call(
            method,
            &format!("{}{}", self.rest, path),
            Some(body.to_string()),
        )
    }

    /// The standalone offsets file (`connect.offsets`, in Kafka Connect's format): offsets-topic
    /// keys as JSON text, and their values (`Null` for a null one); empty if unreadable.
    pub fn offsets_file(&self) -> BTreeMap<String, Json> {
        std::fs::read(self.dir.join("connect.offsets"))
            .ok()
            .and_then(|b| java_offsets::read(&b))
            .unwrap_or_default()
    }
}

impl Drop for Ferry {
    fn drop(&mut self) {
        self.kill9();
    }
}

pub fn http_call(method: &str, url: &str, body: Option<String>) -> (u16, Json) {
    let request = ureq::request(method, url).set("Content-Type", "application/json");
    let result = match body {
        Some(b) => request.send_string(&b),
        None => request.call(),
    };
    let read = |r: ureq::Response| {
        let text = r.into_string().unwrap_or_default();
        serde_json::from_str(&text).unwrap_or(Json::Null)
    };
    match result {
        Ok(r) => (r.status(), read(r)),
        Err(ureq::Error::Status(code, r)) => (code, read(r)),
        Err(e) => panic!("{method} {url}: {e}"),
    }
}

pub fn http_get(url: &str) -> (u16, Json) {
    match ureq::get(url).call() {
        Ok(r) => (r.status(), r.into_json().unwrap_or(Json::Null)),
        Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap_or(Json::Null)),
        Err(e) => panic!("GET {url}: {e}"),
    }
}

/// Lines of a file (empty when it does not exist).
pub fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|s| s.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

pub fn append_lines(path: &Path, lines: &[String]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("append");
    for l in lines {
        writeln!(f, "{l}").expect("append line");
    }
}

/// A name unique to this test run, for topics and connectors.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{nanos}", std::process::id())
}
