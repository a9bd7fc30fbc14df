//! The connectors this worker can run: ferry's own, then the Java ones of `plugin.path`.

use ferry_runtime::config::worker::WorkerConfig;
use ferry_runtime::entities::PluginInfo;
use ferry_runtime::plugins::Plugins;

/// Built-ins come first, so that where a jar answers to the same class the built-in runs unless
/// a connector asks for the jar's version (`connector.plugin.version`).
pub async fn load(config: &WorkerConfig) -> Plugins {
    let mut connectors = ferry_connectors::plugins();
    let worker = config.originals().clone();
    // Scanning may start a JVM for a second or more: keep it off the async threads.
    let java = tokio::task::spawn_blocking(move || ferry_java::plugins(&worker))
        .await
        .unwrap_or_else(|e| {
            tracing::error!("the scan of plugin.path did not finish: {e}");
            Default::default()
        });
    for plugin in &java.connectors {
        if let Some(builtin) = connectors.iter().find(|b| b.answers_to(plugin.class)) {
            tracing::info!(
                class = plugin.class,
                builtin = builtin.version,
                jar = plugin.version,
                "both ferry and a jar in plugin.path have this connector: ferry's runs unless a \
                 connector sets connector.plugin.version to the jar's version"
            );
        }
    }
    connectors.extend(java.connectors);
    let others = java
        .others
        .into_iter()
        .map(|(class, kind, version)| PluginInfo {
            class,
            kind,
            version,
        })
        .collect();
    Plugins::new(connectors).with_others(others)
}
