//! The plugin host process: a JVM running `dev.ferry.host.Main`, started when a Java plugin is
//! first used, its output logged, its death noticed and explained.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::HostError;
use crate::lane::{Lane, LaneHandler};

/// How long a starting host has to say it listens.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Lines of the host's output kept to explain its death.
const TAIL_LINES: usize = 50;

/// Where the host and Java are, and the JVM's options, as Kafka's scripts take them.
#[derive(Debug, Clone)]
pub struct HostSettings {
    pub host_dir: PathBuf,
    pub java: PathBuf,
    pub jvm_options: Vec<String>,
}

impl HostSettings {
    /// From the environment: `FERRY_JAVA_HOST` (the built host: `host.jar` and `lib/`),
    /// `JAVA_HOME`, and `KAFKA_HEAP_OPTS`, `KAFKA_JVM_PERFORMANCE_OPTS`, `KAFKA_OPTS` as
    /// `kafka-run-class.sh` reads them.
    pub fn from_env() -> Result<HostSettings, String> {
        let host_dir = std::env::var_os("FERRY_JAVA_HOST")
            .map(PathBuf::from)
            .or_else(beside_the_binary)
            .or_else(newest_built)
            .ok_or_else(|| {
                "running a Java plugin needs ferry's plugin host: set FERRY_JAVA_HOST to its \
                 folder (built by `. scripts/lib.sh; ensure_java_host`)"
                    .to_string()
            })?;
        if !host_dir.join("host.jar").is_file() {
            return Err(format!(
                "FERRY_JAVA_HOST={} has no host.jar: build the plugin host with \
                 `. scripts/lib.sh; ensure_java_host`",
                host_dir.display()
            ));
        }
        let java = std::env::var_os("JAVA_HOME")
            .map(|home| PathBuf::from(home).join("bin/java"))
            .filter(|java| java.is_file())
            .unwrap_or_else(|| PathBuf::from("java"));
        let env_words = |key: &str, default: &str| -> Vec<String> {
            let value = std::env::var(key).unwrap_or_else(|_| default.to_string());
            value.split_whitespace().map(str::to_string).collect()
        };
        // Kafka's defaults, less -Xms so that an idle host stays small.
        let mut jvm_options = env_words("KAFKA_HEAP_OPTS", "-Xmx2G");
        jvm_options.extend(env_words(
            "KAFKA_JVM_PERFORMANCE_OPTS",
            "-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true",
        ));
        jvm_options.extend(env_words("KAFKA_OPTS", ""));
        Ok(HostSettings {
            host_dir,
            java,
            jvm_options,
        })
    }
}

/// A packaged install keeps the host in `../share/ferry/java-host` next to the binary.
fn beside_the_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?.join("share/ferry/java-host");
    dir.join("host.jar").is_file().then_some(dir)
}

/// The newest complete build of `ensure_java_host` under `~/.cache/ferry/java-host/`.
fn newest_built() -> Option<PathBuf> {
    let cache = std::env::var_os("FERRY_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/ferry")))?;
    std::fs::read_dir(cache.join("java-host"))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|dir| dir.join(".complete").is_file() && dir.join("host.jar").is_file())
        .max_by_key(|dir| {
            std::fs::metadata(dir.join(".complete"))
                .and_then(|m| m.modified())
                .ok()
        })
}

/// One running JVM.
pub struct HostProcess {
    pid: u32,
    socket: PathBuf,
    dir: PathBuf,
    ended: Arc<Mutex<Option<String>>>,
    tail: Arc<Mutex<VecDeque<String>>>,
    kill: Arc<AtomicBool>,
}

static HOSTS_STARTED: AtomicU64 = AtomicU64::new(0);

