//! `connection.url`, as a JDBC driver reads it: which database, where, and the properties after
//! `?` (PostgreSQL's and MySQL's drivers also take `user` and `password` there).

use std::collections::BTreeMap;

use ferry_api::{ConnectError, Result};

/// The database family a URL names; it decides the SQL the sink writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    /// MySQL and MariaDB: one SQL dialect for what the sink does.
    MySql,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "PostgreSQL",
            Dialect::MySql => "MySQL/MariaDB",
        }
    }
}

/// A parsed `jdbc:` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JdbcUrl {
    pub dialect: Dialect,
    pub host: String,
    pub port: u16,
    /// The database (PostgreSQL: the database connected to; MySQL: the default schema).
    pub database: String,
    pub properties: BTreeMap<String, String>,
}

impl JdbcUrl {
    /// Parses `jdbc:postgresql://host[:port][/db][?k=v&...]`, `jdbc:mysql://...` or
    /// `jdbc:mariadb://...`. Of several hosts (`h1,h2`) the first is used.
    pub fn parse(url: &str) -> Result<JdbcUrl> {
        let bad = |why: &str| {
            ConnectError::Config(format!(
                "Invalid value {url} for configuration connection.url: {why}"
            ))
        };
        let trimmed = url.trim();
        let rest = trimmed
            .strip_prefix("jdbc:")
            .ok_or_else(|| bad("a JDBC URL starts with jdbc:"))?;
        let (scheme, rest) = rest
            .split_once("://")
            .ok_or_else(|| bad("expected jdbc:<database>://host[:port]/database"))?;
        let (dialect, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "postgresql" | "postgres" => (Dialect::Postgres, 5432),
            "mysql" | "mariadb" => (Dialect::MySql, 3306),
            other => {
                return Err(bad(&format!(
                    "ferry's JDBC sink writes to postgresql, mysql and mariadb, not {other}"
                )))
            }
        };
        let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (hosts, database) = location.split_once('/').unwrap_or((location, ""));
        let host_port = hosts.split(',').next().unwrap_or_default();
        let (host, port) =
            split_host_port(host_port).ok_or_else(|| bad("the port is not a number"))?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let mut properties = BTreeMap::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            properties.insert(k.to_string(), v.to_string());
        }
        Ok(JdbcUrl {
            dialect,
            host: host.to_string(),
            port: port.unwrap_or(default_port),
            database: database.trim_end_matches('/').to_string(),
            properties,
        })
    }
}

/// `host`, `host:port` or `[v6]:port`.
fn split_host_port(text: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(p) => Some((host, Some(p.parse().ok()?))),
            None => Some((host, None)),
        };
    }
    match text.rsplit_once(':') {
        Some((host, port)) => Some((host, Some(port.parse().ok()?))),
        None => Some((text, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_url_with_properties() {
        let u = JdbcUrl::parse("jdbc:postgresql://db.example:6543/inventory?user=u&ssl=false")
            .expect("valid");
        assert_eq!(u.dialect, Dialect::Postgres);
        assert_eq!((u.host.as_str(), u.port), ("db.example", 6543));
        assert_eq!(u.database, "inventory");
        assert_eq!(u.properties.get("user").map(String::as_str), Some("u"));
    }

    #[test]
    fn mysql_and_mariadb_default_ports() {
        let u = JdbcUrl::parse("jdbc:mariadb://localhost/shop").expect("valid");
        assert_eq!(
            (u.dialect, u.port, u.database.as_str()),
            (Dialect::MySql, 3306, "shop")
        );
        let u = JdbcUrl::parse("jdbc:mysql://h1:3307,h2:3308/").expect("valid");
        assert_eq!(
            (u.host.as_str(), u.port, u.database.as_str()),
            ("h1", 3307, "")
        );
    }

    #[test]
    fn other_databases_and_garbage_are_refused_with_the_reason() {
        let e = JdbcUrl::parse("jdbc:sqlserver://h:1433").expect_err("unsupported");
        assert!(e.to_string().contains("not sqlserver"), "{e}");
        assert!(JdbcUrl::parse("postgresql://h/db").is_err());
        assert!(JdbcUrl::parse("jdbc:postgresql://h:port/db").is_err());
    }
}
