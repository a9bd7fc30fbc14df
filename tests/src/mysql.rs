//! The test database (MariaDB, started by scripts/databases.sh, which exports its URL as
//! `FERRY_TEST_MYSQL`), changed with the `mysql` command-line client: an independent client.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct MySql {
    pub host: String,
    pub port: String,
    pub user: String,
    pub password: String,
}

impl MySql {
    /// From `mysql://user:pass@host:port/db`, by default the scripts' `ferry` user on 127.0.0.1:3306.
    pub fn from_env() -> MySql {
        let url = std::env::var("FERRY_TEST_MYSQL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "mysql://ferry:ferry@127.0.0.1:3306/ferry".into());
        let rest = url.trim_start_matches("mysql://");
        let (creds, hostpart) = rest
            .split_once('@')
            .expect("FERRY_TEST_MYSQL is mysql://user:password@host:port/db");
        let (user, password) = creds.split_once(':').unwrap_or((creds, ""));
        let hostport = hostpart.split('/').next().unwrap_or(hostpart);
        let (host, port) = hostport.split_once(':').unwrap_or((hostport, "3306"));
        MySql {
            host: host.into(),
            port: port.into(),
            user: user.into(),
            password: password.into(),
        }
    }

    fn client(&self) -> Command {
        let mut c = Command::new("mysql");
        c.args([
            "-h",
            &self.host,
            "-P",
            &self.port,
            "-u",
            &self.user,
            &format!("-p{}", self.password),
        ]);
        c
    }

    /// Runs statements (given on the client's standard input, so there is no length limit);
    /// panics with the server's answer if they fail.
    pub fn sql(&self, statements: &str) {
        use std::io::Write;
        let mut child = self
            .client()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the mysql client runs");
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(statements.as_bytes())
                .expect("statements written to the client");
        }
        let out = child.wait_with_output().expect("the mysql client ends");
        assert!(
            out.status.success(),
            "SQL failed: {}\n{}",
            statements.chars().take(500).collect::<String>(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Runs a file of statements.
    pub fn sql_file(&self, file: &Path) {
        let input = std::fs::File::open(file).expect("the SQL file opens");
        let out = self
            .client()
            .stdin(Stdio::from(input))
            .output()
            .expect("the mysql client runs");
        assert!(
            out.status.success(),
            "{} failed: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Like `sql`, without the panic: the client's output (tab-separated, no column names) or,
    /// when the server is down or refuses, what the client said.
    pub fn try_sql(&self, statements: &str) -> Result<String, String> {
        use std::io::Write;
        let mut child = self
            .client()
            .args(["-N", "-B", "--connect-timeout=5"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("the mysql client does not run: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A client that exits early (it cannot connect) closes its input: not our error.
            let _ = stdin.write_all(statements.as_bytes());
        }
        let out = child
            .wait_with_output()
            .map_err(|e| format!("the mysql client: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }

    /// Stops the local MariaDB that scripts/databases.sh manages and starts it again, with the
    /// scripts' own functions (`_ferry_mariadb_shutdown`, `_ferry_mariadb_start`; as root, or
    /// through sudo), then waits until this user logs in over TCP again. Every client of the
    /// server loses its connection meanwhile: only for a test binary that runs alone.
    pub fn restart_server(&self) {
        assert!(
            matches!(self.host.as_str(), "127.0.0.1" | "localhost" | "::1"),
            "restart_server restarts the local MariaDB of scripts/databases.sh, but \
             FERRY_TEST_MYSQL points at {}",
            self.host
        );
        let log = std::env::var("FERRY_MARIADB_LOG")
            .ok()
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| "/var/log/ferry-mariadbd.log".into());
        let log_end = || {
            let text = std::fs::read_to_string(&log)
                .unwrap_or_else(|e| format!("(cannot read {log}: {e})"));
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(30)..].join("\n")
        };
        let timeout = std::time::Duration::from_secs(60);
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let out = Command::new("bash")
            .arg("-c")
            .arg(
                ". scripts/lib.sh && . scripts/databases.sh \
                 && _ferry_mariadb_shutdown && _ferry_mariadb_start",
            )
            .current_dir(&root)
            // Each of the two waits for at most this long.
            .env("FERRY_DB_TIMEOUT", (timeout.as_secs() / 2).to_string())
            .env("FERRY_MARIADB_LOG", &log)
            .stdin(Stdio::null())
            .output()
            .expect("bash runs scripts/databases.sh");
        assert!(
            out.status.success(),
            "restarting MariaDB with scripts/databases.sh failed ({}):\n{}\nthe end of {log}:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            log_end()
        );
        let deadline = std::time::Instant::now() + timeout;
        loop {
            match self.try_sql("SELECT 1") {
                Ok(_) => return,
                Err(e) if std::time::Instant::now() > deadline => panic!(
                    "MariaDB was restarted but {}@{}:{} cannot log in after {timeout:?}: {e}\n\
                     the end of {log}:\n{}",
                    self.user,
                    self.host,
                    self.port,
                    log_end()
                ),
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
            }
        }
    }
}

/// Replica server ids handed out to this process's connectors: each connection to the binlog
/// needs its own.
static NEXT_SERVER_ID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl MySql {
    /// A `MariaDbConnector` capturing `database` on this server: topic prefix `prefix`, its
    /// schema history (which Debezium requires) on `broker` as `PREFIX-history`, JSON keys and
    /// values without schemas, and a server id no other connector of this run has. Tests add or
    /// change keys.
    pub fn cdc_config(&self, broker: &crate::Broker, prefix: &str, database: &str) -> crate::Json {
        let n = NEXT_SERVER_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        serde_json::json!({
            "connector.class": "io.debezium.connector.mariadb.MariaDbConnector",
            "database.hostname": self.host,
            "database.port": self.port,
            "database.user": self.user,
            "database.password": self.password,
            "database.server.id": 10_000 + (std::process::id() % 1000) * 40 + n,
            "topic.prefix": prefix,
            "database.include.list": database,
            "schema.history.internal.kafka.bootstrap.servers": broker.address,
            "schema.history.internal.kafka.topic": format!("{prefix}-history"),
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "key.converter.schemas.enable": "false",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
        })
    }
}

/// The offset connector `name` has committed once it reads the binlog (not one of its
/// snapshot: a restart before that takes a new snapshot).
pub fn streaming_offset(ferry: &crate::Ferry, name: &str) -> crate::Json {
    crate::wait_for(
        "a committed offset of the binlog stream",
        std::time::Duration::from_secs(60),
        || {
            let (_, o) = ferry.get(&format!("/connectors/{name}/offsets"));
            let offset = o["offsets"][0]["offset"].clone();
            (offset["file"].is_string() && offset.get("snapshot").is_none()).then_some(offset)
        },
    )
}

/// `FERRY_TEST_DEBEZIUM_PLUGINS` (default `~/.cache/ferry/debezium-3.6.1/plugins`), checked to
/// hold the MariaDB connector that `compat/debezium/fetch.sh` puts there.
pub fn debezium_plugins() -> PathBuf {
    let dir = std::env::var_os("FERRY_TEST_DEBEZIUM_PLUGINS")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/ferry/debezium-3.6.1/plugins")
        });
    assert!(
        dir.join("mariadb/.complete").exists(),
        "Debezium 3.6.1's MariaDB connector is not in {} (no mariadb/.complete): run \
         compat/debezium/fetch.sh (scripts/test.sh does), or set FERRY_TEST_DEBEZIUM_PLUGINS to \
         the folder that holds mariadb/",
        dir.display()
    );
    dir
}

/// A `plugin.path` folder holding only the MariaDB connector (a link to it), so that Kafka
/// Connect scans no more than it needs.
pub fn mariadb_plugin_path(debezium: &Path, dir: &Path) -> PathBuf {
    let path = dir.join("plugins");
    std::fs::create_dir_all(&path).expect("plugin folder");
    std::os::unix::fs::symlink(debezium.join("mariadb"), path.join("mariadb"))
        .expect("link to the MariaDB connector");
    path
}
