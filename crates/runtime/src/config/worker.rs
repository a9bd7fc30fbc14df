//! The worker configuration (`connect-standalone.properties`), declared once in a `ConfigDef`.

use std::collections::BTreeMap;
use std::time::Duration;

use ferry_api::config::{validators, ConfigProblem};
use ferry_api::{ConfigDef, ConfigType, Importance, ParsedConfig, Props};

use crate::config::client_overrides::{self, OverridePolicy};
use crate::config::providers::ConfigProviders;

pub const BOOTSTRAP_SERVERS: &str = "bootstrap.servers";
pub const KEY_CONVERTER: &str = "key.converter";
pub const VALUE_CONVERTER: &str = "value.converter";
pub const HEADER_CONVERTER: &str = "header.converter";
pub const OFFSET_FILE: &str = "offset.storage.file.filename";
pub const OFFSET_FLUSH_INTERVAL: &str = "offset.flush.interval.ms";
pub const OFFSET_FLUSH_TIMEOUT: &str = "offset.flush.timeout.ms";
pub const PLUGIN_PATH: &str = "plugin.path";
pub const PLUGIN_DISCOVERY: &str = "plugin.discovery";
pub const LISTENERS: &str = "listeners";
pub const ADVERTISED_HOST: &str = "rest.advertised.host.name";
pub const ADVERTISED_PORT: &str = "rest.advertised.port";
pub const ADVERTISED_LISTENER: &str = "rest.advertised.listener";
pub const CLIENT_ID: &str = "client.id";
pub const TASK_SHUTDOWN_TIMEOUT: &str = "task.shutdown.graceful.timeout.ms";

/// Prefixes whose keys are handed on (to a Kafka client or a converter) rather than read here.
const PASS_THROUGH_PREFIXES: &[&str] = &[
    "producer.",
    "consumer.",
    "admin.",
    "key.converter.",
    "value.converter.",
    "header.converter.",
    "listeners.",
    "ssl.",
    "sasl.",
    // Read by `ConfigProviders`.
    "config.providers.",
    // Read by `client_overrides`.
    "connector.client.config.override.policy",
    // Read by `topic_creation`.
    "topic.creation.enable",
];

/// Keys Kafka Connect workers know that ferry accepts without acting on them (yet).
const ACCEPTED_UNUSED: &[&str] = &[
    "group.id",
    "config.storage.topic",
    "config.storage.replication.factor",
    "offset.storage.topic",
    "offset.storage.partitions",
    "offset.storage.replication.factor",
    "status.storage.topic",
    "status.storage.partitions",
    "status.storage.replication.factor",
    "connect.protocol",
    "scheduled.rebalance.max.delay.ms",
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "rebalance.timeout.ms",
    "worker.sync.timeout.ms",
    "worker.unsync.backoff.ms",
    "rest.host.name",
    "rest.port",
    "access.control.allow.origin",
    "access.control.allow.methods",
    "metrics.sample.window.ms",
    "metrics.num.samples",
    "metrics.recording.level",
    "metric.reporters",
    "response.http.headers.config",
    "security.protocol",
    "exactly.once.source.support",
];

