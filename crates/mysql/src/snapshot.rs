//! The initial snapshot: every captured table read in one consistent transaction, its rows sent
//! as `op: r` events in batches (never a whole table in memory), with the binlog position the
//! snapshot corresponds to, from which streaming continues.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ferry_api::{ConnectError, Result, SnapshotProgress, SourceRecord, Value};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use tokio::sync::mpsc;

use crate::config::MySqlConfig;
use crate::ddl::ChangeKind;
use crate::event::{Events, Op, Position};
use crate::filters::is_system_database;
use crate::schema::TableSchemas;
use crate::schema_change::{SchemaChanges, Statement};
use crate::table::{self, quote, Table};
use crate::table_changes::TableChange;
use crate::values::{to_connect, Origin};

/// How often progress is logged while a table is read.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

fn db_error(what: &str, e: mysql_async::Error) -> ConnectError {
    ConnectError::Retriable(format!("{what}: {e}"))
}

/// Where the binlog stood when the snapshot's transaction began.
#[derive(Debug, Clone)]
pub struct BinlogPoint {
    pub file: String,
    pub pos: u64,
    /// MariaDB's GTID position there (`@@gtid_binlog_pos`), when the server has one.
    pub gtids: Option<String>,
}

/// Starts the snapshot's transaction and returns the binlog position it corresponds to. MariaDB
/// tells it without a lock (`binlog_snapshot_file`/`_position`); MySQL needs the global read
/// lock held while the transaction starts.
async fn begin(conn: &mut Conn) -> Result<BinlogPoint> {
    conn.query_drop("SET SESSION time_zone = '+00:00'")
        .await
        .map_err(|e| db_error("cannot set the session's time zone", e))?;
    conn.query_drop("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .await
        .map_err(|e| db_error("cannot set the isolation level", e))?;
    let version: Option<String> = conn
        .query_first("SELECT VERSION()")
        .await
        .map_err(|e| db_error("cannot read the server version", e))?;
    let mariadb = version.is_some_and(|v| v.contains("MariaDB"));
    if mariadb {
        conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT")
            .await
            .map_err(|e| db_error("cannot start the snapshot transaction", e))?;
        let status: Vec<(String, String)> = conn
            .query("SHOW STATUS LIKE 'binlog_snapshot_%'")
            .await
            .map_err(|e| db_error("cannot read the snapshot's binlog position", e))?;
        let get = |name: &str| {
            status
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let file = get("binlog_snapshot_file").filter(|f| !f.is_empty());
        let pos = get("binlog_snapshot_position").and_then(|p| p.parse().ok());
        return match (file, pos) {
            (Some(file), Some(pos)) => {
                let gtids: Option<String> = conn
                    .query_first("SELECT @@gtid_binlog_pos")
                    .await
                    .ok()
                    .flatten()
                    .filter(|g: &String| !g.is_empty());
                Ok(BinlogPoint { file, pos, gtids })
            }
            _ => Err(ConnectError::Other(
                "the binary log is not enabled on the server (log_bin): change data capture reads it"
                    .into(),
            )),
        };
    }
    conn.query_drop("FLUSH TABLES WITH READ LOCK")
        .await
        .map_err(|e| {
            db_error(
                "cannot take the global read lock for the snapshot (RELOAD privilege)",
                e,
            )
        })?;
    let point = master_status(conn).await;
    let started = conn
        .query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        .await
        .map_err(|e| db_error("cannot start the snapshot transaction", e));
    conn.query_drop("UNLOCK TABLES")
        .await
        .map_err(|e| db_error("cannot release the global read lock", e))?;
    started?;
    point
}

/// The server's current binlog file and position.
pub async fn master_status(conn: &mut Conn) -> Result<BinlogPoint> {
    let row: Option<mysql_async::Row> = conn
        .query_first("SHOW MASTER STATUS")
        .await
        .map_err(|e| db_error("cannot read the binlog position (SHOW MASTER STATUS)", e))?;
    let row = row.ok_or_else(|| {
        ConnectError::Other(
            "the binary log is not enabled on the server (log_bin): change data capture reads it"
                .into(),
        )
    })?;
    let file: Option<String> = row.get(0);
    let pos: Option<u64> = row.get(1);
    match (file, pos) {
        (Some(file), Some(pos)) => Ok(BinlogPoint {
            file,
            pos,
            gtids: None,
        }),
        _ => Err(ConnectError::Other(
            "SHOW MASTER STATUS gave no position".into(),
        )),
    }
}

/// The captured tables, with their structure.
pub async fn captured_tables(conn: &mut Conn, config: &MySqlConfig) -> Result<Vec<Table>> {
    let mut tables = Vec::new();
    for (db, name) in table::list(conn).await? {
        if !config.filters.table(&db, &name) {
            continue;
        }
        let loaded =
            table::load(conn, &db, &name, |c| config.filters.column(&db, &name, c)).await?;
        if let Some(t) = loaded {
            tables.push(t);
        }
    }
    Ok(tables)
}

/// The structure of the tables as a snapshot records it, before any row, in Debezium's order:
/// the server's character set; a `DROP TABLE` for each table; per database `DROP DATABASE`,
/// `CREATE DATABASE`, `USE` and each table's `SHOW CREATE TABLE`. The history gets the
/// captured tables (every table of the server's databases unless
/// `schema.history.internal.store.only.captured.tables.ddl`), the schema change topic only the
/// captured ones. `at` is the snapshot's position; `history_at` the one the history records.
#[allow(clippy::too_many_arguments)]
pub async fn record_schema(
    conn: &mut Conn,
    config: &MySqlConfig,
    events: &Events,
    changes: &SchemaChanges,
    captured: &[Table],
    at: &Position,
    history_at: &serde_json::Value,
    out: &mpsc::Sender<Vec<SourceRecord>>,
) -> Result<()> {
    let mut tables: Vec<(Table, bool)> = captured.iter().map(|t| (t.clone(), true)).collect();
    if !changes.captured_only {
        for (db, name) in table::list(conn).await? {
            let system = is_system_database(&db);
            if system || config.filters.table(&db, &name) {
                continue;
            }
            if let Some(t) = table::load(conn, &db, &name, |_| true).await? {
                tables.push((t, false));
            }
        }
        tables.sort_by(|a, b| (&a.0.db, &a.0.name).cmp(&(&b.0.db, &b.0.name)));
    }
    let server: Option<(String, String)> = conn
        .query_first("SELECT @@character_set_server, @@collation_server")
        .await
        .map_err(|e| db_error("cannot read the server's character set", e))?;
    let (charset, collation) = server.unwrap_or_default();
    let mut batch = Vec::new();
    let mut statements = vec![Statement {
        db: String::new(),
        table: None,
        ddl: format!("SET character_set_server={charset}, collation_server={collation}"),
        changes: Vec::new(),
        to_history: true,
        to_topic: true,
    }];
    for (t, captured) in &tables {
        statements.push(Statement {
            db: t.db.clone(),
            table: Some(t.name.clone()),
            ddl: format!("DROP TABLE IF EXISTS {}.{}", quote(&t.db), quote(&t.name)),
            changes: vec![TableChange {
                kind: ChangeKind::Drop,
                db: t.db.clone(),
                name: t.name.clone(),
                table: None,
            }],
            to_history: true,
            to_topic: *captured,
        });
    }
    let mut databases: Vec<&str> = tables.iter().map(|(t, _)| t.db.as_str()).collect();
    databases.dedup();
    for db in databases {
        let any_captured = tables.iter().any(|(t, c)| *c && t.db == db);
        let defaults: Option<(String, String)> = conn
            .exec_first(
                "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
                (db,),
            )
            .await
            .map_err(|e| db_error(&format!("cannot read the character set of database {db}"), e))?;
        let Some((db_charset, db_collation)) = defaults else {
            tracing::warn!(
                database = db,
                "the database was dropped while the snapshot read the structure of the tables; it is left out of the schema history (its DROP follows in the binlog)"
            );
            continue;
        };
        for ddl in [
            format!("DROP DATABASE IF EXISTS {}", quote(db)),
            format!(
                "CREATE DATABASE {} CHARSET {db_charset} COLLATE {db_collation}",
                quote(db)
            ),
            format!("USE {}", quote(db)),
        ] {
            statements.push(Statement {
                db: db.to_string(),
                table: None,
                ddl,
                changes: Vec::new(),
                to_history: !changes.captured_only,
                to_topic: any_captured,
            });
        }
        for (t, captured) in tables.iter().filter(|(t, _)| t.db == db) {
            let Some(ddl) = table::show_create(conn, &t.db, &t.name).await? else {
                tracing::warn!(
                    table = %t.id(),
                    "the table was dropped while the snapshot read the structure of the tables; it is left out of the schema history (its DROP follows in the binlog)"
                );
                continue;
            };
            statements.push(Statement {
                db: t.db.clone(),
                table: Some(t.name.clone()),
                ddl,
                changes: vec![TableChange {
                    kind: ChangeKind::Create,
                    db: t.db.clone(),
                    name: t.name.clone(),
                    table: Some(t.clone()),
                }],
                to_history: true,
                to_topic: *captured,
            });
        }
    }
    for statement in statements {
        let mut position = at.clone();
        position.ts_ms = chrono::Utc::now().timestamp_millis();
        changes
            .record(events, &position, history_at.clone(), statement, &mut batch)
            .await?;
    }
    tracing::info!(
        tables = tables.len(),
        "the tables' structure is recorded in the schema history"
    );
    send(out, &mut batch).await
}

/// The snapshot marker of a record: Debezium marks the first and last record of the whole
/// snapshot and of each table.
fn marker(
    first_overall: bool,
    first_in_table: bool,
    last_in_table: bool,
    last_table: bool,
) -> &'static str {
    match (first_overall, first_in_table, last_in_table, last_table) {
        (true, ..) => "first",
        (_, _, true, true) => "last",
        (_, true, _, _) => "first_in_data_collection",
        (_, _, true, false) => "last_in_data_collection",
        _ => "true",
    }
}

/// Reads every row of the captured tables and sends their events; returns where streaming
/// continues. `schemas` receives each table's schemas for the streaming to reuse.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    conn: &mut Conn,
    config: &MySqlConfig,
    events: &Events,
    tables: &[Table],
    schemas: &BTreeMap<String, TableSchemas>,
    changes: &SchemaChanges,
    read_rows: bool,
    out: &mpsc::Sender<Vec<SourceRecord>>,
    progress: &SnapshotProgress,
) -> Result<BinlogPoint> {
    // The tables whose rows are read, as the status API's progress lists them.
    let to_read: Vec<String> = if read_rows {
        tables
            .iter()
            .map(Table::id)
            .filter(|id| schemas.contains_key(id))
            .collect()
    } else {
        Vec::new()
    };
    progress.begin(to_read);
    let point = begin(conn).await?;
    tracing::info!(
        file = %point.file,
        pos = point.pos,
        tables = tables.len(),
        "snapshot started; streaming will continue from this binlog position"
    );
    let started_ms = chrono::Utc::now().timestamp_millis();
    let position = Position {
        file: point.file.clone(),
        pos: point.pos,
        gtids: point.gtids.clone(),
        event_pos: point.pos,
        ts_ms: started_ms,
        snapshot: Some("true"),
        ..Position::default()
    };
    let history_at = SchemaChanges::history_position(&position);
    record_schema(
        conn,
        config,
        events,
        changes,
        tables,
        &position,
        &history_at,
        out,
    )
    .await?;
    let mut out_rows = SnapshotRows {
        events,
        schemas,
        position,
        batch: Vec::with_capacity(config.max_batch),
        first_overall: true,
    };
    // A row is held until the next one shows whether it was the last of its table.
    let mut held: Option<Held> = None;
    let tables_with_rows: Vec<usize> = (0..tables.len()).collect();
    if read_rows {
        for (n, &ti) in tables_with_rows.iter().enumerate() {
            let table = &tables[ti];
            let Some(ts) = schemas.get(&table.id()) else {
                continue;
            };
            let estimate: Option<u64> = conn
                .exec_first(
                    "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
                    (&table.db, &table.name),
                )
                .await
                .ok()
                .flatten();
            tracing::info!(table = %table.id(), estimated_rows = estimate.unwrap_or(0), "snapshot of a table started");
            progress.table_started(&table.id(), estimate);
            let sql = match config.snapshot_selects.get(&table.id()) {
                Some(select) => {
                    tracing::info!(table = %table.id(), select = %select, "the snapshot reads the table with snapshot.select.statement.overrides");
                    select.clone()
                }
                None => format!(
                    "SELECT * FROM {}.{}",
                    table::quote(&table.db),
                    table::quote(&table.name)
                ),
            };
            let mut result = conn
                .exec_iter(sql, ())
                .await
                .map_err(|e| db_error(&format!("cannot read {}", table.id()), e))?;
            let mut rows_done: u64 = 0;
            let mut last_log = Instant::now();
            let mut first_in_table = true;
            while let Some(row) = result
                .next()
                .await
                .map_err(|e| db_error(&format!("cannot read {}", table.id()), e))?
            {
                let raw = row.unwrap_raw();
                let mut values = Vec::with_capacity(raw.len());
                for (i, v) in raw.into_iter().enumerate() {
                    match (ts.reprs.get(i).copied().flatten(), table.columns.get(i)) {
                        (Some(repr), Some(column)) => values.push(to_connect(
                            column,
                            repr,
                            v.unwrap_or(mysql_async::Value::NULL),
                            Origin::Query,
                        )?),
                        _ => values.push(Value::Null),
                    }
                }
                if let Some(previous) = held.take() {
                    out_rows.emit(table, previous, false, false)?;
                }
                held = Some(Held {
                    values,
                    first_in_table,
                });
                first_in_table = false;
                rows_done += 1;
                if out_rows.batch.len() >= config.max_batch {
                    send(out, &mut out_rows.batch).await?;
                    progress.rows(rows_done);
                }
                if last_log.elapsed() >= PROGRESS_EVERY {
                    last_log = Instant::now();
                    tracing::info!(table = %table.id(), rows = rows_done, estimated_rows = estimate.unwrap_or(0), "snapshot in progress");
                }
            }
            // The held record was the last of its table.
            if let Some(last) = held.take() {
                let last_table = n + 1 == tables_with_rows.len();
                out_rows.emit(table, last, true, last_table)?;
            }
            tracing::info!(table = %table.id(), rows = rows_done, "snapshot of a table done");
            progress.table_done(rows_done);
        }
    }
    conn.query_drop("COMMIT")
        .await
        .map_err(|e| db_error("cannot end the snapshot transaction", e))?;
    send(out, &mut out_rows.batch).await?;
    progress.completed();
    tracing::info!("snapshot done");
    Ok(point)
}

