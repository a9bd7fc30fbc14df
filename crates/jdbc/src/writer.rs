//! Applies a batch to the database: makes sure each table exists with every column the batch
//! needs (creating and widening tables when allowed), then sends all its rows as a few large
//! statements in one transaction. A lost connection is re-made and the transaction tried again
//! (the rows are upserts or keyed deletes, so a second try changes nothing more); a statement the
//! database refuses is narrowed down to the records that cause it, which `errors.tolerance`
//! decides about.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferry_api::{ConnectError, Result, Value};

use crate::batch::{Entry, TableBatch};
use crate::config::{Flavor, InsertMode, SinkConfig};
use crate::db::{Db, DbError, Step};
use crate::record::{Change, Origin, Shape};
use crate::sql::{Sql, STATEMENT_BYTES};
use crate::table::TableRef;
use crate::url::Dialect;
use ferry_api::{ErrantRecordReporter, SinkRecord};

const MAX_RETRY_DELAY: Duration = Duration::from_secs(10);
/// Keys per DELETE statement.
const DELETE_CHUNK: usize = 1000;

/// A step and the table it writes (to read again when the database refuses it).
struct Statement {
    step: Step,
    table: TableRef,
}

pub struct Writer {
    config: Arc<SinkConfig>,
    pub sql: Sql,
    db: Option<Db>,
    /// Where records that cannot be written go (the worker's error policy).
    reporter: Option<Arc<dyn ErrantRecordReporter>>,
    /// The columns of each table seen so far, as the database stores their names.
    columns: HashMap<TableRef, Vec<String>>,
}

impl Writer {
    pub fn new(config: Arc<SinkConfig>, reporter: Option<Arc<dyn ErrantRecordReporter>>) -> Writer {
        let sql = Sql {
            dialect: config.url.dialect,
            quoting: config.quoting,
        };
        Writer {
            config,
            sql,
            db: None,
            reporter,
            columns: HashMap::new(),
        }
    }

    /// Connects now, retrying as for writes: a task fails at start when its database cannot be
    /// reached.
    pub async fn connect(&mut self) -> Result<()> {
        self.retrying(
            "connect to the database",
            |db: Db, input: ()| async move { (db, input, Ok::<_, DbError>(())) },
            (),
        )
        .await
        .map(|_| ())
    }

    pub async fn close(&mut self) {
        if let Some(db) = self.db.take() {
            db.close().await;
        }
    }

    /// Runs `work` on a connection (made if needed), again on a new connection while the
    /// connection is what fails, for as long as the retry budget allows. `work` takes the
    /// connection and its input and gives both back with its result, to be run again.
    async fn retrying<I: Default, T, F, Fut>(
        &mut self,
        what: &str,
        mut work: F,
        mut input: I,
    ) -> Result<std::result::Result<T, String>>
    where
        F: FnMut(Db, I) -> Fut,
        Fut: std::future::Future<Output = (Db, I, std::result::Result<T, DbError>)>,
    {
        let started = Instant::now();
        let mut delay = self.config.retry_delay;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let connection = match self.db.take() {
                Some(db) => Ok(db),
                None => Db::connect(&self.config).await.inspect(|_| {
                    if attempt > 1 {
                        tracing::info!("connected to the database again");
                    }
                }),
            };
            let result = match connection {
                Ok(db) => {
                    let (db, back, result) = work(db, std::mem::take(&mut input)).await;
                    input = back;
                    self.db = Some(db);
                    result
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(v) => return Ok(Ok(v)),
                Err(DbError::Statement(m)) => return Ok(Err(m)),
                Err(DbError::Connection(m)) => {
                    if let Some(db) = self.db.take() {
                        db.close().await;
                    }
                    if started.elapsed() >= self.config.retry_budget {
                        return Err(ConnectError::Other(format!(
                            "could not {what} after {attempt} attempt(s) in {:.1} s: {m}",
                            started.elapsed().as_secs_f64()
                        )));
                    }
                    tracing::warn!(
                        retry_in_ms = delay.as_millis() as u64,
                        "could not {what}, will try again on a new connection: {m}"
                    );
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(MAX_RETRY_DELAY);
                }
            }
        }
    }