impl HostProcess {
    pub fn spawn(settings: &HostSettings, purpose: &str) -> Result<Arc<HostProcess>, HostError> {
        let fail = |what: String| HostError::Host(what);
        let n = HOSTS_STARTED.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ferry-java-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
        let socket = dir.join("host.sock");
        let classpath = format!(
            "{}:{}",
            settings.host_dir.join("host.jar").display(),
            settings.host_dir.join("lib/*").display()
        );
        let started = Instant::now();
        let mut child = Command::new(&settings.java)
            .args(&settings.jvm_options)
            .arg(format!("-XX:ErrorFile={}/hs_err_%p.log", dir.display()))
            .arg("-cp")
            .arg(&classpath)
            .arg("dev.ferry.host.Main")
            .arg("--socket")
            .arg(&socket)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                fail(format!(
                    "cannot start the Java plugin host with {}: {e} (is Java 17 or later \
                     installed, or JAVA_HOME set?)",
                    settings.java.display()
                ))
            })?;
        let pid = child.id();
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(stderr) = child.stderr.take() {
            log_lines(stderr, tail.clone(), pid);
        }
        let ready = child
            .stdout
            .take()
            .map(|stdout| wait_ready(stdout, tail.clone(), pid));
        let host = Arc::new(HostProcess {
            pid,
            socket,
            dir,
            ended: Arc::new(Mutex::new(None)),
            tail,
            kill: Arc::new(AtomicBool::new(false)),
        });
        host.watch(child);
        let ready = ready.map(|rx| rx.recv_timeout(START_TIMEOUT));
        if !matches!(ready, Some(Ok(()))) {
            host.kill();
            std::thread::sleep(Duration::from_millis(200));
            let what = match host.end_after(Duration::from_secs(1)) {
                Some(end) => format!("the Java plugin host ended while starting: {}", end.text),
                None => format!(
                    "the Java plugin host did not start within {} s",
                    START_TIMEOUT.as_secs()
                ),
            };
            return Err(fail(what));
        }
        tracing::info!(
            pid,
            purpose,
            millis = started.elapsed().as_millis() as u64,
            "the Java plugin host is up"
        );
        Ok(host)
    }

    /// Reaps the child on a thread of its own and records how it ended.
    fn watch(&self, mut child: Child) {
        let ended = self.ended.clone();
        let kill = self.kill.clone();
        let pid = self.pid;
        let _ = std::thread::Builder::new()
            .name("java-host-watch".into())
            .spawn(move || {
                // Keeping stdin open keeps the host alive; it exits when ferry does.
                let _stdin = child.stdin.take();
                loop {
                    if kill.load(Ordering::Relaxed) {
                        let _ = child.kill();
                    }
                    match child.try_wait() {
                        Ok(Some(status)) => {
                            let how = status.to_string();
                            tracing::warn!(pid, %how, "the Java plugin host ended");
                            *ended.lock().unwrap_or_else(|p| p.into_inner()) = Some(how);
                            return;
                        }
                        Ok(None) => std::thread::sleep(Duration::from_millis(100)),
                        Err(e) => {
                            *ended.lock().unwrap_or_else(|p| p.into_inner()) =
                                Some(format!("lost track of it: {e}"));
                            return;
                        }
                    }
                }
            });
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn is_alive(&self) -> bool {
        self.ended
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }

    pub fn kill(&self) {
        self.kill.store(true, Ordering::Relaxed);
    }

    /// Opens a lane to the host.
    pub fn connect(
        self: &Arc<Self>,
        name: &str,
        handler: Arc<dyn LaneHandler>,
    ) -> Result<Lane, HostError> {
        let socket = UnixStream::connect(&self.socket).map_err(|e| {
            HostError::Host(format!(
                "cannot connect to the Java plugin host: {e}; {}",
                self.why_ended()
            ))
        })?;
        let host = self.clone();
        Lane::new(
            name.to_string(),
            socket,
            handler,
            Arc::new(move || host.end_after(Duration::from_secs(1))),
        )
    }

    fn why_ended(&self) -> String {
        match self.end_after(Duration::ZERO) {
            Some(end) => end.text,
            None => "the plugin host is still running".to_string(),
        }
    }

    /// How the host ended, once it has (waiting up to `wait` for its exit to be seen): which
    /// thread brought it down when it can tell, and the last lines it wrote.
    pub fn end_after(&self, wait: Duration) -> Option<HostEnd> {
        let deadline = Instant::now() + wait;
        let how = loop {
            let ended = self.ended.lock().unwrap_or_else(|p| p.into_inner()).clone();
            match ended {
                Some(how) => break how,
                None if Instant::now() >= deadline => return None,
                None => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        let tail: Vec<String> = self
            .tail
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect();
        let crash = crash_report(&self.dir);
        let culprit = tail
            .iter()
            .rev()
            .find_map(|line| {
                line.split_once(EXIT_WITNESS)
                    .map(|(_, t)| t.trim().to_string())
            })
            .or_else(|| crash.as_deref().and_then(crashing_thread));
        let text = format!(
            "the Java plugin host (pid {}) ended: {how}{}{}\nIts last output:\n{}",
            self.pid,
            culprit
                .as_ref()
                .map(|t| format!(", brought down by its thread {t}"))
                .unwrap_or_default(),
            crash
                .as_ref()
                .map(|c| format!("; crash report: {}", c.display()))
                .unwrap_or_default(),
            tail.join("\n")
        );
        Some(HostEnd {
            pid: self.pid,
            culprit,
            text,
        })
    }
}

/// What the host's exit hook prints before the name of the thread that called `System.exit`.
const EXIT_WITNESS: &str = "FERRY-HOST-EXIT thread=";

/// How a plugin host ended.
#[derive(Debug, Clone)]
pub struct HostEnd {
    pub pid: u32,
    /// The host thread that brought it down (`task-NAME-ID`, `connector-NAME`), when known: it
    /// called `System.exit`, or it was running when the JVM crashed.
    pub culprit: Option<String>,
    /// Everything ferry knows, for a FAILED status.
    pub text: String,
}

impl HostEnd {
    /// The connector whose code brought the host down, from the culprit thread's name.
    pub fn culprit_connector(&self) -> Option<&str> {
        let thread = self.culprit.as_deref()?;
        if let Some(rest) = thread.strip_prefix("task-") {
            return rest.rsplit_once('-').map(|(name, _)| name);
        }
        thread.strip_prefix("connector-")
    }
}

/// The thread a JVM crash report names as current: `Current thread (0x...):  JavaThread "NAME" ...`.
fn crashing_thread(report: &Path) -> Option<String> {
    let text = std::fs::read_to_string(report).ok()?;
    let line = text.lines().find(|l| l.starts_with("Current thread"))?;
    let (_, rest) = line.split_once('"')?;
    rest.split_once('"').map(|(name, _)| name.to_string())
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// The `hs_err` file of a JVM crash, if the host left one.
fn crash_report(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("hs_err"))
        })
}