/// Every key the worker reads, with its type, default and documentation.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .optional(
            BOOTSTRAP_SERVERS,
            ConfigType::List,
            Some("localhost:9092"),
            Importance::High,
            "A list of host/port pairs used to establish the initial connection to the Kafka cluster.",
        )
        .required(
            KEY_CONVERTER,
            ConfigType::Class,
            Importance::High,
            "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record keys).",
        )
        .required(
            VALUE_CONVERTER,
            ConfigType::Class,
            Importance::High,
            "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record values).",
        )
        .optional(
            HEADER_CONVERTER,
            ConfigType::Class,
            Some("org.apache.kafka.connect.storage.SimpleHeaderConverter"),
            Importance::Low,
            "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record headers).",
        )
        .optional(
            OFFSET_FILE,
            ConfigType::String,
            Some("/tmp/connect.offsets"),
            Importance::High,
            "File to store source connector offsets in (standalone mode).",
        )
        .optional(
            OFFSET_FLUSH_INTERVAL,
            ConfigType::Long,
            Some("10000"),
            Importance::Low,
            "Interval at which to try committing offsets for tasks.",
        )
        .validate_with(validators::at_least(1))
        .optional(
            OFFSET_FLUSH_TIMEOUT,
            ConfigType::Long,
            Some("5000"),
            Importance::Low,
            "Maximum number of milliseconds to wait for records to flush and offsets to be committed before cancelling the process.",
        )
        .validate_with(validators::at_least(1))
        .optional(
            PLUGIN_PATH,
            ConfigType::List,
            None,
            Importance::Low,
            "Where Java plugins are (comma-separated): folders of plugin folders, folders of jars, or jars. \
             Their connectors run in ferry's Java plugin host; ferry's own connectors are built in.",
        )
        .optional(
            PLUGIN_DISCOVERY,
            ConfigType::String,
            Some("hybrid_warn"),
            Importance::Low,
            "How Java plugins are found in plugin.path: only_scan, hybrid_warn, hybrid_fail or service_load, as in Kafka.",
        )
        .validate_with(validators::one_of(&[
            "only_scan",
            "hybrid_warn",
            "hybrid_fail",
            "service_load",
        ]))
        .optional(
            LISTENERS,
            ConfigType::List,
            Some("http://:8083"),
            Importance::Low,
            "Comma-separated URIs the REST API listens on, e.g. http://:8083 or http://myhost:8083.",
        )
        .optional(ADVERTISED_HOST, ConfigType::String, None, Importance::Low, "Host name given to other workers to connect to.")
        .optional(ADVERTISED_PORT, ConfigType::Int, None, Importance::Low, "Port given to other workers to connect to.")
        .optional(ADVERTISED_LISTENER, ConfigType::String, None, Importance::Low, "Protocol given to other workers to connect with.")
        .optional(CLIENT_ID, ConfigType::String, Some(""), Importance::Low, "An id string passed to the Kafka clients.")
        .optional(
            TASK_SHUTDOWN_TIMEOUT,
            ConfigType::Long,
            Some("5000"),
            Importance::Low,
            "Time to wait for tasks to shut down gracefully.",
        )
        .validate_with(validators::at_least(0))
}

/// A REST listener: `http://host:port`, with an empty host meaning every interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Listener {
    pub fn parse(raw: &str) -> Result<Listener, String> {
        let (scheme, rest) = raw
            .split_once("://")
            .ok_or_else(|| format!("listener '{raw}' must look like http://host:port"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" {
            return Err(format!(
                "listener '{raw}': only http listeners are supported so far, not {scheme}"
            ));
        }
        let rest = rest.trim_end_matches('/');
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| format!("listener '{raw}' has no port"))?;
        let port = port
            .parse::<u16>()
            .map_err(|_| format!("listener '{raw}' has an invalid port '{port}'"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        Ok(Listener { scheme, host, port })
    }

    /// The address to bind: an empty host binds every interface.
    pub fn bind_host(&self) -> &str {
        if self.host.is_empty() {
            "0.0.0.0"
        } else {
            &self.host
        }
    }
}

/// Why the worker configuration cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid worker configuration:\n  {}", .problems.join("\n  "))]
pub struct WorkerConfigError {
    pub problems: Vec<String>,
}

/// The worker configuration, parsed and checked.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    parsed: ParsedConfig,
    pub listeners: Vec<Listener>,
    providers: ConfigProviders,
    override_policy: OverridePolicy,
}