    /// Writes a batch. Fails only for what records cannot fix: an unreachable database, a
    /// missing table or column the sink may not create, or a refused record under
    /// `errors.tolerance=none`.
    pub async fn write(&mut self, tables: BTreeMap<TableRef, TableBatch>) -> Result<()> {
        if tables.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        let mut rows = 0;
        for (table, part) in &tables {
            self.prepare(table, part).await?;
            rows += part.entries.len();
        }
        let (statements, refused) = self.statements(&tables);
        for (record, error) in refused {
            self.refuse(&record, &error)?;
        }
        let steps: Vec<Step> = statements.iter().map(|s| s.step.clone()).collect();
        let outcome = self.run_transaction(steps).await?;
        if let Err(error) = outcome {
            // The table may have changed under the sink: read it again, then try once more
            // before looking for the records at fault.
            for s in &statements {
                self.columns.remove(&s.table);
            }
            for (table, part) in &tables {
                self.prepare(table, part).await?;
            }
            let (statements, _) = self.statements(&tables);
            let steps: Vec<Step> = statements.into_iter().map(|s| s.step).collect();
            if self.run_transaction(steps).await?.is_err() {
                tracing::warn!("the database refused the batch ({error}); writing its records one by one to find the ones at fault");
                self.write_one_by_one(&tables).await?;
            }
        }
        tracing::debug!(
            rows,
            tables = tables.len(),
            ms = started.elapsed().as_millis() as u64,
            "wrote a batch"
        );
        Ok(())
    }

    async fn run_transaction(
        &mut self,
        steps: Vec<Step>,
    ) -> Result<std::result::Result<(), String>> {
        self.retrying(
            "write to the database",
            |mut db: Db, input: Vec<Step>| async move {
                let result = db.transaction(&input).await;
                (db, input, result)
            },
            steps,
        )
        .await
    }

    async fn run_one(&mut self, statement: String) -> Result<std::result::Result<(), String>> {
        self.retrying(
            "write to the database",
            |mut db: Db, input: Vec<String>| async move {
                let result = match input.first() {
                    Some(s) => db.execute(s).await,
                    None => Ok(()),
                };
                (db, input, result)
            },
            vec![statement],
        )
        .await
    }

    async fn query_strings(
        &mut self,
        query: String,
    ) -> Result<std::result::Result<Vec<String>, String>> {
        self.retrying(
            "read the table's columns",
            |mut db: Db, input: Vec<String>| async move {
                let result = match input.first() {
                    Some(q) => db.strings(q).await,
                    None => Ok(Vec::new()),
                };
                (db, input, result)
            },
            vec![query],
        )
        .await
    }

    /// Every record of the batch in its own statement: the ones the database refuses are
    /// handed to the error policy, the others written.
    async fn write_one_by_one(&mut self, tables: &BTreeMap<TableRef, TableBatch>) -> Result<()> {
        for (table, part) in tables {
            if part.truncate {
                if let Err(e) = self.run_one(self.sql.truncate(table)).await? {
                    return Err(ConnectError::Other(format!("cannot truncate {table}: {e}")));
                }
            }
            for entry in &part.entries {
                let single = TableBatch::single(entry);
                let mut one = BTreeMap::new();
                one.insert(table.clone(), single);
                let (statements, refused) = self.statements(&one);
                for (record, error) in refused {
                    self.refuse(&record, &error)?;
                }
                // The record's steps (a COPY's staging table with them) in one transaction.
                let steps: Vec<Step> = statements.into_iter().map(|s| s.step).collect();
                if let Err(e) = self.run_transaction(steps).await? {
                    self.refuse(&entry.record, &format!("table {table}: {e}"))?;
                }
            }
        }
        Ok(())
    }

