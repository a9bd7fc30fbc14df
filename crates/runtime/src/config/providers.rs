//! Config providers (KIP-297): `${provider:[path:]key}` placeholders in connector configurations,
//! resolved only when a connector or task starts, so the REST API, the config topic and the
//! standalone connectors file keep the placeholder and never the secret.
//!
//! The worker declares them as Kafka's does: `config.providers=file,env,dir`,
//! `config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider`,
//! parameters under `config.providers.NAME.param.` (`allowed.paths` for the file and directory
//! providers, `allowlist.pattern` for the environment one).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ferry_api::config::split_list;
use ferry_api::{ConnectError, Props};
use regex::Regex;

const FILE_CLASS: &str = "org.apache.kafka.common.config.provider.FileConfigProvider";
const DIR_CLASS: &str = "org.apache.kafka.common.config.provider.DirectoryConfigProvider";
const ENV_CLASS: &str = "org.apache.kafka.common.config.provider.EnvVarConfigProvider";

/// One provider the worker declared.
#[derive(Debug, Clone)]
enum Provider {
    /// Keys of a Java properties file.
    File { allowed: Vec<PathBuf> },
    /// Files of a directory, by name: each file's content is a value.
    Directory { allowed: Vec<PathBuf> },
    /// Environment variables.
    Env { allowlist: Option<Regex> },
}

/// The providers of one worker.
#[derive(Debug, Clone, Default)]
pub struct ConfigProviders {
    providers: BTreeMap<String, Provider>,
}

/// Kafka's placeholder: `${provider:key}` or `${provider:path:key}`.
fn placeholder() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(r"\$\{([^}]*?):(?:([^}]*?):)?([^}]*?)\}").unwrap_or_else(|e| {
            unreachable!("the placeholder pattern is a constant and compiles: {e}")
        })
    })
}

impl ConfigProviders {
    /// The providers the worker properties declare. An unknown class, a bad parameter, is an
    /// error naming the key: the worker does not start with a provider it cannot honour.
    pub fn from_worker(props: &Props) -> Result<ConfigProviders, String> {
        let mut providers = BTreeMap::new();
        let names = props.get("config.providers").map_or("", String::as_str);
        for name in split_list(names) {
            let name = name.as_str();
            let class_key = format!("config.providers.{name}.class");
            let class = props
                .get(&class_key)
                .ok_or_else(|| format!("{class_key} is missing for the config provider {name}"))?;
            let param = |key: &str| props.get(&format!("config.providers.{name}.param.{key}"));
            let paths = || -> Vec<PathBuf> {
                param("allowed.paths")
                    .map(|p| split_list(p).into_iter().map(PathBuf::from).collect())
                    .unwrap_or_default()
            };
            let provider = match class.as_str() {
                FILE_CLASS | "FileConfigProvider" => Provider::File { allowed: paths() },
                DIR_CLASS | "DirectoryConfigProvider" => Provider::Directory { allowed: paths() },
                ENV_CLASS | "EnvVarConfigProvider" => {
                    let allowlist = match param("allowlist.pattern") {
                        Some(p) => Some(Regex::new(&format!("^(?:{p})$")).map_err(|e| {
                            format!("config.providers.{name}.param.allowlist.pattern: {e}")
                        })?),
                        None => None,
                    };
                    Provider::Env { allowlist }
                }
                other => {
                    return Err(format!(
                        "{class_key}: ferry has no config provider {other} (it has {FILE_CLASS}, {DIR_CLASS} and {ENV_CLASS})"
                    ))
                }
            };
            providers.insert(name.to_string(), provider);
        }
        Ok(ConfigProviders { providers })
    }

    /// The configuration with every placeholder of a declared provider replaced by its value.
    /// As in Kafka, a placeholder naming an undeclared provider, or a key the provider does not
    /// have, stays as written; a provider that cannot read its source is an error.
    pub fn resolve(&self, props: &Props) -> Result<Props, ConnectError> {
        if self.providers.is_empty() {
            return Ok(props.clone());
        }
        let mut resolved = Props::new();
        for (key, value) in props {
            resolved.insert(key.clone(), self.resolve_value(key, value)?);
        }
        Ok(resolved)
    }

