//! The tables the connector knows while streaming, with their event schemas, and how a DDL
//! statement read from the binlog changes them: the statement's targets come from the parsed
//! DDL, their new structure from the server, and the statement is reported (history topic,
//! schema change event) with the structure it left.

use std::collections::BTreeMap;

use ferry_api::{Result, SourceRecord};
use mysql_async::Conn;

use crate::alter;
use crate::config::MySqlConfig;
use crate::ddl::{self, ChangeKind};
use crate::event::{Events, Position};
use crate::filters::is_system_database;
use crate::schema::{SchemaOptions, TableSchemas};
use crate::schema_change::{SchemaChanges, Statement};
use crate::table::{self, Table};
use crate::table_changes::TableChange;

/// The captured tables, by `DB.TABLE`, with their event schemas.
pub struct Catalog {
    pub tables: BTreeMap<String, (Table, TableSchemas)>,
}

impl Catalog {
    pub fn new(
        tables: impl IntoIterator<Item = Table>,
        events: &Events,
        config: &MySqlConfig,
    ) -> Result<Catalog> {
        let mut catalog = Catalog {
            tables: BTreeMap::new(),
        };
        for table in tables {
            catalog.put(table, events, config)?;
        }
        Ok(catalog)
    }

    fn put(&mut self, table: Table, events: &Events, config: &MySqlConfig) -> Result<()> {
        let id = table.id();
        let key_override = config
            .key_columns
            .iter()
            .find(|(pattern, _)| pattern.is_match(&id))
            .map(|(_, columns)| columns.as_slice());
        let options = SchemaOptions {
            modes: &config.types,
            key_columns: key_override,
            source_types: &config.source_type_columns,
        };
        let schemas = TableSchemas::build(&table, &events.prefix, &options, &events.source_schema)?;
        self.tables.insert(table.id(), (table, schemas));
        Ok(())
    }

    /// Applies a DDL statement read at `at` (`history_at` in the history's terms) in database
    /// `db`, and reports it.
    #[allow(clippy::too_many_arguments)]
    pub async fn apply_ddl(
        &mut self,
        meta: &mut Conn,
        config: &MySqlConfig,
        events: &Events,
        changes: &SchemaChanges,
        sql: &str,
        db: &str,
        at: &Position,
        history_at: serde_json::Value,
        out: &mut Vec<SourceRecord>,
    ) -> Result<()> {
        let effects = ddl::effects(sql, db);
        let mut table_changes = Vec::new();
        let mut any_captured = false;
        let mut first_table = None;
        match &effects {
            Some(effects) => {
                for touched in &effects.tables {
                    let captured = config.filters.table(&touched.db, &touched.table);
                    first_table.get_or_insert((touched.db.clone(), touched.table.clone()));
                    let old_id = match &touched.renamed_from {
                        Some((old_db, old_name)) => {
                            any_captured |= config.filters.table(old_db, old_name);
                            format!("{old_db}.{old_name}")
                        }
                        None => format!("{}.{}", touched.db, touched.table),
                    };
                    // Worked out from the statement where it can be: the server's structure is
                    // the one after every later statement too.
                    let followed = match (touched.kind, self.tables.get(&old_id)) {
                        (ChangeKind::Alter, Some((before, _))) => {
                            alter::structure_after(sql, before, &touched.db, &touched.table, |c| {
                                config.filters.column(&touched.db, &touched.table, c)
                            })
                        }
                        _ => None,
                    };
                    if touched.renamed_from.is_some() && self.tables.remove(&old_id).is_some() {
                        tracing::info!(table = %old_id, "table renamed to {}.{}", touched.db, touched.table);
                    }
                    any_captured |= captured;
                    if touched.kind == ChangeKind::Drop {
                        if self
                            .tables
                            .remove(&format!("{}.{}", touched.db, touched.table))
                            .is_some()
                        {
                            tracing::info!(table = %format!("{}.{}", touched.db, touched.table), "table dropped");
                        }
                        table_changes.push(TableChange {
                            kind: ChangeKind::Drop,
                            db: touched.db.clone(),
                            name: touched.table.clone(),
                            table: None,
                        });
                        continue;
                    }
                    let loaded = match followed {
                        Some(t) => Some(t),
                        None => {
                            table::load(meta, &touched.db, &touched.table, |c| {
                                config.filters.column(&touched.db, &touched.table, c)
                            })
                            .await?
                        }
                    };
                    let Some(loaded) = loaded else {
                        tracing::warn!(table = %format!("{}.{}", touched.db, touched.table), ddl = sql, "the table a DDL statement names is gone from the server; its structure is left as it was");
                        continue;
                    };
                    if captured {
                        tracing::info!(table = %loaded.id(), "table structure changed; events follow the new one");
                        self.put(loaded.clone(), events, config)?;
                    }
                    table_changes.push(TableChange {
                        kind: touched.kind,
                        db: touched.db.clone(),
                        name: touched.table.clone(),
                        table: Some(loaded),
                    });
                }
                for gone in &effects.databases {
                    self.tables.retain(|_, (t, _)| t.db != *gone);
                }
            }
            None => {
                tracing::warn!(ddl = sql, "a DDL statement could not be parsed; every captured table of database {db} is read again from the server");
                for (d, t) in table::list(meta).await? {
                    if (!db.is_empty() && d != db) || !config.filters.table(&d, &t) {
                        continue;
                    }
                    let Some(loaded) =
                        table::load(meta, &d, &t, |c| config.filters.column(&d, &t, c)).await?
                    else {
                        continue;
                    };
                    if self
                        .tables
                        .get(&loaded.id())
                        .is_none_or(|(old, _)| *old != loaded)
                    {
                        any_captured = true;
                        self.put(loaded.clone(), events, config)?;
                        table_changes.push(TableChange {
                            kind: ChangeKind::Alter,
                            db: d.clone(),
                            name: t.clone(),
                            table: Some(loaded),
                        });
                    }
                }
            }
        }
        let databases = effects
            .as_ref()
            .map(|e| e.databases.clone())
            .unwrap_or_default();
        let database_level = databases.iter().any(|d| config.filters.database(d));
        let system = is_system_database(db);
        let statement = Statement {
            db: db.to_string(),
            table: first_table.filter(|(d, _)| d == db).map(|(_, t)| t),
            ddl: sql.to_string(),
            changes: table_changes,
            to_history: !system && (any_captured || !changes.captured_only),
            to_topic: any_captured || database_level,
        };
        changes.record(events, at, history_at, statement, out).await
    }
}