    fn refuse(&self, record: &SinkRecord, error: &str) -> Result<()> {
        refuse(&self.config, self.reporter.as_deref(), record, error)
    }

    /// Makes sure the table exists with every column the batch's rows have.
    async fn prepare(&mut self, table: &TableRef, part: &TableBatch) -> Result<()> {
        let writes: Vec<&Arc<Shape>> =
            distinct_shapes(part.entries.iter().filter_map(|e| match &e.change {
                Change::Write { shape, .. } => Some(shape),
                _ => None,
            }));
        if !self.columns.contains_key(table) {
            let found = match self.query_strings(self.sql.columns_query(table)).await? {
                Ok(found) => found,
                Err(e) => {
                    return Err(ConnectError::Other(format!(
                        "cannot read the columns of {table}: {e}"
                    )))
                }
            };
            if found.is_empty() {
                let Some(first) = writes.first() else {
                    // Only deletes, or a truncate, of a table that is not there: nothing to do.
                    return Ok(());
                };
                if !self.config.auto_create {
                    return Err(ConnectError::Other(format!(
                        "the table {table} does not exist in the {} database; {}",
                        self.sql.dialect.name(),
                        self.create_hint()
                    )));
                }
                let ddl = self
                    .sql
                    .create_table(table, first)
                    .map_err(|e| ConnectError::Other(format!("cannot create {table}: {e}")))?;
                tracing::info!(%table, "creating the table: {ddl}");
                if let Err(e) = self.run_one(ddl).await? {
                    // A CREATE whose answer was lost with the connection ran all the same, and
                    // its second try finds the table: what counts is whether it is there now.
                    match self.query_strings(self.sql.columns_query(table)).await? {
                        Ok(found) if !found.is_empty() => {
                            self.columns.insert(table.clone(), found);
                        }
                        _ => {
                            return Err(ConnectError::Other(format!("cannot create {table}: {e}")))
                        }
                    }
                } else {
                    let created = first
                        .columns
                        .iter()
                        .map(|c| self.sql.stored_name(&c.name))
                        .collect();
                    self.columns.insert(table.clone(), created);
                }
            } else {
                self.columns.insert(table.clone(), found);
            }
        }
        for shape in writes {
            let missing: Vec<usize> = (0..shape.columns.len())
                .filter(|&i| !self.has_column(table, &shape.columns[i].name))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let names: Vec<&str> = missing
                .iter()
                .map(|&i| shape.columns[i].name.as_str())
                .collect();
            if !self.config.auto_evolve {
                return Err(ConnectError::Other(format!(
                    "the table {table} has no column {}; {}",
                    names.join(", "),
                    self.evolve_hint()
                )));
            }
            for i in missing {
                let ddl = self
                    .sql
                    .add_column(table, shape, i)
                    .map_err(|e| ConnectError::Other(format!("cannot widen {table}: {e}")))?;
                tracing::info!(%table, "adding a column: {ddl}");
                if let Err(e) = self.run_one(ddl).await? {
                    // As for CREATE: the column may have been added by a try whose answer was
                    // lost; read the table again before calling it a failure.
                    if let Ok(found) = self.query_strings(self.sql.columns_query(table)).await? {
                        self.columns.insert(table.clone(), found);
                    }
                    if !self.has_column(table, &shape.columns[i].name) {
                        return Err(ConnectError::Other(format!(
                            "cannot add the column {} to {table}: {e}",
                            shape.columns[i].name
                        )));
                    }
                    continue;
                }
                let stored = self.sql.stored_name(&shape.columns[i].name);
                self.columns.entry(table.clone()).or_default().push(stored);
            }
        }
        Ok(())
    }

    fn has_column(&self, table: &TableRef, name: &str) -> bool {
        let stored = self.sql.stored_name(name);
        self.columns.get(table).is_some_and(|columns| {
            columns.iter().any(|c| match self.sql.dialect {
                Dialect::Postgres => *c == stored,
                // MySQL's column names are case-insensitive.
                Dialect::MySql => c.eq_ignore_ascii_case(&stored),
            })
        })
    }

