//! Streaming: the server's binlog read as a replica reads it, each row change of a captured
//! table turned into an event.
//!
//! The offset of every event says where a restart reads from, as Debezium's does: the start of
//! the event's transaction (`pos`), how many row events of it are done (`event`) and how many
//! rows of the current one (`row`). A restart skips exactly those, so nothing is sent twice and
//! nothing is missed even when a transaction was cut in the middle.

use std::collections::BTreeMap;

use ferry_api::{ConnectError, Result, SourceRecord, Value};
use futures_util::StreamExt;
use mysql_async::binlog::events::{EventData, RowsEventData, TableMapEvent};
use mysql_async::binlog::value::BinlogValue;
use mysql_async::prelude::Queryable;
use mysql_async::{BinlogStream, BinlogStreamRequest, Conn};
use tokio::sync::{mpsc, watch};

use crate::catalog::Catalog;
use crate::config::{Handling, MySqlConfig};
use crate::event::{Events, Op, Position};
use crate::schema::TableSchemas;
use crate::schema_change::SchemaChanges;
use crate::table::Table;
use crate::values::{to_connect, Origin};

/// Where to read from and what to skip there.
#[derive(Debug, Clone)]
pub struct Resume {
    pub file: String,
    pub pos: u64,
    pub events_to_skip: u64,
    pub rows_to_skip: u64,
    /// MariaDB's GTIDs of the transactions done (`domain-server-sequence`, one per domain).
    pub gtids: Option<String>,
}

fn stream_error(e: mysql_async::Error) -> ConnectError {
    ConnectError::Retriable(format!("reading the binlog failed: {e}"))
}

/// MariaDB's GTID event (it has no name in the binlog decoder).
const MARIADB_GTID_EVENT: u8 = 0xa2;

/// A MariaDB GTID: `domain-server-sequence`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Gtid {
    domain: u32,
    server: u32,
    sequence: u64,
}

impl Gtid {
    /// From a GTID event's body (sequence: 8 bytes, domain: 4, flags: 1, little-endian), and
    /// whether the group is standalone (no BEGIN/COMMIT around it).
    fn from_event(data: &[u8], server: u32) -> Option<(Gtid, bool)> {
        let sequence = u64::from_le_bytes(data.get(0..8)?.try_into().ok()?);
        let domain = u32::from_le_bytes(data.get(8..12)?.try_into().ok()?);
        let flags = *data.get(12)?;
        Some((
            Gtid {
                domain,
                server,
                sequence,
            },
            flags & 1 != 0,
        ))
    }
}

impl std::fmt::Display for Gtid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}-{}", self.domain, self.server, self.sequence)
    }
}

/// The last GTID done per domain, written as MariaDB's `gtid_binlog_pos` and Debezium's
/// `gtids` offset: `0-1-132,1-2-7`.
#[derive(Debug, Default, Clone)]
struct GtidSet(BTreeMap<u32, Gtid>);

impl GtidSet {
    fn parse(text: Option<&str>) -> GtidSet {
        let mut set = GtidSet::default();
        for part in text.unwrap_or("").split(',') {
            let mut it = part.trim().splitn(3, '-');
            let parsed = (|| {
                Some(Gtid {
                    domain: it.next()?.parse().ok()?,
                    server: it.next()?.parse().ok()?,
                    sequence: it.next()?.parse().ok()?,
                })
            })();
            if let Some(g) = parsed {
                set.done(g);
            }
        }
        set
    }

    fn done(&mut self, gtid: Gtid) {
        self.0.insert(gtid.domain, gtid);
    }

    fn to_text(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| {
            self.0
                .values()
                .map(Gtid::to_string)
                .collect::<Vec<_>>()
                .join(",")
        })
    }
}