    fn resolve_value(&self, key: &str, value: &str) -> Result<String, ConnectError> {
        let mut out = String::with_capacity(value.len());
        let mut last = 0;
        for caps in placeholder().captures_iter(value) {
            let (Some(whole), Some(name), Some(var)) = (caps.get(0), caps.get(1), caps.get(3))
            else {
                continue;
            };
            let path = caps.get(2).map(|m| m.as_str());
            out.push_str(&value[last..whole.start()]);
            let found = match self.providers.get(name.as_str()) {
                Some(provider) => provider.lookup(path, var.as_str()).map_err(|e| {
                    ConnectError::Config(format!(
                        "{key}: the config provider {} cannot resolve {}: {e}",
                        name.as_str(),
                        whole.as_str()
                    ))
                })?,
                None => None,
            };
            out.push_str(found.as_deref().unwrap_or(whole.as_str()));
            last = whole.end();
        }
        out.push_str(&value[last..]);
        Ok(out)
    }

    /// Task configurations made from a resolved connector configuration, with each value that a
    /// placeholder of the connector's own configuration produced put back as that placeholder
    /// (Kafka's reverse transformation): the task configurations are stored and shown, and the
    /// secret must not be.
    pub fn unresolve(&self, raw: &Props, resolved: &Props, tasks: Vec<Props>) -> Vec<Props> {
        let secrets: Vec<(&String, &String, &String)> = raw
            .iter()
            .filter(|(_, v)| placeholder().is_match(v))
            .filter_map(|(k, v)| resolved.get(k).filter(|r| *r != v).map(|r| (k, v, r)))
            .collect();
        if secrets.is_empty() {
            return tasks;
        }
        tasks
            .into_iter()
            .map(|mut task| {
                for (key, raw_value, resolved_value) in &secrets {
                    if task.get(*key) == Some(*resolved_value) {
                        task.insert((*key).clone(), (*raw_value).clone());
                    }
                }
                task
            })
            .collect()
    }
}