    fn create_hint(&self) -> &'static str {
        match self.config.flavor {
            Flavor::Debezium => "set schema.evolution=basic to have the sink create it",
            Flavor::Confluent => "set auto.create=true to have the sink create it",
        }
    }

    fn evolve_hint(&self) -> &'static str {
        match self.config.flavor {
            Flavor::Debezium => "set schema.evolution=basic to have the sink add missing columns",
            Flavor::Confluent => "set auto.evolve=true to have the sink add missing columns",
        }
    }

    /// The statements writing a batch, and the records that cannot be put in one.
    fn statements(
        &self,
        tables: &BTreeMap<TableRef, TableBatch>,
    ) -> (Vec<Statement>, Vec<(Arc<SinkRecord>, String)>) {
        let mut out = Vec::new();
        let mut refused = Vec::new();
        let mut stages = std::collections::HashSet::new();
        for (table, part) in tables {
            if part.truncate {
                out.push(Statement {
                    step: Step::Sql(self.sql.truncate(table)),
                    table: table.clone(),
                });
            }
            // Deletes of a table that does not exist have nothing to delete.
            let exists = self.columns.contains_key(table);
            let mut deletes: Vec<(&Arc<Shape>, Vec<&Entry>)> = Vec::new();
            let mut writes: Vec<(&Arc<Shape>, Vec<&Entry>)> = Vec::new();
            for entry in &part.entries {
                let (groups, shape) = match &entry.change {
                    Change::Write { shape, .. } => (&mut writes, shape),
                    Change::Delete { shape, .. } if exists => (&mut deletes, shape),
                    _ => continue,
                };
                match groups.iter_mut().find(|(s, _)| Arc::ptr_eq(s, shape)) {
                    Some((_, entries)) => entries.push(entry),
                    None => groups.push((shape, vec![entry])),
                }
            }
            for (shape, entries) in deletes {
                for chunk in entries.chunks(DELETE_CHUNK) {
                    let keys: Vec<&[Value]> = chunk
                        .iter()
                        .filter_map(|e| match &e.change {
                            Change::Delete { key, .. } => Some(key.as_slice()),
                            _ => None,
                        })
                        .collect();
                    match self.sql.delete(table, shape, &keys) {
                        Ok(text) => out.push(Statement {
                            step: Step::Sql(text),
                            table: table.clone(),
                        }),
                        Err(e) => {
                            refused.extend(chunk.iter().map(|c| (c.record.clone(), e.clone())))
                        }
                    }
                }
            }
            for (shape, entries) in writes {
                if self.sql.dialect == Dialect::Postgres
                    && self.config.insert_mode != InsertMode::Update
                {
                    // Each staging table once per transaction: a second shape with the same
                    // columns gets one of its own, so no rows are moved twice.
                    let mut stage = stage_name(table, shape);
                    while !stages.insert(stage.clone()) {
                        stage.push('x');
                    }
                    self.copy_statements(table, shape, &entries, &stage, &mut out, &mut refused);
                } else {
                    self.write_statements(table, shape, &entries, &mut out, &mut refused);
                }
            }
        }
        (out, refused)
    }

    /// PostgreSQL's bulk path for inserts and upserts: COPY into a staging table, then one
    /// INSERT ... SELECT (about 2.5 times less work for the server than multi-row VALUES).
    fn copy_statements(
        &self,
        table: &TableRef,
        shape: &Shape,
        entries: &[&Entry],
        stage: &str,
        out: &mut Vec<Statement>,
        refused: &mut Vec<(Arc<SinkRecord>, String)>,
    ) {
        let mut data = String::new();
        let mut rows = 0;
        for entry in entries {
            let Change::Write { values, .. } = &entry.change else {
                continue;
            };
            let mark = data.len();
            if let Err(e) = self.sql.push_copy_row(&mut data, shape, values) {
                data.truncate(mark);
                refused.push((entry.record.clone(), e));
                continue;
            }
            rows += 1;
        }
        if rows == 0 {
            return;
        }
        let upsert = self.config.insert_mode == InsertMode::Upsert;
        for step in self.sql.copy_steps(table, shape, stage, data, upsert) {
            out.push(Statement {
                step,
                table: table.clone(),
            });
        }
    }

    fn write_statements(
        &self,
        table: &TableRef,
        shape: &Shape,
        entries: &[&Entry],
        out: &mut Vec<Statement>,
        refused: &mut Vec<(Arc<SinkRecord>, String)>,
    ) {
        if self.config.insert_mode == InsertMode::Update {
            for entry in entries {
                if let Change::Write { values, .. } = &entry.change {
                    match self.sql.update(table, shape, values) {
                        Ok(text) if text.is_empty() => {}
                        Ok(text) => out.push(Statement {
                            step: Step::Sql(text),
                            table: table.clone(),
                        }),
                        Err(e) => refused.push((entry.record.clone(), e)),
                    }
                }
            }
            return;
        }
        let head = self.sql.insert_head(table, shape);
        let tail = match self.config.insert_mode {
            InsertMode::Upsert => self.sql.upsert_tail(shape),
            _ => String::new(),
        };
        let rows_per_statement = self.config.batch_size.max(1);
        let mut text = String::new();
        let mut rows = 0;
        let mut row = String::new();
        for entry in entries {
            let Change::Write { values, .. } = &entry.change else {
                continue;
            };
            row.clear();
            if let Err(e) = self.sql.push_row(&mut row, shape, values) {
                refused.push((entry.record.clone(), e));
                continue;
            }
            if rows > 0 && (rows >= rows_per_statement || text.len() + row.len() > STATEMENT_BYTES)
            {
                text.push_str(&tail);
                out.push(Statement {
                    step: Step::Sql(std::mem::take(&mut text)),
                    table: table.clone(),
                });
                rows = 0;
            }
            if rows == 0 {
                text.push_str(&head);
            } else {
                text.push_str(", ");
            }
            text.push_str(&row);
            rows += 1;
        }
        if rows > 0 {
            text.push_str(&tail);
            out.push(Statement {
                step: Step::Sql(text),
                table: table.clone(),
            });
        }
    }
}

