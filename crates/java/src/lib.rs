//! Java Kafka Connect plugins under ferry: the jars of `plugin.path` run unchanged in a child JVM,
//! the plugin host (`java/plugin-host`), while ferry keeps the runtime — Kafka clients, offsets,
//! status, REST. Why a child process and not JNI: docs/design/java-plugins.md; the wire:
//! docs/design/java-host-protocol.md.

mod calls;
mod config_def;
mod connector;
mod error;
mod host;
mod lane;
mod records;
mod running_connector;
mod scan;
mod sink_task;
mod source_task;
mod task_lane;
mod wire;
mod worker_host;

use std::sync::Arc;

use ferry_api::{ConnectorKind, ConnectorPlugin, Props};

pub use connector::{JavaConnector, JavaPluginRef};
pub use host::HostSettings;
pub use worker_host::WorkerHost;

/// The Java plugins of the worker's `plugin.path`.
#[derive(Default)]
pub struct JavaPlugins {
    /// Its connectors, ready to register beside the built-in ones.
    pub connectors: Vec<ConnectorPlugin>,
    /// Its converters, header converters, transforms and predicates, as (class, type, version),
    /// for `GET /connector-plugins?connectorsOnly=false`: a Java connector's configuration may
    /// name them.
    pub others: Vec<(String, String, String)>,
}

/// The Java plugins in the worker's `plugin.path`. No `plugin.path`, no JVM: nothing is
/// started. Otherwise the plugins are known from the last scan of the same jars, or from a scan
/// by a short-lived host; the host that runs them starts when the first Java connector does.
pub fn plugins(worker: &Props) -> JavaPlugins {
    let others = |scanned: &[scan::ScannedPlugin]| {
        scanned
            .iter()
            // Kafka's own converters and transforms (the host's classpath) are ferry's built-ins.
            .filter(|p| p.location != "classpath" && p.kind != "source" && p.kind != "sink")
            .map(|p| (p.class.clone(), p.kind.clone(), p.version.clone()))
            .collect()
    };
    let (connectors, scanned) = connector_plugins(worker);
    JavaPlugins {
        connectors,
        others: others(&scanned),
    }
}

fn connector_plugins(worker: &Props) -> (Vec<ConnectorPlugin>, Vec<scan::ScannedPlugin>) {
    let plugin_path: Vec<String> = worker
        .get("plugin.path")
        .map(|v| ferry_api::config::split_list(v))
        .unwrap_or_default()
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    if plugin_path.is_empty() {
        return Default::default();
    }
    let discovery = worker
        .get("plugin.discovery")
        .map(|d| d.trim().to_ascii_lowercase())
        .unwrap_or_else(|| "hybrid_warn".to_string());
    let settings = match HostSettings::from_env() {
        Ok(settings) => settings,
        Err(why) => {
            tracing::warn!("plugin.path is set but its Java plugins cannot run: {why}");
            return Default::default();
        }
    };
    let request = scan::ScanRequest {
        plugin_path: &plugin_path,
        discovery: &discovery,
        worker,
    };
    let scanned = match scan::plugins(&settings, &request) {
        Ok(scanned) => scanned,
        Err(e) => {
            tracing::error!(
                "could not scan plugin.path for Java plugins; only ferry's own connectors \
                 run: {e}"
            );
            return Default::default();
        }
    };
    let host = Arc::new(WorkerHost::new(Ok(settings), worker.clone()));
    let connectors: Vec<ConnectorPlugin> = scanned
        .iter()
        .filter_map(|p| {
            let kind = match p.kind.as_str() {
                "source" => ConnectorKind::Source,
                "sink" => ConnectorKind::Sink,
                _ => return None,
            };
            Some(plugin_entry(
                JavaPluginRef {
                    host: host.clone(),
                    class: p.class.clone(),
                    version: p.version.clone(),
                    kind,
                },
                &scanned,
            ))
        })
        .collect();
    for c in &connectors {
        tracing::info!(
            class = c.class,
            version = c.version,
            kind = c.kind.as_str(),
            "Java connector found in plugin.path"
        );
    }
    (connectors, scanned)
}

/// A registry entry for a Java connector. Names live as long as the worker: they are leaked
/// once, at start, as the built-ins' names are static.
fn plugin_entry(plugin: JavaPluginRef, all: &[scan::ScannedPlugin]) -> ConnectorPlugin {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let aliases: Vec<&'static str> = aliases_of(&plugin.class, all)
        .into_iter()
        .map(leak)
        .collect();
    let class = leak(plugin.class.clone());
    let version = leak(plugin.version.clone());
    let kind = plugin.kind;
    ConnectorPlugin {
        class,
        aliases: Box::leak(aliases.into_boxed_slice()),
        // known once the connector runs; its task configurations carry it
        task_class: "",
        kind,
        version,
        create: Arc::new(move || Box::new(JavaConnector::new(plugin.clone()))),
        runs_in_java: true,
    }
}

/// Kafka's aliases: the simple class name, and that name less `Connector`, each only when no
/// other plugin of the scan shares it.
fn aliases_of(class: &str, all: &[scan::ScannedPlugin]) -> Vec<String> {
    let simple = |c: &str| c.rsplit('.').next().unwrap_or(c).to_string();
    let short = |c: &str| {
        let s = simple(c);
        s.strip_suffix("Connector").map(str::to_string)
    };
    let unique = |alias: &str| {
        all.iter()
            .filter(|p| p.class != class)
            .all(|p| simple(&p.class) != alias && short(&p.class).as_deref() != Some(alias))
    };
    let mut aliases = Vec::new();
    for alias in [Some(simple(class)), short(class)].into_iter().flatten() {
        if unique(&alias) && !aliases.contains(&alias) {
            aliases.push(alias);
        }
    }
    aliases
}
