//! One connection to the target database, PostgreSQL (tokio-postgres) or MySQL/MariaDB
//! (mysql_async), with what the sink needs of it: a column list, a statement, and a batch of
//! statements in one transaction. Errors say whether the connection was lost (worth a new
//! connection and another try) or the statement was refused (a problem with the data or table).

use std::time::Duration;

use mysql_async::prelude::Queryable;

use crate::config::SinkConfig;
use crate::url::Dialect;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a database call failed.
#[derive(Debug)]
pub enum DbError {
    /// The connection is gone or could not be made (or the server asked to try again: a
    /// deadlock, a serialization failure): a new connection and another try may succeed.
    Connection(String),
    /// The server refused a statement: trying it again as it is will not help.
    Statement(String),
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbError::Connection(m) | DbError::Statement(m) => f.write_str(m),
        }
    }
}

/// One step of a transaction.
#[derive(Debug, Clone)]
pub enum Step {
    Sql(String),
    /// PostgreSQL: `statement` (a `COPY ... FROM STDIN`) fed with `data`, in COPY text format.
    Copy {
        statement: String,
        data: String,
    },
}

pub enum Db {
    Postgres(tokio_postgres::Client),
    MySql(mysql_async::Conn),
}

impl Db {
    /// Connects and sets the session up: UTC, and backslashes read literally in string
    /// literals (see `literal`).
    pub async fn connect(config: &SinkConfig) -> Result<Db, DbError> {
        let url = &config.url;
        let target = format!("{} at {}:{}", url.dialect.name(), url.host, url.port);
        let connecting = async {
            match url.dialect {
                Dialect::Postgres => {
                    let mut pg = tokio_postgres::Config::new();
                    pg.host(&url.host)
                        .port(url.port)
                        .user(&config.user)
                        .password(&config.password)
                        .connect_timeout(CONNECT_TIMEOUT)
                        .application_name("ferry-jdbc-sink");
                    if !url.database.is_empty() {
                        pg.dbname(&url.database);
                    }
                    let (client, connection) =
                        pg.connect(tokio_postgres::NoTls).await.map_err(|e| {
                            DbError::Connection(format!(
                                "cannot connect to {target} as {}: {}",
                                config.user,
                                pg_error(&e)
                            ))
                        })?;
                    tokio::spawn(async move {
                        if let Err(e) = connection.await {
                            tracing::debug!("the PostgreSQL connection ended: {e}");
                        }
                    });
                    client
                        .batch_execute("SET standard_conforming_strings = on; SET TIME ZONE 'UTC'")
                        .await
                        .map_err(|e| classify_pg(&e))?;
                    Ok(Db::Postgres(client))
                }
                Dialect::MySql => {
                    let mut opts = mysql_async::OptsBuilder::default()
                        .ip_or_hostname(url.host.clone())
                        .tcp_port(url.port)
                        .user(Some(config.user.clone()))
                        .pass(Some(config.password.clone()));
                    if !url.database.is_empty() {
                        opts = opts.db_name(Some(url.database.clone()));
                    }
                    let mut conn = mysql_async::Conn::new(opts).await.map_err(|e| {
                        DbError::Connection(format!(
                            "cannot connect to {target} as {}: {e}",
                            config.user
                        ))
                    })?;
                    conn.query_drop(
                        "SET NAMES utf8mb4, time_zone = '+00:00', \
                         sql_mode = TRIM(BOTH ',' FROM CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES'))",
                    )
                    .await
                    .map_err(|e| classify_my(&e))?;
                    Ok(Db::MySql(conn))
                }
            }
        };
        tokio::time::timeout(CONNECT_TIMEOUT + Duration::from_secs(1), connecting)
            .await
            .unwrap_or_else(|_| {
                Err(DbError::Connection(format!(
                    "cannot connect to {target}: no answer within {} s",
                    CONNECT_TIMEOUT.as_secs()
                )))
            })
    }

