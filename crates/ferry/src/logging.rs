//! Logging: to the console and to `$LOG_DIR/connect.log` (default `logs/`), rolled hourly.
//!
//! The level filter sits behind a reload handle so the REST API can change levels at run time.

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, reload, EnvFilter, Registry};

use crate::rolling_log::HourlyFile;

pub type FilterHandle = reload::Handle<EnvFilter, Registry>;

/// Keeps the file writer alive; dropping it flushes the last lines.
pub struct Logging {
    _file_guard: Option<WorkerGuard>,
    pub filter: FilterHandle,
}

/// `RUST_LOG` if set, else `info`.
fn initial_filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

pub fn init() -> Logging {
    let (filter, handle) = reload::Layer::new(initial_filter());
    let dir = PathBuf::from(std::env::var("LOG_DIR").unwrap_or_else(|_| "logs".into()));
    let (file_layer, guard) = match HourlyFile::open(dir.clone(), "connect.log") {
        Ok(file) => {
            let (writer, guard) = tracing_appender::non_blocking(file);
            (
                Some(fmt::layer().with_ansi(false).with_writer(writer)),
                Some(guard),
            )
        }
        Err(e) => {
            eprintln!(
                "cannot write logs to {}: {e}; logging to the console only",
                dir.join("connect.log").display()
            );
            (None, None)
        }
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(
            fmt::layer()
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
                .with_writer(std::io::stdout),
        )
        .with(file_layer)
        .init();
    Logging {
        _file_guard: guard,
        filter: handle,
    }
}

/// Log levels changed at run time through `/admin/loggers`: a root level plus named loggers, each
/// a prefix of `tracing` targets (`ferry_runtime`, `librdkafka`, ...). Every change rebuilds the
/// filter from the levels set so far on top of what `RUST_LOG` said.
pub struct LogLevels {
    handle: FilterHandle,
    state: std::sync::Mutex<LevelState>,
}

struct LevelState {
    /// Directives from `RUST_LOG` other than a bare level.
    base: Vec<String>,
    root: String,
    loggers: std::collections::BTreeMap<String, (String, u64)>,
}

impl LevelState {
    /// The level a logger has: its own, else its nearest ancestor's, else root's.
    fn effective(&self, name: &str) -> &str {
        if name == "root" {
            return &self.root;
        }
        self.loggers
            .iter()
            .filter(|(k, _)| within(name, k))
            .max_by_key(|(k, _)| k.len())
            .map_or(&self.root, |(_, (level, _))| level)
    }
}

/// Whether `logger` is `namespace` or below it (`root` holds every logger).
fn within(logger: &str, namespace: &str) -> bool {
    namespace == "root"
        || logger == namespace
        || logger
            .strip_prefix(namespace)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with("::"))
}

/// Kafka's (log4j) level names and the `tracing` level each maps to.
fn tracing_level(level: &str) -> Option<&'static str> {
    match level.to_ascii_uppercase().as_str() {
        "TRACE" => Some("trace"),
        "DEBUG" => Some("debug"),
        "INFO" => Some("info"),
        "WARN" => Some("warn"),
        "ERROR" | "FATAL" => Some("error"),
        "OFF" => Some("off"),
        _ => None,
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl LogLevels {
    pub fn new(handle: FilterHandle) -> LogLevels {
        let env = std::env::var("RUST_LOG").unwrap_or_default();
        let mut root = "INFO".to_string();
        let mut base = Vec::new();
        for directive in env.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            if tracing_level(directive).is_some() {
                root = directive.to_ascii_uppercase();
            } else {
                base.push(directive.to_string());
            }
        }
        LogLevels {
            handle,
            state: std::sync::Mutex::new(LevelState {
                base,
                root,
                loggers: Default::default(),
            }),
        }
    }

    fn apply(&self, state: &LevelState) -> Result<(), ferry_rest::LoggersError> {
        let mut directives = vec![tracing_level(&state.root).unwrap_or("info").to_string()];
        directives.extend(state.base.iter().cloned());
        for (name, (level, _)) in &state.loggers {
            directives.push(format!("{name}={}", tracing_level(level).unwrap_or("info")));
        }
        let filter = EnvFilter::try_new(directives.join(",")).map_err(|e| {
            ferry_rest::LoggersError::Failed(format!("cannot use that logger name: {e}"))
        })?;
        self.handle
            .reload(filter)
            .map_err(|e| ferry_rest::LoggersError::Failed(e.to_string()))
    }
}