impl WorkerConfig {
    pub fn new(props: Props) -> Result<WorkerConfig, WorkerConfigError> {
        // As in Kafka, placeholders in the worker's own properties (a client's password, say)
        // are resolved by the providers it declares, once, before anything reads them.
        let providers = ConfigProviders::from_worker(&props)
            .map_err(|p| WorkerConfigError { problems: vec![p] })?;
        let props = providers.resolve(&props).map_err(|e| WorkerConfigError {
            problems: vec![e.to_string()],
        })?;
        let parsed = config_def()
            .parse(&props)
            .map_err(|problems| WorkerConfigError {
                problems: problems
                    .into_iter()
                    .map(|p: ConfigProblem| p.message)
                    .collect(),
            })?;
        let listeners = parsed
            .list(LISTENERS)
            .iter()
            .map(|l| Listener::parse(l))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|p| WorkerConfigError { problems: vec![p] })?;
        if listeners.is_empty() {
            return Err(WorkerConfigError {
                problems: vec!["listeners must name at least one http://host:port".into()],
            });
        }
        let override_policy = OverridePolicy::parse(
            parsed
                .originals()
                .get(client_overrides::POLICY)
                .map(String::as_str),
        )
        .map_err(|p| WorkerConfigError { problems: vec![p] })?;
        Ok(WorkerConfig {
            parsed,
            listeners,
            providers,
            override_policy,
        })
    }

    /// Which client overrides connectors may make (KIP-458).
    pub fn override_policy(&self) -> OverridePolicy {
        self.override_policy
    }

    /// The config providers (`config.providers`) that resolve placeholders in connector
    /// configurations as connectors and tasks start.
    pub fn providers(&self) -> &ConfigProviders {
        &self.providers
    }

    /// Keys that are neither declared, handed on, nor known Kafka keys: worth a warning.
    pub fn unknown_keys(&self) -> Vec<&str> {
        let def = config_def();
        self.parsed
            .originals()
            .keys()
            .filter(|k| def.key(k).is_none())
            .filter(|k| !ACCEPTED_UNUSED.contains(&k.as_str()))
            .filter(|k| !PASS_THROUGH_PREFIXES.iter().any(|p| k.starts_with(p)))
            .map(String::as_str)
            .collect()
    }

    pub fn originals(&self) -> &Props {
        self.parsed.originals()
    }

    pub fn bootstrap_servers(&self) -> String {
        self.parsed.list(BOOTSTRAP_SERVERS).join(",")
    }

    pub fn string(&self, key: &str) -> Option<&str> {
        self.parsed.string(key)
    }

    pub fn offset_file(&self) -> &str {
        self.parsed
            .string(OFFSET_FILE)
            .unwrap_or("/tmp/connect.offsets")
    }

    pub fn offset_flush_interval(&self) -> Duration {
        self.millis(OFFSET_FLUSH_INTERVAL, 10_000)
    }

    pub fn offset_flush_timeout(&self) -> Duration {
        self.millis(OFFSET_FLUSH_TIMEOUT, 5_000)
    }

    pub fn task_shutdown_timeout(&self) -> Duration {
        self.millis(TASK_SHUTDOWN_TIMEOUT, 5_000)
    }

    /// Says, once at start-up, which keys the worker accepts but does not act on.
    pub fn warn_about_ignored_keys(&self) {
        for key in self.unknown_keys() {
            tracing::warn!(key, "unknown worker configuration key; it is ignored");
        }
    }

    pub fn plugin_path(&self) -> Vec<String> {
        self.parsed.list(PLUGIN_PATH)
    }

    pub fn client_id(&self) -> &str {
        self.parsed.string(CLIENT_ID).unwrap_or("")
    }

    fn millis(&self, key: &str, default: u64) -> Duration {
        Duration::from_millis(
            self.parsed
                .long(key)
                .and_then(|v| u64::try_from(v).ok())
                .unwrap_or(default),
        )
    }

    /// The URL other workers and clients use to reach this worker's REST API.
    pub fn advertised_url(&self) -> String {
        let first = &self.listeners[0];
        let scheme = self
            .parsed
            .string(ADVERTISED_LISTENER)
            .map(str::to_ascii_lowercase)
            .unwrap_or_else(|| first.scheme.clone());
        let host = self
            .parsed
            .string(ADVERTISED_HOST)
            .map(str::to_string)
            .or_else(|| Some(first.host.clone()).filter(|h| !h.is_empty()))
            .unwrap_or_else(local_host_name);
        let port = self
            .parsed
            .int(ADVERTISED_PORT)
            .map(|p| p as u16)
            .unwrap_or(first.port);
        format!("{scheme}://{host}:{port}/")
    }

    /// `host:port`, the worker id Kafka Connect uses in statuses.
    pub fn worker_id(&self) -> String {
        let url = self.advertised_url();
        url.split_once("://")
            .map(|(_, rest)| rest.trim_end_matches('/').to_string())
            .unwrap_or(url)
    }

    /// Settings for one Kafka client: the worker's `bootstrap.servers` and shared security keys,
    /// then the keys under `prefix` (`producer.`, `consumer.`, `admin.`), which win.
    pub fn client_props(&self, prefix: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        out.insert("bootstrap.servers".to_string(), self.bootstrap_servers());
        for (k, v) in self.parsed.originals() {
            if k == "security.protocol" || k.starts_with("ssl.") || k.starts_with("sasl.") {
                out.insert(k.clone(), v.clone());
            }
        }
        out.extend(self.parsed.originals_with_prefix(prefix));
        out
    }
}

