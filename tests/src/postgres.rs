//! The test PostgreSQL (started by scripts/databases.sh; `FERRY_TEST_POSTGRES`, by default the
//! scripts' `ferry` user on 127.0.0.1:5432), read and changed with the `psql` command-line
//! client: an independent client.

use std::process::{Command, Stdio};

pub struct Postgres {
    pub host: String,
    pub port: String,
    pub user: String,
    pub password: String,
    pub database: String,
}

impl Postgres {
    /// From `postgresql://user:pass@host:port/db`.
    pub fn from_env() -> Postgres {
        let url = std::env::var("FERRY_TEST_POSTGRES")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "postgresql://ferry:ferry@127.0.0.1:5432/ferry".into());
        let rest = url
            .trim_start_matches("postgresql://")
            .trim_start_matches("postgres://");
        let (creds, hostpart) = rest
            .split_once('@')
            .expect("FERRY_TEST_POSTGRES is postgresql://user:password@host:port/db");
        let (user, password) = creds.split_once(':').unwrap_or((creds, ""));
        let (hostport, database) = hostpart.split_once('/').unwrap_or((hostpart, "ferry"));
        let (host, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
        Postgres {
            host: host.into(),
            port: port.into(),
            user: user.into(),
            password: password.into(),
            database: database.into(),
        }
    }

    /// The JDBC URL of a database on this server.
    pub fn jdbc_url(&self, database: &str) -> String {
        format!("jdbc:postgresql://{}:{}/{database}", self.host, self.port)
    }

    /// Runs statements in `database`; the output (unaligned, tab-separated, no headers) or what
    /// psql said when they failed.
    pub fn try_sql_in(&self, database: &str, statements: &str) -> Result<String, String> {
        use std::io::Write;
        let mut child = Command::new("psql")
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-F",
                "\t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                &self.host,
                "-p",
                &self.port,
                "-U",
                &self.user,
                "-d",
                database,
            ])
            .env("PGPASSWORD", &self.password)
            .env("PGCONNECT_TIMEOUT", "5")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("psql does not run: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(statements.as_bytes());
        }
        let out = child.wait_with_output().map_err(|e| format!("psql: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }

    /// Like `try_sql_in`, panicking with psql's answer when the statements fail.
    pub fn sql_in(&self, database: &str, statements: &str) -> String {
        self.try_sql_in(database, statements)
            .unwrap_or_else(|e| panic!("SQL failed: {statements}\n{e}"))
    }

    /// A new, empty database of the test user, dropped first if it exists.
    pub fn fresh_database(&self, name: &str) {
        self.sql_in(
            &self.database,
            &format!("DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name};"),
        );
    }
}