/// A row read, waiting to learn whether it is the last of its table.
struct Held {
    values: Vec<Value>,
    first_in_table: bool,
}

/// The snapshot's events as they are made, with Debezium's markers.
struct SnapshotRows<'a> {
    events: &'a Events,
    schemas: &'a BTreeMap<String, TableSchemas>,
    position: Position,
    batch: Vec<SourceRecord>,
    first_overall: bool,
}

impl SnapshotRows<'_> {
    fn emit(
        &mut self,
        table: &Table,
        row: Held,
        last_in_table: bool,
        last_table: bool,
    ) -> Result<()> {
        let Some(ts) = self.schemas.get(&table.id()) else {
            return Ok(());
        };
        let first_overall = std::mem::replace(&mut self.first_overall, false);
        self.position.snapshot = Some(marker(
            first_overall && row.first_in_table,
            row.first_in_table,
            last_in_table,
            last_table,
        ));
        self.position.snapshot_completed = last_in_table && last_table;
        let now = chrono::Utc::now().timestamp_millis();
        self.events.change(
            table,
            ts,
            Op::Read,
            None,
            Some(&row.values),
            &self.position,
            now,
            &mut self.batch,
        )
    }
}

async fn send(out: &mpsc::Sender<Vec<SourceRecord>>, batch: &mut Vec<SourceRecord>) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let full = std::mem::take(batch);
    out.send(full)
        .await
        .map_err(|_| ConnectError::Other("the task stopped during the snapshot".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_markers_are_debeziums() {
        assert_eq!(marker(true, true, false, false), "first");
        assert_eq!(
            marker(false, true, false, false),
            "first_in_data_collection"
        );
        assert_eq!(marker(false, false, false, false), "true");
        assert_eq!(marker(false, false, true, false), "last_in_data_collection");
        assert_eq!(marker(false, false, true, true), "last");
    }
}
