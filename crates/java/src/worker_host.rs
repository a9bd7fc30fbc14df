//! The worker's plugin host: one JVM for every Java connector and task of this worker, started
//! on first use and started again on the next use after it died.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferry_api::Props;
use serde_json::{json, Value};

use crate::error::HostError;
use crate::host::{HostEnd, HostProcess, HostSettings};
use crate::lane::{Lane, LaneHandler, NoQuestions};
use crate::wire::msg;

/// Kafka's REST timeout, for the host's answers about configurations.
pub const CONFIG_CALL_TIMEOUT: Duration = Duration::from_secs(90);

pub struct WorkerHost {
    settings: Result<HostSettings, String>,
    /// The worker's configuration, sent with a connection's first message: the host builds its
    /// plugin loaders from `plugin.path` and `plugin.discovery`, and takes the worker's
    /// converters as defaults.
    worker: Props,
    process: Mutex<Option<Arc<HostProcess>>>,
    describe_cache: Mutex<HashMap<(String, Option<String>), Value>>,
    /// Recent host deaths nothing explains (pid, when), for the restart budget.
    unexplained_deaths: Mutex<Vec<(u32, Instant)>>,
}

/// More unexplained host deaths than this within [`DEATH_WINDOW`] and Java work is no longer
/// started again on its own: the JVM keeps dying, and a FAILED status with the reason says more
/// than a loop.
const DEATH_BUDGET: usize = 3;
const DEATH_WINDOW: Duration = Duration::from_secs(600);

/// Checks that the host speaks this protocol version (a stale build in `FERRY_JAVA_HOST`
/// would not).
fn greet(host: &Arc<HostProcess>) -> Result<(), HostError> {
    let lane = host.connect("hello", Arc::new(NoQuestions))?;
    let reply = lane.call(msg::HELLO, &[], Some(CONFIG_CALL_TIMEOUT))?;
    let hello: Value = serde_json::from_slice(&reply).unwrap_or(Value::Null);
    let protocol = hello.get("protocol").and_then(Value::as_u64);
    if protocol != Some(crate::wire::PROTOCOL) {
        host.kill();
        return Err(HostError::Host(format!(
            "the plugin host in FERRY_JAVA_HOST speaks protocol {protocol:?}, ferry speaks {}: \
             rebuild it with `. scripts/lib.sh; ensure_java_host`",
            crate::wire::PROTOCOL
        )));
    }
    let java = hello
        .get("java_version")
        .and_then(Value::as_str)
        .unwrap_or("?");
    tracing::info!(
        pid = host.pid(),
        java,
        "the Java plugin host speaks ferry's protocol"
    );
    Ok(())
}

impl WorkerHost {
    pub fn new(settings: Result<HostSettings, String>, worker: Props) -> WorkerHost {
        WorkerHost {
            settings,
            worker,
            process: Mutex::new(None),
            describe_cache: Mutex::new(HashMap::new()),
            unexplained_deaths: Mutex::new(Vec::new()),
        }
    }

    /// Whether `connector`'s Java work may start again on a new host after the host ended as
    /// `end` says: not when its own code brought the host down (`System.exit`, a crash in its
    /// thread); otherwise yes, unless the host died unexplained too often lately.
    pub fn may_recover(&self, end: &HostEnd, connector: &str) -> bool {
        if let Some(culprit) = end.culprit_connector() {
            return culprit != connector;
        }
        let mut deaths = self
            .unexplained_deaths
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        deaths.retain(|(_, when)| when.elapsed() < DEATH_WINDOW);
        if !deaths.iter().any(|(pid, _)| *pid == end.pid) {
            deaths.push((end.pid, Instant::now()));
        }
        deaths.len() <= DEATH_BUDGET
    }

    pub fn worker_config(&self) -> &Props {
        &self.worker
    }

    fn process(&self) -> Result<Arc<HostProcess>, HostError> {
        let mut process = self.process.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = process.as_ref().filter(|p| p.is_alive()) {
            return Ok(p.clone());
        }
        let settings = self
            .settings
            .as_ref()
            .map_err(|e| HostError::Host(e.clone()))?;
        let started = HostProcess::spawn(settings, "to run Java plugins")?;
        greet(&started)?;
        *process = Some(started.clone());
        Ok(started)
    }

    /// A new connection to the host (starting it if needed).
    pub fn lane(&self, name: &str, handler: Arc<dyn LaneHandler>) -> Result<Lane, HostError> {
        self.process()?.connect(name, handler)
    }

    /// The pid of the running host, if one runs.
    pub fn pid(&self) -> Option<u32> {
        let process = self.process.lock().unwrap_or_else(|p| p.into_inner());
        process.as_ref().filter(|p| p.is_alive()).map(|p| p.pid())
    }

    /// A first message's body: `fields` plus the worker's configuration.
    pub fn first_message(&self, mut fields: Value) -> Vec<u8> {
        if let Value::Object(map) = &mut fields {
            map.insert("worker".into(), json!(self.worker));
        }
        fields.to_string().into_bytes()
    }

    /// A one-off question on a fresh lane.
    pub fn ask(&self, ty: u16, fields: Value) -> Result<Value, HostError> {
        let lane = self.lane("host-request", Arc::new(NoQuestions))?;
        let reply = lane.call(ty, &self.first_message(fields), Some(CONFIG_CALL_TIMEOUT))?;
        serde_json::from_slice(&reply)
            .map_err(|e| HostError::Host(format!("the plugin host's answer is not JSON: {e}")))
    }

    /// A connector's definition (`Describe`), asked once per class and version.
    pub fn describe(&self, class: &str, version: Option<&str>) -> Result<Value, HostError> {
        let key = (class.to_string(), version.map(str::to_string));
        if let Some(hit) = self
            .describe_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(hit.clone());
        }
        let answer = self.ask(msg::DESCRIBE, json!({"class": class, "version": version}))?;
        self.describe_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, answer.clone());
        Ok(answer)
    }
}
