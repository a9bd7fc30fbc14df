//! How a source task tells the runtime how far a long piece of work has come, for the status
//! API and `/metrics`: today a snapshot of tables (a CDC connector's initial read).
//!
//! The handle is cheap to clone and shared with the runtime. A task updates it at its own
//! checkpoints (a table started, a batch of rows read, a table finished), never per record: each
//! update takes a short lock.

use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

/// Where a snapshot stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SnapshotState {
    Running,
    Completed,
    /// Stopped by an error before every table was read.
    Aborted,
}

/// One table (or other collection) of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableProgress {
    /// As the connector names it, e.g. `inventory.orders` or `public.orders`.
    pub table: String,
    /// Rows read from the table so far.
    pub rows_done: u64,
    /// The database's estimate of the table's rows, when it gave one (an estimate: MySQL's
    /// `information_schema.TABLES.TABLE_ROWS`, PostgreSQL's `reltuples`).
    pub rows_estimated: Option<u64>,
    pub done: bool,
}

/// A snapshot's progress as last reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotReport {
    pub state: SnapshotState,
    pub tables: Vec<TableProgress>,
    /// The index in `tables` of the table being read.
    #[serde(skip)]
    pub current: Option<usize>,
    /// Tables finished, when the connector counts them without saying which (Debezium's
    /// snapshot metrics give a remaining count); otherwise counted from `tables[].done`.
    #[serde(skip)]
    pub tables_done: Option<usize>,
}

impl SnapshotReport {
    pub fn tables_done(&self) -> usize {
        self.tables_done
            .unwrap_or_else(|| self.tables.iter().filter(|t| t.done).count())
    }

    pub fn current_table(&self) -> Option<&str> {
        self.current
            .and_then(|i| self.tables.get(i))
            .map(|t| t.table.as_str())
    }

    pub fn rows_done(&self) -> u64 {
        self.tables.iter().map(|t| t.rows_done).sum()
    }

    /// The sum of the estimates known so far; `None` when there is none.
    pub fn rows_estimated(&self) -> Option<u64> {
        self.tables
            .iter()
            .filter_map(|t| t.rows_estimated)
            .reduce(|a, b| a.saturating_add(b))
    }
}

/// A source task's report of its snapshot. Nothing is reported until [`begin`](Self::begin).
#[derive(Debug, Clone, Default)]
pub struct SnapshotProgress {
    report: Arc<Mutex<Option<SnapshotReport>>>,
}

impl SnapshotProgress {
    pub fn new() -> SnapshotProgress {
        SnapshotProgress::default()
    }

    fn lock(&self) -> MutexGuard<'_, Option<SnapshotReport>> {
        // Plain data: usable even if a panic left the lock poisoned.
        self.report.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A snapshot of these tables starts (replacing any earlier report).
    pub fn begin(&self, tables: impl IntoIterator<Item = String>) {
        let tables = tables
            .into_iter()
            .map(|table| TableProgress {
                table,
                rows_done: 0,
                rows_estimated: None,
                done: false,
            })
            .collect();
        *self.lock() = Some(SnapshotReport {
            state: SnapshotState::Running,
            tables,
            current: None,
            tables_done: None,
        });
    }

    /// The reading of `table` starts; `estimate` is the database's guess of its rows. A table
    /// not named at [`begin`](Self::begin) is added.
    pub fn table_started(&self, table: &str, estimate: Option<u64>) {
        let mut guard = self.lock();
        let Some(report) = guard.as_mut() else {
            return;
        };
        let index = match report.tables.iter().position(|t| t.table == table) {
            Some(i) => i,
            None => {
                report.tables.push(TableProgress {
                    table: table.to_string(),
                    rows_done: 0,
                    rows_estimated: None,
                    done: false,
                });
                report.tables.len() - 1
            }
        };
        report.tables[index].rows_estimated = estimate;
        report.current = Some(index);
    }

    /// Rows read so far from the table being read.
    pub fn rows(&self, rows_done: u64) {
        let mut guard = self.lock();
        if let Some(report) = guard.as_mut() {
            if let Some(t) = report.current.and_then(|i| report.tables.get_mut(i)) {
                t.rows_done = rows_done;
            }
        }
    }

    /// The table being read is finished, with this many rows.
    pub fn table_done(&self, rows_done: u64) {
        let mut guard = self.lock();
        if let Some(report) = guard.as_mut() {
            if let Some(t) = report.current.and_then(|i| report.tables.get_mut(i)) {
                t.rows_done = rows_done;
                t.done = true;
            }
            report.current = None;
        }
    }

    pub fn completed(&self) {
        self.finish(SnapshotState::Completed);
    }

    /// The snapshot failed; a completed one stays completed.
    pub fn aborted(&self) {
        self.finish(SnapshotState::Aborted);
    }

    fn finish(&self, state: SnapshotState) {
        let mut guard = self.lock();
        if let Some(report) = guard.as_mut() {
            if report.state == SnapshotState::Running {
                report.state = state;
                report.current = None;
            }
        }
    }

    /// Replaces the report with one the connector built whole (a Java connector's, read from
    /// its own metrics).
    pub fn replace(&self, report: SnapshotReport) {
        *self.lock() = Some(report);
    }

    /// What was last reported; `None` when the task took no snapshot.
    pub fn report(&self) -> Option<SnapshotReport> {
        self.lock().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_counts_tables_and_rows() {
        let p = SnapshotProgress::new();
        assert_eq!(p.report(), None);
        p.begin(["db.a".to_string(), "db.b".to_string()]);
        p.table_started("db.a", Some(10));
        p.rows(4);
        let r = p.report().expect("begun");
        assert_eq!(r.state, SnapshotState::Running);
        assert_eq!(r.current_table(), Some("db.a"));
        assert_eq!(
            (r.rows_done(), r.rows_estimated(), r.tables_done()),
            (4, Some(10), 0)
        );
        p.table_done(12);
        p.table_started("db.b", None);
        p.table_done(0);
        p.completed();
        p.aborted();
        let r = p.report().expect("begun");
        assert_eq!(r.state, SnapshotState::Completed);
        assert_eq!(r.current_table(), None);
        assert_eq!(
            (r.rows_done(), r.rows_estimated(), r.tables_done()),
            (12, Some(10), 2)
        );
    }

    #[test]
    fn a_failed_snapshot_is_aborted_where_it_stood() {
        let p = SnapshotProgress::new();
        p.begin(["db.a".to_string()]);
        p.table_started("db.other", Some(3));
        p.rows(2);
        p.aborted();
        let r = p.report().expect("begun");
        assert_eq!(r.state, SnapshotState::Aborted);
        assert_eq!(r.tables.len(), 2);
        assert_eq!(r.tables[1].rows_done, 2);
    }
}