impl Provider {
    /// The value of `key` (under `path`), `None` when the source has no such key.
    fn lookup(&self, path: Option<&str>, key: &str) -> Result<Option<String>, String> {
        match self {
            Provider::File { allowed } => {
                let path = path.ok_or("the file provider needs a path: ${file:/path:key}")?;
                let file = allowed_path(path, allowed)?;
                let mut values =
                    crate::config::properties::load(&file).map_err(|e| e.to_string())?;
                Ok(values.remove(key))
            }
            Provider::Directory { allowed } => {
                let dir = path.ok_or("the directory provider needs a path: ${dir:/path:file}")?;
                let dir = allowed_path(dir, allowed)?;
                if key.contains('/') || key == ".." {
                    return Err(format!("{key} is not a file name"));
                }
                let file = dir.join(key);
                match std::fs::read_to_string(&file) {
                    Ok(text) => Ok(Some(text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(format!("cannot read {}: {e}", file.display())),
                }
            }
            Provider::Env { allowlist } => {
                if allowlist.as_ref().is_some_and(|p| !p.is_match(key)) {
                    return Ok(None);
                }
                Ok(std::env::var(key).ok())
            }
        }
    }
}

/// `path`, if `allowed.paths` is empty or the path lies under one of them (KIP-993).
fn allowed_path(path: &str, allowed: &[PathBuf]) -> Result<PathBuf, String> {
    let path = Path::new(path);
    if allowed.is_empty() {
        return Ok(path.to_path_buf());
    }
    let normal: PathBuf = path.components().collect();
    if normal
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(format!("{} is not allowed (no '..')", path.display()));
    }
    if allowed.iter().any(|a| normal.starts_with(a)) {
        Ok(normal)
    } else {
        Err(format!(
            "{} is not under allowed.paths ({})",
            path.display(),
            allowed
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use ferry_api::config::props_of as props;

    fn providers(dir: &Path) -> ConfigProviders {
        ConfigProviders::from_worker(&props(&[
            ("config.providers", "file,dir,env"),
            ("config.providers.file.class", FILE_CLASS),
            ("config.providers.dir.class", DIR_CLASS),
            ("config.providers.env.class", ENV_CLASS),
            (
                "config.providers.env.param.allowlist.pattern",
                "FERRY_TEST_.*",
            ),
            (
                "config.providers.dir.param.allowed.paths",
                &dir.display().to_string(),
            ),
        ]))
        .expect("providers")
    }

    #[test]
    fn placeholders_of_each_provider_are_resolved_and_others_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let secrets = dir.path().join("secrets.properties");
        std::fs::write(&secrets, "db.password=s3cret\nuser = alice\n").expect("write");
        std::fs::write(dir.path().join("token"), "t0k3n").expect("write");
        std::env::set_var("FERRY_TEST_REGION", "north");
        let p = providers(dir.path());
        let config = props(&[
            (
                "password",
                &format!("${{file:{}:db.password}}", secrets.display()),
            ),
            (
                "url",
                &format!(
                    "jdbc://${{file:{}:user}}@host/${{env:FERRY_TEST_REGION}}",
                    secrets.display()
                ),
            ),
            ("token", &format!("${{dir:{}:token}}", dir.path().display())),
            ("missing", &format!("${{file:{}:nope}}", secrets.display())),
            ("undeclared", "${vault:secret/x:y}"),
            ("not.allowed", "${env:HOME}"),
            ("plain", "value"),
        ]);
        let resolved = p.resolve(&config).expect("resolved");
        assert_eq!(resolved["password"], "s3cret");
        assert_eq!(resolved["url"], "jdbc://alice@host/north");
        assert_eq!(resolved["token"], "t0k3n");
        assert_eq!(resolved["missing"], config["missing"]);
        assert_eq!(resolved["undeclared"], "${vault:secret/x:y}");
        assert_eq!(resolved["not.allowed"], "${env:HOME}");
        assert_eq!(resolved["plain"], "value");
    }

    #[test]
    fn a_path_outside_allowed_paths_or_an_unreadable_file_is_an_error() {
        let dir = tempfile::tempdir().expect("dir");
        let p = providers(dir.path());
        let outside = props(&[("x", "${dir:/etc:hostname}")]);
        let e = p.resolve(&outside).expect_err("outside allowed.paths");
        assert!(e.to_string().contains("allowed.paths"), "{e}");
        let gone = props(&[("x", "${file:/nonexistent/ferry.properties:k}")]);
        let e = p.resolve(&gone).expect_err("no such file");
        assert!(e.to_string().contains("cannot read"), "{e}");
    }

    #[test]
    fn task_configurations_get_the_placeholders_back() {
        let raw = props(&[("password", "${file:/s:p}"), ("user", "alice")]);
        let resolved = props(&[("password", "s3cret"), ("user", "alice")]);
        let tasks = vec![props(&[
            ("password", "s3cret"),
            ("user", "alice"),
            ("task.id", "0"),
        ])];
        let stored = ConfigProviders::default().unresolve(&raw, &resolved, tasks);
        assert_eq!(stored[0]["password"], "${file:/s:p}");
        assert_eq!(stored[0]["user"], "alice");
        assert_eq!(stored[0]["task.id"], "0");
    }

    #[test]
    fn unknown_provider_classes_are_refused_with_the_key() {
        let e = ConfigProviders::from_worker(&props(&[
            ("config.providers", "vault"),
            ("config.providers.vault.class", "com.example.VaultProvider"),
        ]))
        .expect_err("unknown class");
        assert!(e.contains("config.providers.vault.class"), "{e}");
        let e = ConfigProviders::from_worker(&props(&[("config.providers", "file")]))
            .expect_err("no class");
        assert!(e.contains("config.providers.file.class"), "{e}");
    }
}