    /// The first column of every row `sql` returns, as text.
    pub async fn strings(&mut self, sql: &str) -> Result<Vec<String>, DbError> {
        match self {
            Db::Postgres(client) => {
                let messages = client
                    .simple_query(sql)
                    .await
                    .map_err(|e| classify_pg(&e))?;
                Ok(messages
                    .into_iter()
                    .filter_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(row) => {
                            row.get(0).map(str::to_string)
                        }
                        _ => None,
                    })
                    .collect())
            }
            Db::MySql(conn) => conn
                .query::<String, _>(sql)
                .await
                .map_err(|e| classify_my(&e)),
        }
    }

    /// One statement, committed on its own.
    pub async fn execute(&mut self, sql: &str) -> Result<(), DbError> {
        match self {
            Db::Postgres(client) => client.batch_execute(sql).await.map_err(|e| classify_pg(&e)),
            Db::MySql(conn) => conn.query_drop(sql).await.map_err(|e| classify_my(&e)),
        }
    }

    /// Steps applied all or none.
    pub async fn transaction(&mut self, steps: &[Step]) -> Result<(), DbError> {
        if steps.is_empty() {
            return Ok(());
        }
        match self {
            Db::Postgres(client) => {
                if steps.iter().all(|s| matches!(s, Step::Sql(_))) {
                    // One simple-query message: PostgreSQL runs its statements as one
                    // transaction and rolls all back when one fails, in one round trip.
                    let text: Vec<&str> = steps
                        .iter()
                        .filter_map(|s| match s {
                            Step::Sql(sql) => Some(sql.as_str()),
                            Step::Copy { .. } => None,
                        })
                        .collect();
                    return client
                        .batch_execute(&text.join(";\n"))
                        .await
                        .map_err(|e| classify_pg(&e));
                }
                let tx = client.transaction().await.map_err(|e| classify_pg(&e))?;
                for step in steps {
                    match step {
                        Step::Sql(sql) => {
                            tx.batch_execute(sql).await.map_err(|e| classify_pg(&e))?
                        }
                        Step::Copy { statement, data } => {
                            use futures_util::SinkExt;
                            let sink = tx
                                .copy_in::<_, bytes::Bytes>(statement.as_str())
                                .await
                                .map_err(|e| classify_pg(&e))?;
                            futures_util::pin_mut!(sink);
                            sink.send(bytes::Bytes::copy_from_slice(data.as_bytes()))
                                .await
                                .map_err(|e| classify_pg(&e))?;
                            sink.finish().await.map_err(|e| classify_pg(&e))?;
                        }
                    }
                }
                // Dropped without commit on any error above: rolled back.
                tx.commit().await.map_err(|e| classify_pg(&e))
            }
            Db::MySql(conn) => {
                conn.query_drop("START TRANSACTION")
                    .await
                    .map_err(|e| classify_my(&e))?;
                for step in steps {
                    let Step::Sql(statement) = step else {
                        let _ = conn.query_drop("ROLLBACK").await;
                        return Err(DbError::Statement("COPY is PostgreSQL's alone".into()));
                    };
                    if let Err(e) = conn.query_drop(statement).await {
                        let error = classify_my(&e);
                        if matches!(error, DbError::Statement(_)) {
                            let _ = conn.query_drop("ROLLBACK").await;
                        }
                        return Err(error);
                    }
                }
                conn.query_drop("COMMIT").await.map_err(|e| classify_my(&e))
            }
        }
    }

    pub async fn close(self) {
        if let Db::MySql(conn) = self {
            let _ = conn.disconnect().await;
        }
    }
}

/// A PostgreSQL error with the server's own message and code when there is one.
fn pg_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!(
            "{} (SQLSTATE {}){}",
            db.message(),
            db.code().code(),
            db.detail().map(|d| format!(": {d}")).unwrap_or_default()
        ),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text.push_str(": ");
                text.push_str(&s.to_string());
                source = s.source();
            }
            text
        }
    }
}

fn classify_pg(e: &tokio_postgres::Error) -> DbError {
    let text = pg_error(e);
    match e.code().map(|c| c.code()) {
        Some(code)
            if code.starts_with("08")
                || code.starts_with("57P")
                || code == "40001"
                || code == "40P01" =>
        {
            DbError::Connection(text)
        }
        Some(_) => DbError::Statement(text),
        None => DbError::Connection(text),
    }
}

fn classify_my(e: &mysql_async::Error) -> DbError {
    match e {
        // Lock wait timeout, deadlock, connection killed, server shutting down.
        mysql_async::Error::Server(s) if matches!(s.code, 1205 | 1213 | 1927 | 1053 | 4031) => {
            DbError::Connection(e.to_string())
        }
        mysql_async::Error::Server(_) => DbError::Statement(e.to_string()),
        _ => DbError::Connection(e.to_string()),
    }
}
