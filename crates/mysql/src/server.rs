//! What the connector needs of the server, checked before it reads anything (and by validate):
//! the binlog on, in ROW format with full row images, a user allowed to read it, and the binlog
//! file a stored offset names still there.

use ferry_api::{ConnectError, Result};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;

/// What change data capture needs of the server: the binlog on, in ROW format with full row
/// images, and a user allowed to read it. Anything else fails with the setting or grant to change.
pub async fn check(conn: &mut Conn, user: &str) -> Result<()> {
    let row: Option<(Option<String>, Option<String>, Option<String>)> = conn
        .query_first("SELECT @@log_bin, @@binlog_format, @@binlog_row_image")
        .await
        .map_err(|e| {
            ConnectError::Retriable(format!("cannot read the server's binlog settings: {e}"))
        })?;
    let (log_bin, format, image) = row.unwrap_or_default();
    let on = log_bin
        .as_deref()
        .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("ON"));
    if !on {
        return Err(ConnectError::Config(
            "the server's binary log is off (log_bin): change data capture reads it; turn it on and restart the server".into(),
        ));
    }
    if !format
        .as_deref()
        .is_some_and(|f| f.eq_ignore_ascii_case("ROW"))
    {
        return Err(ConnectError::Config(format!(
            "the server's binlog_format is {}; change data capture needs ROW",
            format.unwrap_or_default()
        )));
    }
    if !image
        .as_deref()
        .is_some_and(|i| i.eq_ignore_ascii_case("FULL"))
    {
        return Err(ConnectError::Config(format!(
            "the server's binlog_row_image is {}; change data capture needs FULL",
            image.unwrap_or_default()
        )));
    }
    let grants: Vec<String> = conn
        .query("SHOW GRANTS")
        .await
        .map_err(|e| ConnectError::Retriable(format!("cannot read the user's privileges: {e}")))?;
    let missing = missing_privileges(&grants);
    if !missing.is_empty() {
        return Err(ConnectError::Config(format!(
            "the user {user} lacks the privileges {} that change data capture needs to read the binlog; grant them with GRANT {} ON *.* TO '{user}'",
            missing.join(", "),
            missing.join(", ")
        )));
    }
    Ok(())
}

/// The server-wide privileges that reading the binlog needs and `SHOW GRANTS` does not show
/// (empty when it shows them, or grants roles, whose privileges it does not list).
pub fn missing_privileges(grants: &[String]) -> Vec<&'static str> {
    let mut global = String::new();
    for grant in grants {
        let upper = grant.to_ascii_uppercase();
        let Some(on) = upper.find(" ON ") else {
            // `GRANT role TO user`: what the role holds is not listed here.
            return Vec::new();
        };
        if upper[on..].starts_with(" ON *.*") {
            global.push_str(&upper[..on]);
            global.push(',');
        }
    }
    if global.contains("ALL PRIVILEGES") {
        return Vec::new();
    }
    let has = |names: &[&str]| names.iter().any(|n| global.contains(n));
    let mut missing = Vec::new();
    if !has(&["REPLICATION SLAVE", "REPLICATION REPLICA"]) {
        missing.push("REPLICATION SLAVE");
    }
    if !has(&["REPLICATION CLIENT", "BINLOG MONITOR", "SUPER"]) {
        missing.push("REPLICATION CLIENT");
    }
    missing
}

/// Whether the binlog file `file` is still on the server (`SHOW BINARY LOGS`).
pub async fn binlog_has(conn: &mut Conn, file: &str) -> Result<bool> {
    let rows: Vec<mysql_async::Row> = conn
        .query("SHOW BINARY LOGS")
        .await
        .map_err(|e| ConnectError::Retriable(format!("cannot list the binlog files: {e}")))?;
    Ok(rows
        .iter()
        .filter_map(|r| r.get::<String, usize>(0))
        .any(|name| name == file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn the_replication_privileges_are_looked_for_server_wide() {
        assert!(missing_privileges(&grants(&[
            "GRANT ALL PRIVILEGES ON *.* TO `ferry`@`localhost`"
        ]))
        .is_empty());
        assert!(missing_privileges(&grants(&[
            "GRANT SELECT, RELOAD, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `cdc`@`%`"
        ]))
        .is_empty());
        assert_eq!(
            missing_privileges(&grants(&[
                "GRANT USAGE ON *.* TO `low`@`%`",
                "GRANT ALL PRIVILEGES ON `shop`.* TO `low`@`%`"
            ])),
            vec!["REPLICATION SLAVE", "REPLICATION CLIENT"]
        );
        assert!(missing_privileges(&grants(&[
            "GRANT USAGE ON *.* TO `low`@`%`",
            "GRANT `cdc_role` TO `low`@`%`"
        ]))
        .is_empty());
    }
}