/// Reads the binlog from `resume` and sends events until `stop` or an error. `position` is
/// kept up to date with the last event sent, so that after an error the caller can resume
/// from it.
#[allow(clippy::too_many_arguments)]
pub async fn stream(
    conn: Conn,
    meta: &mut Conn,
    config: &MySqlConfig,
    events: &Events,
    changes: &SchemaChanges,
    catalog: &mut Catalog,
    resume: &mut Resume,
    out: &mpsc::Sender<Vec<SourceRecord>>,
    stop: &mut watch::Receiver<bool>,
) -> Result<()> {
    let filename = resume.file.clone().into_bytes();
    let request = BinlogStreamRequest::new(config.server_id)
        .with_filename(&filename)
        .with_pos(resume.pos);
    // MySQL's versions are below 10, MariaDB's from 10 on.
    let mariadb = meta.server_version() >= (10, 0, 0);
    let mut conn = conn;
    if mariadb {
        // As a MariaDB replica that knows GTIDs: each transaction then starts with a GTID
        // event (in place of its BEGIN), which Debezium's offsets and `source.gtid` carry.
        conn.query_drop("SET @mariadb_slave_capability = 4")
            .await
            .map_err(stream_error)?;
    }
    let mut binlog: BinlogStream = conn
        .get_binlog_stream(request)
        .await
        .map_err(stream_error)?;
    tracing::info!(file = %resume.file, pos = resume.pos, "reading the binlog");
    let mut file = resume.file.clone();
    let mut first_rotate = true;
    // Where the current transaction began, and what of it is done.
    let mut tx_start = resume.pos;
    let start_pos = resume.pos;
    let mut skip_events = resume.events_to_skip;
    let mut skip_rows = resume.rows_to_skip;
    let mut events_done: u64 = 0;
    let mut thread: Option<i64> = None;
    let mut in_tx = false;
    // The GTIDs of the transactions done, per domain, and the current transaction's.
    let mut gtids = GtidSet::parse(resume.gtids.as_deref());
    let mut current_gtid: Option<Gtid> = None;
    // Where the current GTID event was: a standalone statement (a DDL) starts there.
    let mut gtid_event_pos: Option<u64> = None;
    let mut batch: Vec<SourceRecord> = Vec::new();
    let mut pending: Option<Resume> = None;
    let beat_every = std::time::Duration::from_millis(config.heartbeat_interval_ms.max(1));
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + beat_every, beat_every);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let next = tokio::select! {
            next = binlog.next() => next,
            _ = stop.changed() => None,
            _ = beat.tick(), if config.heartbeat_interval_ms > 0 => {
                if batch.is_empty() {
                    let at = Position {
                        file: resume.file.clone(),
                        pos: resume.pos,
                        events_to_skip: resume.events_to_skip,
                        gtids: resume.gtids.clone(),
                        ts_ms: chrono::Utc::now().timestamp_millis(),
                        ..Position::default()
                    };
                    batch.push(events.heartbeat(&at, at.ts_ms));
                    flush(out, &mut batch).await?;
                }
                continue;
            }
        };
        let Some(event) = next else {
            if *stop.borrow() {
                break;
            }
            // The server ended the stream (a shutdown or restart): what was read goes out, then
            // the caller reconnects and continues from it.
            flush(out, &mut batch).await?;
            if let Some(here) = pending.take() {
                *resume = here;
            }
            let _ = binlog.close().await;
            return Err(ConnectError::Retriable(
                "the server ended the binlog stream (shutting down or restarting?)".into(),
            ));
        };
        let event = event.map_err(stream_error)?;
        let header = event.header();
        let next_pos = header.log_pos() as u64;
        let event_pos = next_pos.saturating_sub(header.event_size() as u64);
        let data = event
            .read_data()
            .map_err(|e| ConnectError::Other(format!("cannot decode a binlog event: {e}")))?;
        // Debezium's bookkeeping, so that offsets mean the same to both: outside a transaction
        // a restart reads from the next event; inside one from its start, skipping the events
        // of it already done (the BEGIN included) and the rows of the next event already sent.
        // The events to skip are counted from the transaction's first event: what the server
        // sends before it on connecting (its artificial rotate and format description, which
        // have no position, or one before the start) does not count.
        let counted = header.log_pos() != 0 && event_pos >= start_pos;
        let skipping = counted && skip_events > 0;
        if skipping {
            skip_events -= 1;
        }
        // The server's artificial events (the first rotate, the format description) have no
        // position.
        if !in_tx && next_pos > 0 {
            tx_start = next_pos;
            events_done = 0;
        }
        match data {
            Some(EventData::RotateEvent(rotate)) => {
                // The server's first rotate of a connection names the file asked for; it comes
                // before the format description that says whether events end with a checksum, so
                // its name may carry one: the file asked for is kept. Every later rotate moves on
                // (with a position of 0 too when the server switched files on a restart).
                if std::mem::replace(&mut first_rotate, false) && header.log_pos() == 0 {
                    // the file asked for
                } else {
                    file = String::from_utf8_lossy(rotate.name_raw()).into_owned();
                }
                tx_start = rotate.position();
                events_done = 0;
            }
            Some(EventData::QueryEvent(query)) => {
                let sql = query.query();
                if !mariadb {
                    // MariaDB's GTID events start its transactions, without a thread id.
                    thread = Some(query.thread_id() as i64);
                }
                if sql.eq_ignore_ascii_case("BEGIN") {
                    in_tx = true;
                    tx_start = event_pos;
                    events_done = 0;
                } else {
                    let ends_group = sql.eq_ignore_ascii_case("COMMIT") || !in_tx;
                    if crate::ddl::is_ddl(&sql) {
                        // In the history, a statement is placed where its group began, with
                        // the events before it done (Debezium's position); its event carries
                        // the restart point after it.
                        let server_id = header.server_id() as i64;
                        let ts_ms = header.timestamp() as i64 * 1000;
                        let (start, before) = match (in_tx, gtid_event_pos) {
                            (true, _) => (tx_start, events_done),
                            (false, Some(p)) => (p, 1),
                            (false, None) => (event_pos, 0),
                        };
                        let history_at = Position {
                            file: file.clone(),
                            pos: start,
                            events_to_skip: before,
                            server_id,
                            gtids: gtids.to_text(),
                            ts_ms,
                            ..Position::default()
                        };
                        let mut done = gtids.clone();
                        if let (true, Some(g)) = (ends_group, &current_gtid) {
                            done.done(g.clone());
                        }
                        let at = Position {
                            file: file.clone(),
                            pos: tx_start,
                            events_to_skip: if in_tx { events_done + 1 } else { 0 },
                            event_pos,
                            server_id,
                            thread,
                            gtid: current_gtid.as_ref().map(Gtid::to_string),
                            gtids: done.to_text(),
                            ts_ms,
                            ..Position::default()
                        };
                        catalog
                            .apply_ddl(
                                meta,
                                config,
                                events,
                                changes,
                                &sql,
                                &query.schema(),
                                &at,
                                SchemaChanges::history_position(&history_at),
                                &mut batch,
                            )
                            .await?;
                    }
                    if ends_group {
                        gtid_event_pos = None;
                        // The end of a non-transactional group, or a standalone statement.
                        if let Some(g) = current_gtid.take() {
                            gtids.done(g);
                        }
                        if in_tx {
                            in_tx = false;
                            tx_start = next_pos;
                            events_done = 0;
                        }
                    }
                }
            }
            None if header.event_type_raw() == MARIADB_GTID_EVENT => {
                if let Some((gtid, standalone)) = Gtid::from_event(event.data(), header.server_id())
                {
                    // Starts a transaction; a standalone one (a DDL) has no commit event.
                    in_tx = !standalone;
                    tx_start = event_pos;
                    events_done = 0;
                    current_gtid = Some(gtid);
                    gtid_event_pos = Some(event_pos);
                }
            }
            Some(EventData::XidEvent(_)) => {
                if let Some(g) = current_gtid.take() {
                    gtids.done(g);
                }
                in_tx = false;
                tx_start = next_pos;
                events_done = 0;
                // A transaction ends: what it produced goes out together.
                flush(out, &mut batch).await?;
                pending = None;
            }
            Some(EventData::RowsEvent(rows)) if !skipping => {
                if let Some(tme) = binlog.get_tme(rows.table_id()) {
                    let id = format!("{}.{}", tme.database_name(), tme.table_name());
                    let known = catalog.tables.get(&id);
                    if known.is_none()
                        && config
                            .filters
                            .table(&tme.database_name(), &tme.table_name())
                    {
                        unknown_table(config.inconsistent_schema, &id, &file, event_pos)?;
                    }
                    let known = match known {
                        // A structure that does not fit the row event would mis-read it.
                        Some((table, _)) if tme.columns_count() != table.columns.len() as u64 => {
                            unknown_table(
                                config.inconsistent_schema,
                                &format!(
                                    "{id} (the binlog has {} columns, the known structure {})",
                                    tme.columns_count(),
                                    table.columns.len()
                                ),
                                &file,
                                event_pos,
                            )?;
                            None
                        }
                        known => known,
                    };
                    if let Some((table, schemas)) = known {
                        let at = Position {
                            file: file.clone(),
                            pos: tx_start,
                            events_to_skip: events_done,
                            rows_to_skip: 0,
                            event_pos,
                            server_id: header.server_id() as i64,
                            thread,
                            gtid: current_gtid.as_ref().map(Gtid::to_string),
                            gtids: gtids.to_text(),
                            ts_ms: header.timestamp() as i64 * 1000,
                            ..Position::default()
                        };
                        row_events(
                            events,
                            table,
                            schemas,
                            &rows,
                            tme,
                            at,
                            skip_rows,
                            config.event_failure,
                            &mut batch,
                        )?;
                    }
                }
                skip_rows = 0;
            }
            _ => {}
        }
        events_done += 1;
        // Where a reconnection would continue, once what was read so far is sent.
        let here = Resume {
            file: file.clone(),
            pos: tx_start,
            events_to_skip: events_done,
            rows_to_skip: 0,
            gtids: gtids.to_text(),
        };
        if batch.len() >= config.max_batch {
            flush(out, &mut batch).await?;
        }
        if batch.is_empty() {
            *resume = here;
        } else {
            pending = Some(here);
        }
    }
    flush(out, &mut batch).await?;
    if let Some(here) = pending {
        *resume = here;
    }
    let _ = binlog.close().await;
    Ok(())
}

