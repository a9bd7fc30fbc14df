//! The test database (MariaDB, started by scripts/databases.sh, which exports its URL as
//! `FERRY_TEST_MYSQL`), changed with the `mysql` command-line client: an independent client.

use std::path::Path;
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
}