/// Waits for the ready line on the host's stdout, then logs the rest like stderr.
fn wait_ready(
    stdout: std::process::ChildStdout,
    tail: Arc<Mutex<VecDeque<String>>>,
    pid: u32,
) -> std::sync::mpsc::Receiver<()> {
    let (tx, rx) = std::sync::mpsc::channel();
    let _ = std::thread::Builder::new()
        .name("java-host-stdout".into())
        .spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let mut level = JavaLevel::Info;
            for line in lines.by_ref().map_while(Result::ok) {
                if line.trim() == "FERRY-HOST-READY" {
                    let _ = tx.send(());
                    break;
                }
                keep_and_log(&tail, pid, line, &mut level);
            }
            for line in lines.map_while(Result::ok) {
                keep_and_log(&tail, pid, line, &mut level);
            }
        });
    rx
}

fn log_lines(stderr: std::process::ChildStderr, tail: Arc<Mutex<VecDeque<String>>>, pid: u32) {
    let _ = std::thread::Builder::new()
        .name("java-host-stderr".into())
        .spawn(move || {
            let mut level = JavaLevel::Info;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                keep_and_log(&tail, pid, line, &mut level);
            }
        });
}

/// The level of a line the host logged, read from its first word (the host's log pattern puts
/// it there); lines without one (a stack trace, a message's next lines) keep the last level.
#[derive(Clone, Copy)]
enum JavaLevel {
    Error,
    Warn,
    Info,
    Debug,
}

impl JavaLevel {
    fn of(line: &str) -> Option<JavaLevel> {
        Some(match line.split_whitespace().next()? {
            "ERROR" | "FATAL" => JavaLevel::Error,
            "WARN" => JavaLevel::Warn,
            "INFO" => JavaLevel::Info,
            "DEBUG" | "TRACE" => JavaLevel::Debug,
            _ => return None,
        })
    }
}

fn keep_and_log(tail: &Mutex<VecDeque<String>>, pid: u32, line: String, level: &mut JavaLevel) {
    // the level word is said by ferry's own log line
    let message = match JavaLevel::of(&line) {
        Some(now) => {
            *level = now;
            line.trim_start()
                .split_once(' ')
                .map_or("", |(_, rest)| rest)
        }
        None => line.as_str(),
    };
    match level {
        JavaLevel::Error => tracing::error!(target: "java", pid, "{message}"),
        JavaLevel::Warn => tracing::warn!(target: "java", pid, "{message}"),
        JavaLevel::Info => tracing::info!(target: "java", pid, "{message}"),
        JavaLevel::Debug => tracing::debug!(target: "java", pid, "{message}"),
    }
    let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
    if tail.len() == TAIL_LINES {
        tail.pop_front();
    }
    tail.push_back(line);
}