impl ferry_rest::Loggers for LogLevels {
    fn levels(&self) -> std::collections::BTreeMap<String, ferry_rest::LoggerLevel> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: std::collections::BTreeMap<String, ferry_rest::LoggerLevel> = state
            .loggers
            .iter()
            .map(|(name, (level, at))| {
                let level = ferry_rest::LoggerLevel {
                    level: level.clone(),
                    last_modified: Some(*at),
                };
                (name.clone(), level)
            })
            .collect();
        out.insert(
            "root".into(),
            ferry_rest::LoggerLevel {
                level: state.root.clone(),
                last_modified: None,
            },
        );
        out
    }

    fn set_level(&self, name: &str, level: &str) -> Result<Vec<String>, ferry_rest::LoggersError> {
        if tracing_level(level).is_none() {
            return Err(ferry_rest::LoggersError::UnknownLevel(level.to_string()));
        }
        let level = level.to_ascii_uppercase();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut next = LevelState {
            base: state.base.clone(),
            root: state.root.clone(),
            loggers: state.loggers.clone(),
        };
        // As Kafka, answer the loggers whose level this changes: the named one unless it already
        // has that level, and its descendants set to another (a level set on a namespace covers
        // its children, as in log4j).
        let mut changed = Vec::new();
        if state.effective(name) != level {
            changed.push(name.to_string());
        }
        let children: Vec<String> = next
            .loggers
            .keys()
            .filter(|k| k.as_str() != name && within(k, name))
            .cloned()
            .collect();
        for child in children {
            if let Some((old, _)) = next.loggers.remove(&child) {
                if old != level {
                    changed.push(child);
                }
            }
        }
        if changed.is_empty() {
            return Ok(changed);
        }
        if name == "root" {
            next.root = level;
        } else {
            next.loggers.insert(name.to_string(), (level, now_ms()));
        }
        self.apply(&next)?;
        tracing::info!(logger = name, "log level changed");
        *state = next;
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Levels over a filter layer that the caller keeps alive (it is no subscriber's).
    fn levels() -> (reload::Layer<EnvFilter, Registry>, LogLevels) {
        let (layer, handle) = reload::Layer::<EnvFilter, Registry>::new(EnvFilter::new("info"));
        let levels = LogLevels {
            handle,
            state: std::sync::Mutex::new(LevelState {
                base: Vec::new(),
                root: "INFO".into(),
                loggers: Default::default(),
            }),
        };
        (layer, levels)
    }

    #[test]
    fn a_logger_belongs_to_its_namespaces_only() {
        assert!(within(
            "org.apache.kafka.connect.file",
            "org.apache.kafka.connect"
        ));
        assert!(within("ferry_runtime::worker", "ferry_runtime"));
        assert!(within("anything", "root"));
        assert!(!within(
            "org.apache.kafka.connectx",
            "org.apache.kafka.connect"
        ));
    }

    #[test]
    fn only_loggers_whose_level_changes_are_answered() {
        use ferry_rest::Loggers;
        let (_layer, levels) = levels();
        assert_eq!(levels.set_level("a.b", "debug").unwrap(), vec!["a.b"]);
        assert_eq!(
            levels.set_level("a.b", "DEBUG").unwrap(),
            Vec::<String>::new()
        );
        // Inherited from root: already INFO.
        assert_eq!(levels.set_level("c", "info").unwrap(), Vec::<String>::new());
        assert_eq!(levels.set_level("a", "info").unwrap(), vec!["a.b"]);
        assert_eq!(levels.levels()["a"].level, "INFO");
        assert!(!levels.levels().contains_key("a.b"));
    }
}
