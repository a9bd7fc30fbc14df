//! The connector's one task: a reader on its own tokio task (snapshot, then the binlog) hands
//! batches of events to `poll` through a bounded channel, so a slow broker slows the reading
//! rather than filling memory.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use ferry_api::{
    ConnectError, OffsetMap, Props, Result, SnapshotProgress, SourceRecord, SourceTask,
    SourceTaskContext,
};
use mysql_async::{Conn, Opts, OptsBuilder};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::binlog::{self, Resume};
use crate::catalog::Catalog;
use crate::config::{Flavor, MySqlConfig, SnapshotMode};
use crate::event::{partition, Events, Position};
use crate::history::{History, HistoryStore};
use crate::schema::{source_schema, TableSchemas};
use crate::schema_change::SchemaChanges;
use crate::server;
use crate::snapshot;

/// Batches waiting for `poll` at most.
const QUEUED_BATCHES: usize = 4;
/// How long `poll` waits for a batch.
const POLL_WAIT: Duration = Duration::from_millis(500);
/// The pause before reconnecting after the connection to the server was lost.
const RECONNECT_FIRST: Duration = Duration::from_millis(500);
const RECONNECT_MAX: Duration = Duration::from_secs(30);

pub struct MySqlSourceTask {
    flavor: Flavor,
    batches: Option<mpsc::Receiver<Vec<SourceRecord>>>,
    reader: Option<JoinHandle<Result<()>>>,
    stop: Option<watch::Sender<bool>>,
}

impl MySqlSourceTask {
    pub fn new(flavor: Flavor) -> MySqlSourceTask {
        MySqlSourceTask {
            flavor,
            batches: None,
            reader: None,
            stop: None,
        }
    }
}

fn opts(config: &MySqlConfig) -> Opts {
    OptsBuilder::default()
        .ip_or_hostname(config.hostname.clone())
        .tcp_port(config.port)
        .user(Some(config.user.clone()))
        .pass(Some(config.password.clone()))
        .prefer_socket(false)
        .into()
}

async fn connect(config: &MySqlConfig) -> Result<Conn> {
    let timeout = Duration::from_millis(config.connect_timeout_ms);
    match tokio::time::timeout(timeout, Conn::new(opts(config))).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(ConnectError::Retriable(format!(
            "cannot connect to {}:{} as {}: {e}",
            config.hostname, config.port, config.user
        ))),
        Err(_) => Err(ConnectError::Retriable(format!(
            "cannot connect to {}:{}: no answer within {} ms",
            config.hostname, config.port, config.connect_timeout_ms
        ))),
    }
}

/// Where streaming starts, from a stored offset: `None` when there is none or the snapshot it
/// belongs to was not finished.
fn resume_from(offset: Option<&OffsetMap>) -> Option<Resume> {
    let o = offset?;
    // Debezium writes the snapshot's type ("INITIAL", "BLOCKING"; once `true`) while it runs,
    // and `snapshot_completed` as a boolean or its text.
    let flag = |key: &str, none: bool| match o.get(key) {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => !s.eq_ignore_ascii_case("false"),
        _ => none,
    };
    let snapshot = flag("snapshot", false);
    let completed = flag("snapshot_completed", false);
    if snapshot && !completed {
        return None;
    }
    Some(Resume {
        file: o.get("file")?.as_str()?.to_string(),
        pos: o.get("pos")?.as_u64()?,
        events_to_skip: o.get("event").and_then(|v| v.as_u64()).unwrap_or(0),
        rows_to_skip: o.get("row").and_then(|v| v.as_u64()).unwrap_or(0),
        gtids: o.get("gtids").and_then(|v| v.as_str()).map(str::to_string),
    })
}

