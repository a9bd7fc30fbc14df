//! A DDL statement as the connector reports it: kept in the schema history topic (awaited, so
//! nothing read after it goes out before its structure is safe), and as a schema change event on
//! the topic named by `topic.prefix` when `include.schema.changes` is on — both in Debezium's form.

use std::sync::Arc;

use ferry_api::{Result, Schema, SchemaBuilder, SchemaType, SourceRecord, Struct, Value};
use serde_json::Value as Json;

use crate::config::MySqlConfig;
use crate::event::{offset, Events, Position};
use crate::history::{self, History};
use crate::table_changes::{ChangeSchemas, TableChange};

/// One statement and where it goes.
pub struct Statement {
    /// The database it ran in (`""` for server-wide statements) and the table it concerns.
    pub db: String,
    pub table: Option<String>,
    pub ddl: String,
    pub changes: Vec<TableChange>,
    pub to_history: bool,
    pub to_topic: bool,
}

pub struct SchemaChanges {
    key: Arc<Schema>,
    value: Arc<Schema>,
    tables: ChangeSchemas,
    pub history: History,
    include: bool,
    /// `schema.history.internal.store.only.captured.tables.ddl`.
    pub captured_only: bool,
}

impl SchemaChanges {
    pub fn new(config: &MySqlConfig, source: Arc<Schema>, history: History) -> Result<Self> {
        let package = config
            .flavor
            .source_schema_name()
            .trim_end_matches("Source")
            .to_string();
        let tables = ChangeSchemas::new()?;
        let key = SchemaBuilder::new(SchemaType::Struct)
            .name(format!("{package}SchemaChangeKey"))
            .version(1)
            .field("databaseName", Schema::string())
            .build_arc()?;
        let value = SchemaBuilder::new(SchemaType::Struct)
            .name(format!("{package}SchemaChangeValue"))
            .version(1)
            .field("source", source)
            .field("ts_ms", Schema::new(SchemaType::Int64))
            .field("databaseName", Schema::optional_string())
            .field("schemaName", Schema::optional_string())
            .field("ddl", Schema::optional_string())
            .field("tableChanges", Schema::array(tables.change.clone()))
            .build_arc()?;
        Ok(SchemaChanges {
            key,
            value,
            tables,
            history,
            include: config.include_schema_changes,
            captured_only: config.history_captured_only,
        })
    }

    /// Reports `statement`, read at `at`; `history_at` is its position in the history.
    pub async fn record(
        &self,
        events: &Events,
        at: &Position,
        history_at: Json,
        statement: Statement,
        out: &mut Vec<SourceRecord>,
    ) -> Result<()> {
        if statement.to_history {
            self.history
                .record(
                    history_at,
                    &statement.db,
                    &statement.ddl,
                    &statement.changes,
                )
                .await?;
        }
        if statement.to_topic && self.include {
            out.push(self.event(events, at, &statement));
        }
        Ok(())
    }

    /// Where a statement read at `at` stands in the history.
    pub fn history_position(at: &Position) -> Json {
        history::position(offset(at))
    }

    fn event(&self, events: &Events, at: &Position, statement: &Statement) -> SourceRecord {
        let now = chrono::Utc::now().timestamp_millis();
        let key = Struct::from_values_unchecked(
            self.key.clone(),
            vec![Value::String(statement.db.clone())],
        );
        let value = Struct::from_values_unchecked(
            self.value.clone(),
            vec![
                events.source(&statement.db, statement.table.as_deref(), at),
                Value::Int64(now),
                Value::String(statement.db.clone()),
                Value::Null,
                Value::String(statement.ddl.clone()),
                Value::Array(
                    statement
                        .changes
                        .iter()
                        .map(|c| self.tables.to_value(c))
                        .collect(),
                ),
            ],
        );
        let mut record = SourceRecord::new(
            events.partition.clone(),
            offset(at),
            events.prefix.clone(),
            Some(self.value.clone()),
            Value::Struct(value),
        );
        record.key_schema = Some(self.key.clone());
        record.key = Some(Value::Struct(key));
        record.headers = events.context_headers.clone();
        record
    }
}