/// A record that cannot be written, handed to the worker's errant record reporter (the task's
/// error policy: fatal under `errors.tolerance=none`; logged and sent to the dead letter queue
/// under `all`). Without a reporter (outside a worker) the tolerance is applied here.
pub fn refuse(
    config: &SinkConfig,
    reporter: Option<&dyn ErrantRecordReporter>,
    record: &SinkRecord,
    error: &str,
) -> Result<()> {
    let origin = Origin::of(record);
    let error = ConnectError::Data(format!("the record at {origin} cannot be written: {error}"));
    match reporter {
        Some(reporter) => reporter.report(record, error),
        None if config.tolerate_all => {
            tracing::warn!("{error}; it is skipped (errors.tolerance=all)");
            Ok(())
        }
        None => Err(error),
    }
}

/// The staging table of a table and shape: a name of their own, so that a column added later
/// gets a new staging table rather than a stale one.
fn stage_name(table: &TableRef, shape: &Shape) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    table.hash(&mut hasher);
    for column in &shape.columns {
        column.name.hash(&mut hasher);
    }
    format!("ferry_stage_{:016x}", hasher.finish())
}

fn distinct_shapes<'a>(shapes: impl Iterator<Item = &'a Arc<Shape>>) -> Vec<&'a Arc<Shape>> {
    let mut out: Vec<&Arc<Shape>> = Vec::new();
    for shape in shapes {
        if !out.iter().any(|s| Arc::ptr_eq(s, shape)) {
            out.push(shape);
        }
    }
    out
}