/// The events of one rows event, from its row `skip` on.
#[allow(clippy::too_many_arguments)]
fn row_events(
    events: &Events,
    table: &Table,
    schemas: &TableSchemas,
    rows: &RowsEventData<'_>,
    tme: &TableMapEvent<'_>,
    at: Position,
    skip: u64,
    failure: Handling,
    batch: &mut Vec<SourceRecord>,
) -> Result<()> {
    let op = match rows {
        RowsEventData::WriteRowsEvent(_) | RowsEventData::WriteRowsEventV1(_) => Op::Create,
        RowsEventData::UpdateRowsEvent(_)
        | RowsEventData::UpdateRowsEventV1(_)
        | RowsEventData::PartialUpdateRowsEvent(_) => Op::Update,
        RowsEventData::DeleteRowsEvent(_) | RowsEventData::DeleteRowsEventV1(_) => Op::Delete,
    };
    let now = chrono::Utc::now().timestamp_millis();
    for (index, pair) in rows.rows(tme).enumerate() {
        if (index as u64) < skip {
            continue;
        }
        let decoded = pair
            .map_err(|e| ConnectError::Data(format!("cannot decode a row of {}: {e}", table.id())))
            .and_then(|(before, after)| {
                let before = before.map(|r| row_values(table, schemas, r)).transpose()?;
                let after = after.map(|r| row_values(table, schemas, r)).transpose()?;
                Ok((before, after))
            });
        let (before, after) = match (decoded, failure) {
            (Ok(rows), _) => rows,
            (Err(e), Handling::Fail) => {
                return Err(ConnectError::Data(format!(
                    "{e} (binlog {}:{}, row {index}); set event.processing.failure.handling.mode to warn or skip to pass over such rows",
                    at.file, at.event_pos
                )))
            }
            (Err(e), Handling::Warn) => {
                tracing::warn!(file = %at.file, pos = at.event_pos, row = index, "{e}; the row is skipped (event.processing.failure.handling.mode=warn)");
                continue;
            }
            (Err(_), Handling::Skip) => continue,
        };
        let mut position = at.clone();
        position.row = index as i32;
        position.rows_to_skip = index as u64 + 1;
        events.change(
            table,
            schemas,
            op,
            before.as_deref(),
            after.as_deref(),
            &position,
            now,
            batch,
        )?;
    }
    Ok(())
}