/// The reader: snapshot if needed, then the binlog, reconnecting when the connection drops.
async fn read(
    config: MySqlConfig,
    offset: Option<OffsetMap>,
    out: mpsc::Sender<Vec<SourceRecord>>,
    mut stop: watch::Receiver<bool>,
    progress: SnapshotProgress,
) -> Result<()> {
    let source = source_schema(config.flavor)?;
    let events = Events::new(&config, source.clone())?;
    let mut meta = connect(&config).await?;
    server::check(&mut meta, &config.user).await?;
    let history = History::open(config.history.clone(), &config.topic_prefix).await?;
    let changes = SchemaChanges::new(&config, source.clone(), history)?;
    let stored = match resume_from(offset.as_ref()) {
        Some(r) if !server::binlog_has(&mut meta, &r.file).await? => {
            if config.snapshot_mode != SnapshotMode::WhenNeeded {
                return Err(ConnectError::Config(format!(
                    "The connector is trying to read binlog starting at file {}, position {}, but this is no longer available on the server (the binlog was purged). Reconfigure the connector to take a new snapshot when needed (snapshot.mode=when_needed), or reset its offsets",
                    r.file, r.pos
                )));
            }
            tracing::warn!(file = %r.file, pos = r.pos, "the stored binlog position is no longer on the server (purged); snapshot.mode=when_needed: taking a new snapshot");
            None
        }
        stored => stored,
    };
    let (mut catalog, mut resume) = match stored {
        Some(resume) => {
            tracing::info!(file = %resume.file, pos = resume.pos, "resuming from the stored offset");
            let catalog = tables_at(&mut meta, &config, &events, &changes, &resume, &out).await?;
            (catalog, resume)
        }
        None => {
            let mut tables = snapshot::captured_tables(&mut meta, &config).await?;
            if let (Some(patterns), false) = (
                &config.snapshot_tables,
                config.snapshot_mode == SnapshotMode::Never,
            ) {
                // As Debezium: the snapshot (structure and rows) covers only these tables, and
                // the others' changes meet inconsistent.schema.handling.mode.
                tables.retain(|t| patterns.iter().any(|p| p.is_match(&t.id())));
            }
            log_captured(&tables);
            let catalog = Catalog::new(tables.clone(), &events, &config)?;
            let schemas: BTreeMap<String, TableSchemas> = catalog
                .tables
                .iter()
                .map(|(id, (_, ts))| (id.clone(), ts.clone()))
                .collect();
            let read_rows = config.snapshot_mode.reads_rows();
            let point = if config.snapshot_mode == SnapshotMode::Never {
                snapshot::master_status(&mut meta).await?
            } else {
                let mut conn = connect(&config).await?;
                let point = snapshot::run(
                    &mut conn, &config, &events, &tables, &schemas, &changes, read_rows, &out,
                    &progress,
                )
                .await
                .inspect_err(|_| progress.aborted())?;
                let _ = conn.disconnect().await;
                point
            };
            if config.snapshot_mode == SnapshotMode::InitialOnly {
                tracing::info!(
                    "snapshot.mode=initial_only: the snapshot is done and the binlog is not read"
                );
                let _ = stop.changed().await;
                return Ok(());
            }
            let resume = Resume {
                file: point.file,
                pos: point.pos,
                events_to_skip: 0,
                rows_to_skip: 0,
                gtids: point.gtids,
            };
            (catalog, resume)
        }
    };
    let mut delay = RECONNECT_FIRST;
    while !*stop.borrow() {
        let conn = match connect(&config).await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(retry_in_ms = delay.as_millis() as u64, "{e}; trying again");
                wait(&mut stop, delay).await;
                delay = (delay * 2).min(RECONNECT_MAX);
                continue;
            }
        };
        let before = (resume.file.clone(), resume.pos, resume.events_to_skip);
        match binlog::stream(
            conn,
            &mut meta,
            &config,
            &events,
            &changes,
            &mut catalog,
            &mut resume,
            &out,
            &mut stop,
        )
        .await
        {
            Ok(()) => break,
            Err(e @ ConnectError::Retriable(_)) => {
                // A stream that got somewhere before it broke starts the pauses afresh.
                if before != (resume.file.clone(), resume.pos, resume.events_to_skip) {
                    delay = RECONNECT_FIRST;
                }
                tracing::warn!(file = %resume.file, pos = resume.pos, retry_in_ms = delay.as_millis() as u64, "{e}; reconnecting and continuing from the last event sent");
                wait(&mut stop, delay).await;
                delay = (delay * 2).min(RECONNECT_MAX);
                if let Ok(fresh) = connect(&config).await {
                    meta = fresh;
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn log_captured(tables: &[crate::table::Table]) {
    tracing::info!(
        tables = tables.len(),
        "captured tables: {}",
        tables.iter().map(|t| t.id()).collect::<Vec<_>>().join(", ")
    );
}

/// The captured tables as they stood at the stored offset: rebuilt from the schema history, or,
/// with `snapshot.mode=recovery` or a history kept in memory, read from the server (and, for
/// recovery, written anew to the history at the offset's position).
async fn tables_at(
    meta: &mut Conn,
    config: &MySqlConfig,
    events: &Events,
    changes: &SchemaChanges,
    resume: &Resume,
    out: &mpsc::Sender<Vec<SourceRecord>>,
) -> Result<Catalog> {
    let recovered = if config.snapshot_mode == SnapshotMode::Recovery {
        None
    } else {
        changes.history.recover(resume, &config.filters).await?
    };
    if let Some(recovered) = recovered {
        tracing::info!(
            records = recovered.records,
            tables = recovered.tables.len(),
            "table structures rebuilt from the schema history"
        );
        return Catalog::new(recovered.tables.into_values(), events, config);
    }
    let tables = snapshot::captured_tables(meta, config).await?;
    log_captured(&tables);
    match (&config.history, config.snapshot_mode) {
        (HistoryStore::Memory, _) => {}
        (HistoryStore::Kafka { .. }, SnapshotMode::Recovery) => {
            tracing::info!("snapshot.mode=recovery: the tables' current structure is written to the schema history");
            let at = Position {
                file: resume.file.clone(),
                pos: resume.pos,
                gtids: resume.gtids.clone(),
                event_pos: resume.pos,
                ts_ms: chrono::Utc::now().timestamp_millis(),
                snapshot: Some("true"),
                ..Position::default()
            };
            let history_at = SchemaChanges::history_position(&at);
            snapshot::record_schema(
                meta,
                config,
                events,
                changes,
                &tables,
                &at,
                &history_at,
                out,
            )
            .await?;
        }
        (HistoryStore::Kafka { topic, .. }, _) => {
            return Err(ConnectError::Config(format!(
                "The db history topic {topic} is missing or empty, but the connector has an offset to resume from: the structure of the tables at that offset is unknown. Set snapshot.mode=recovery to rebuild the history from the tables' current structure (right when no table changed its structure since), or delete the connector's offsets to take a new snapshot"
            )));
        }
    }
    Catalog::new(tables, events, config)
}

/// Whether the server can be reached with the configuration's credentials and is set up for
/// change data capture (for validate).
pub async fn check_reachable(config: &MySqlConfig) -> Result<()> {
    let mut quick = config.clone();
    quick.connect_timeout_ms = quick.connect_timeout_ms.min(10_000);
    let mut conn = connect(&quick).await?;
    let checked = server::check(&mut conn, &config.user).await;
    let _ = conn.disconnect().await;
    checked
}

async fn wait(stop: &mut watch::Receiver<bool>, delay: Duration) {
    tokio::select! {
        _ = tokio::time::sleep(delay) => {}
        _ = stop.changed() => {}
    }
}

#[async_trait]
impl SourceTask for MySqlSourceTask {
    async fn start(&mut self, props: &Props, context: SourceTaskContext) -> Result<()> {
        let config = MySqlConfig::parse(self.flavor, props)?;
        let offset = context.offsets.offset(&partition(&config.topic_prefix));
        let (tx, rx) = mpsc::channel(QUEUED_BATCHES);
        let (stop_tx, stop_rx) = watch::channel(false);
        self.reader = Some(tokio::spawn(read(
            config,
            offset,
            tx,
            stop_rx,
            context.snapshot.clone(),
        )));
        self.batches = Some(rx);
        self.stop = Some(stop_tx);
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        let Some(batches) = self.batches.as_mut() else {
            return Err(ConnectError::Other("the task is not started".into()));
        };
        match tokio::time::timeout(POLL_WAIT, batches.recv()).await {
            Ok(Some(batch)) => Ok(batch),
            Err(_) => Ok(Vec::new()),
            Ok(None) => {
                // The reader ended: say why.
                let reader = self.reader.take();
                match reader {
                    Some(handle) => match handle.await {
                        Ok(Ok(())) => Ok(Vec::new()),
                        Ok(Err(e)) => Err(e),
                        Err(e) => Err(ConnectError::Other(format!(
                            "the binlog reader stopped: {e}"
                        ))),
                    },
                    None => {
                        tokio::time::sleep(POLL_WAIT).await;
                        Ok(Vec::new())
                    }
                }
            }
        }
    }

    async fn stop(&mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        self.batches = None;
        if let Some(reader) = self.reader.take() {
            if tokio::time::timeout(Duration::from_secs(5), reader)
                .await
                .is_err()
            {
                tracing::warn!("the binlog reader did not stop within 5 s");
            }
        }
        Ok(())
    }
}