fn local_host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    use ferry_api::config::props_of as props;

    fn minimal() -> Vec<(&'static str, &'static str)> {
        vec![
            (
                "key.converter",
                "org.apache.kafka.connect.storage.StringConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
        ]
    }

    #[test]
    fn placeholders_in_the_worker_properties_are_resolved_by_its_providers() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = dir.path().join("secrets.properties");
        std::fs::write(&secrets, "password=s3cret\nbroker=127.0.0.1:9999\n").unwrap();
        let file = secrets.display().to_string();
        let mut p = minimal();
        let servers = format!("${{file:{file}:broker}}");
        let password = format!("${{file:{file}:password}}");
        p.extend([
            ("config.providers", "file"),
            (
                "config.providers.file.class",
                "org.apache.kafka.common.config.provider.FileConfigProvider",
            ),
            ("bootstrap.servers", servers.as_str()),
            ("producer.sasl.password", password.as_str()),
            ("consumer.sasl.password", "${vault:secret/x:password}"),
        ]);
        let cfg = WorkerConfig::new(props(&p)).unwrap();
        assert_eq!(cfg.bootstrap_servers(), "127.0.0.1:9999");
        assert_eq!(
            cfg.client_props("producer.")
                .get("sasl.password")
                .map(String::as_str),
            Some("s3cret")
        );
        // An undeclared provider's placeholder stays as written, as in Kafka.
        assert_eq!(
            cfg.client_props("consumer.")
                .get("sasl.password")
                .map(String::as_str),
            Some("${vault:secret/x:password}")
        );
    }

    #[test]
    fn defaults_are_kafkas() {
        let cfg = WorkerConfig::new(props(&minimal())).unwrap();
        assert_eq!(cfg.bootstrap_servers(), "localhost:9092");
        assert_eq!(cfg.offset_file(), "/tmp/connect.offsets");
        assert_eq!(cfg.offset_flush_interval(), Duration::from_secs(10));
        assert_eq!(
            cfg.listeners,
            vec![Listener {
                scheme: "http".into(),
                host: "".into(),
                port: 8083
            }]
        );
    }

    #[test]
    fn listeners_take_the_forms_users_write() {
        let mut p = minimal();
        p.push(("listeners", "HTTP://:8093, http://127.0.0.1:9000"));
        let cfg = WorkerConfig::new(props(&p)).unwrap();
        assert_eq!(
            cfg.listeners[0],
            Listener {
                scheme: "http".into(),
                host: "".into(),
                port: 8093
            }
        );
        assert_eq!(cfg.listeners[1].host, "127.0.0.1");
        assert_eq!(cfg.listeners[1].port, 9000);
    }

    #[test]
    fn missing_converters_are_named() {
        let err = WorkerConfig::new(props(&[("bootstrap.servers", "b:9092")])).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"key.converter\""), "{text}");
        assert!(text.contains("\"value.converter\""), "{text}");
    }

    #[test]
    fn a_bad_listener_is_rejected() {
        let mut p = minimal();
        p.push(("listeners", "http://:eighty"));
        let err = WorkerConfig::new(props(&p)).unwrap_err();
        assert!(err.to_string().contains("invalid port"), "{err}");
    }

    #[test]
    fn unknown_keys_are_reported_but_prefixed_ones_are_not() {
        let mut p = minimal();
        p.extend([
            ("producer.linger.ms", "5"),
            ("key.converter.schemas.enable", "false"),
            ("no.such.key", "1"),
        ]);
        let cfg = WorkerConfig::new(props(&p)).unwrap();
        assert_eq!(cfg.unknown_keys(), vec!["no.such.key"]);
    }

    #[test]
    fn client_props_prefer_the_prefixed_keys() {
        let mut p = minimal();
        p.extend([
            ("bootstrap.servers", "a:1,b:2"),
            ("producer.linger.ms", "7"),
            ("consumer.linger.ms", "9"),
        ]);
        let cfg = WorkerConfig::new(props(&p)).unwrap();
        let producer = cfg.client_props("producer.");
        assert_eq!(producer["bootstrap.servers"], "a:1,b:2");
        assert_eq!(producer["linger.ms"], "7");
        assert_eq!(producer.len(), 2);
    }
}