fn row_values(
    table: &Table,
    schemas: &TableSchemas,
    row: mysql_async::binlog::row::BinlogRow,
) -> Result<Vec<Value>> {
    let raw = row.unwrap();
    let mut values = Vec::with_capacity(raw.len());
    for (i, v) in raw.into_iter().enumerate() {
        let (Some(Some(repr)), Some(column)) = (schemas.reprs.get(i), table.columns.get(i)) else {
            values.push(Value::Null);
            continue;
        };
        let value = match v {
            BinlogValue::Value(v) => v,
            BinlogValue::Jsonb(j) => {
                let json: serde_json::Value = j.try_into().map_err(|e| {
                    ConnectError::Data(format!("column {}: bad JSON in the binlog: {e:?}", column.name))
                })?;
                mysql_async::Value::Bytes(json.to_string().into_bytes())
            }
            BinlogValue::JsonDiff(_) => {
                return Err(ConnectError::Data(format!(
                    "column {}: partial JSON updates (binlog_row_value_options=PARTIAL_JSON) are not supported",
                    column.name
                )))
            }
        };
        values.push(to_connect(column, *repr, value, Origin::Binlog)?);
    }
    Ok(values)
}

/// A change of a captured table whose structure is not known, handled as
/// `inconsistent.schema.handling.mode` says.
fn unknown_table(mode: Handling, id: &str, file: &str, pos: u64) -> Result<()> {
    let what = format!("a change of the captured table {id} was read at {file}:{pos}, but the structure of that table at that point is not known (it is missing from the schema history or does not match the binlog)");
    match mode {
        Handling::Fail => Err(ConnectError::Other(format!(
            "{what}; set inconsistent.schema.handling.mode to warn or skip to pass over such changes, or snapshot.mode to recovery to rebuild the history from the tables' current structure"
        ))),
        Handling::Warn => {
            tracing::warn!("{what}; the change is skipped (inconsistent.schema.handling.mode=warn)");
            Ok(())
        }
        Handling::Skip => Ok(()),
    }
}

async fn flush(out: &mpsc::Sender<Vec<SourceRecord>>, batch: &mut Vec<SourceRecord>) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    out.send(std::mem::take(batch))
        .await
        .map_err(|_| ConnectError::Other("the task stopped".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mariadb_gtids_are_read_and_kept_per_domain() {
        let mut body = 132u64.to_le_bytes().to_vec();
        body.extend(0u32.to_le_bytes());
        body.push(0);
        let (gtid, standalone) = Gtid::from_event(&body, 1).expect("a GTID");
        assert_eq!(gtid.to_string(), "0-1-132");
        assert!(!standalone);
        let mut set = GtidSet::parse(Some("0-1-100,1-2-7"));
        set.done(gtid);
        assert_eq!(set.to_text().as_deref(), Some("0-1-132,1-2-7"));
        assert_eq!(GtidSet::parse(None).to_text(), None);
    }
}
