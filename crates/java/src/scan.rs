//! Which Java plugins `plugin.path` holds: asked of a one-off plugin host (Kafka's own scan),
//! and kept on disk so that the next start with the same jars needs no JVM.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::HostError;
use crate::host::{HostProcess, HostSettings};
use crate::lane::NoQuestions;
use crate::wire::msg;
use crate::worker_host::CONFIG_CALL_TIMEOUT;

/// A plugin as the host's scan reports it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScannedPlugin {
    pub class: String,
    /// `source`, `sink`, `converter`, `header_converter`, `transformation` or `predicate`.
    #[serde(rename = "type")]
    pub kind: String,
    pub version: String,
    #[serde(default)]
    pub location: String,
}

#[derive(Serialize, Deserialize)]
struct ScanReply {
    plugins: Vec<ScannedPlugin>,
}

/// What scanning needs: where to look, how, and the worker's configuration for the host.
pub struct ScanRequest<'a> {
    pub plugin_path: &'a [String],
    pub discovery: &'a str,
    pub worker: &'a ferry_api::Props,
}

/// The plugins of `plugin.path`, from the cache when nothing changed since it was written.
pub fn plugins(
    settings: &HostSettings,
    request: &ScanRequest,
) -> Result<Vec<ScannedPlugin>, HostError> {
    let cache = cache_file(settings, request);
    if let Some(cached) = cache
        .as_ref()
        .and_then(|file| std::fs::read(file).ok())
        .and_then(|bytes| serde_json::from_slice::<ScanReply>(&bytes).ok())
    {
        tracing::info!(
            plugins = cached.plugins.len(),
            "Java plugins of plugin.path known from the last scan (no JVM started)"
        );
        return Ok(cached.plugins);
    }
    tracing::info!(
        plugin_path = ?request.plugin_path,
        discovery = request.discovery,
        "scanning plugin.path for Java plugins; the result is cached for the next start"
    );
    let host = HostProcess::spawn(settings, "to scan plugin.path")?;
    let lane = host.connect("scan", Arc::new(NoQuestions))?;
    let body = json!({
        "plugin_path": request.plugin_path,
        "discovery": request.discovery,
        "worker": request.worker,
    });
    let reply = lane.call(
        msg::SCAN,
        body.to_string().as_bytes(),
        Some(CONFIG_CALL_TIMEOUT),
    )?;
    drop(lane);
    host.kill();
    let scanned: ScanReply = serde_json::from_slice(&reply)
        .map_err(|e| HostError::Host(format!("the plugin host's scan is not readable: {e}")))?;
    if let Some(file) = cache {
        let written = file
            .parent()
            .map(std::fs::create_dir_all)
            .unwrap_or(Ok(()))
            .and_then(|()| std::fs::write(&file, serde_json::to_vec(&scanned).unwrap_or_default()));
        if let Err(e) = written {
            tracing::warn!(file = %file.display(), error = %e, "could not cache the plugin scan");
        }
    }
    Ok(scanned.plugins)
}

/// `~/.cache/ferry/java-plugins/<fingerprint>.json`: the fingerprint covers the scan's inputs
/// (plugin.path, discovery mode, the host build) and every file under plugin.path (path, size,
/// modification time), so a changed jar means a new scan.
fn cache_file(settings: &HostSettings, request: &ScanRequest) -> Option<PathBuf> {
    let base = std::env::var_os("FERRY_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/ferry")))?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    request.plugin_path.hash(&mut hasher);
    request.discovery.hash(&mut hasher);
    settings.host_dir.hash(&mut hasher);
    file_stamp(&settings.host_dir.join("host.jar"), &mut hasher);
    for entry in request.plugin_path {
        walk(Path::new(entry), &mut hasher, 0);
    }
    Some(
        base.join("java-plugins")
            .join(format!("{:016x}.json", hasher.finish())),
    )
}

fn walk(path: &Path, hasher: &mut impl Hasher, depth: usize) {
    // plugin folders are shallow; the bound only guards against symlink loops
    if depth > 16 {
        return;
    }
    if path.is_dir() {
        let mut children: Vec<PathBuf> = std::fs::read_dir(path)
            .map(|dir| dir.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        children.sort();
        for child in children {
            walk(&child, hasher, depth + 1);
        }
    } else {
        file_stamp(path, hasher);
    }
}

fn file_stamp(path: &Path, hasher: &mut impl Hasher) {
    path.hash(hasher);
    if let Ok(meta) = std::fs::metadata(path) {
        meta.len().hash(hasher);
        if let Ok(modified) = meta.modified() {
            modified.hash(hasher);
        }
    }
}
