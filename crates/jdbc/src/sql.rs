//! The statements the sink sends, per dialect: identifiers, CREATE/ALTER TABLE, multi-row
//! INSERT (with PostgreSQL's `ON CONFLICT` or MySQL's `ON DUPLICATE KEY UPDATE` for upserts),
//! UPDATE, batched DELETE and TRUNCATE.

use ferry_api::Value;

use crate::config::Quoting;
use crate::db::Step;
use crate::literal;
use crate::record::Shape;
use crate::table::TableRef;
use crate::types::{self, Kind};
use crate::url::Dialect;

/// How one connector writes SQL.
#[derive(Debug, Clone, Copy)]
pub struct Sql {
    pub dialect: Dialect,
    pub quoting: Quoting,
}

/// A statement grows to about this size before the rest of its rows go into the next one
/// (MySQL's `max_allowed_packet` is 16 MB by default; PostgreSQL has no such limit).
pub const STATEMENT_BYTES: usize = 4 << 20;

impl Sql {
    /// The name as the database stores it: folded to lower case by PostgreSQL when identifiers
    /// are not quoted in the user's sense.
    pub fn stored_name(&self, name: &str) -> String {
        match (self.quoting, self.dialect) {
            (Quoting::Folded, Dialect::Postgres) => name.to_lowercase(),
            _ => name.to_string(),
        }
    }

    /// An identifier, quoted.
    pub fn ident(&self, name: &str) -> String {
        let name = self.stored_name(name);
        match self.dialect {
            Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
            Dialect::MySql => format!("`{}`", name.replace('`', "``")),
        }
    }

    pub fn table(&self, table: &TableRef) -> String {
        match &table.schema {
            Some(schema) => format!("{}.{}", self.ident(schema), self.ident(&table.name)),
            None => self.ident(&table.name),
        }
    }

    /// The query listing a table's columns (one row per column name), empty when it is missing.
    pub fn columns_query(&self, table: &TableRef) -> String {
        let name = literal::render(
            self.dialect,
            Kind::Text,
            &Value::String(self.stored_name(&table.name)),
        )
        .unwrap_or_default();
        let schema = match &table.schema {
            Some(s) => literal::render(
                self.dialect,
                Kind::Text,
                &Value::String(self.stored_name(s)),
            )
            .unwrap_or_default(),
            None => match self.dialect {
                Dialect::Postgres => "current_schema()".into(),
                Dialect::MySql => "DATABASE()".into(),
            },
        };
        format!(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = {schema} AND table_name = {name} ORDER BY ordinal_position"
        )
    }

    fn column_definition(
        &self,
        shape: &Shape,
        index: usize,
        for_create: bool,
    ) -> Result<String, String> {
        let column = &shape.columns[index];
        let in_key = shape.key.contains(&index);
        let ty = types::column_type(self.dialect, &column.schema, in_key)
            .map_err(|e| format!("column {}: {e}", column.name))?;
        let mut out = format!("{} {ty}", self.ident(&column.name));
        // A column added later is nullable unless it brings a default: the rows already there
        // have no value for it.
        let required =
            in_key || (!column.schema.optional && (for_create || column.schema.default.is_some()));
        if let Some(default) = &column.schema.default {
            if !in_key {
                // MySQL (8.0.13 on) takes a default on TEXT, BLOB and JSON columns only as an
                // expression, in parentheses; MariaDB takes either form and keeps the same.
                let expression = self.dialect == Dialect::MySql
                    && matches!(ty.as_str(), "longtext" | "longblob" | "json");
                out.push_str(if expression {
                    " DEFAULT ("
                } else {
                    " DEFAULT "
                });
                literal::push(&mut out, self.dialect, column.kind, default)?;
                if expression {
                    out.push(')');
                }
            }
        }
        out.push_str(if required { " NOT NULL" } else { " NULL" });
        Ok(out)
    }

    pub fn create_table(&self, table: &TableRef, shape: &Shape) -> Result<String, String> {
        let mut parts = Vec::with_capacity(shape.columns.len() + 1);
        for i in 0..shape.columns.len() {
            parts.push(self.column_definition(shape, i, true)?);
        }
        if !shape.key.is_empty() {
            let key: Vec<String> = shape
                .key
                .iter()
                .map(|&i| self.ident(&shape.columns[i].name))
                .collect();
            parts.push(format!("PRIMARY KEY ({})", key.join(", ")));
        }
        Ok(format!(
            "CREATE TABLE {} ({})",
            self.table(table),
            parts.join(", ")
        ))
    }

    pub fn add_column(
        &self,
        table: &TableRef,
        shape: &Shape,
        index: usize,
    ) -> Result<String, String> {
        Ok(format!(
            "ALTER TABLE {} ADD COLUMN {}",
            self.table(table),
            self.column_definition(shape, index, false)?
        ))
    }

    /// `INSERT INTO t (columns) VALUES` — rows are appended with [`push_row`](Self::push_row).
    pub fn insert_head(&self, table: &TableRef, shape: &Shape) -> String {
        let columns: Vec<String> = shape.columns.iter().map(|c| self.ident(&c.name)).collect();
        format!(
            "INSERT INTO {} ({}) VALUES ",
            self.table(table),
            columns.join(", ")
        )
    }

    /// One row's `(v1, v2, ...)`.
    pub fn push_row(
        &self,
        out: &mut String,
        shape: &Shape,
        values: &[Value],
    ) -> Result<(), String> {
        out.push('(');
        for (i, (column, value)) in shape.columns.iter().zip(values).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            literal::push(out, self.dialect, column.kind, value)
                .map_err(|e| format!("column {}: {e}", column.name))?;
        }
        out.push(')');
        Ok(())
    }

    /// What makes an INSERT an upsert, after its rows.
    pub fn upsert_tail(&self, shape: &Shape) -> String {
        let others: Vec<&str> = shape
            .columns
            .iter()
            .enumerate()
            .filter(|(i, _)| !shape.key.contains(i))
            .map(|(_, c)| c.name.as_str())
            .collect();
        match self.dialect {
            Dialect::Postgres => {
                let key: Vec<String> = shape
                    .key
                    .iter()
                    .map(|&i| self.ident(&shape.columns[i].name))
                    .collect();
                if others.is_empty() {
                    format!(" ON CONFLICT ({}) DO NOTHING", key.join(", "))
                } else {
                    let set: Vec<String> = others
                        .iter()
                        .map(|c| {
                            let c = self.ident(c);
                            format!("{c} = EXCLUDED.{c}")
                        })
                        .collect();
                    format!(
                        " ON CONFLICT ({}) DO UPDATE SET {}",
                        key.join(", "),
                        set.join(", ")
                    )
                }
            }
            Dialect::MySql => {
                let set: Vec<String> = if others.is_empty() {
                    shape
                        .key
                        .iter()
                        .map(|&i| shape.columns[i].name.as_str())
                        .collect()
                } else {
                    others
                }
                .iter()
                .map(|c| {
                    let c = self.ident(c);
                    format!("{c} = VALUES({c})")
                })
                .collect();
                format!(" ON DUPLICATE KEY UPDATE {}", set.join(", "))
            }
        }
    }

    /// `UPDATE t SET c = v, ... WHERE k = v AND ...` for one row.
    pub fn update(
        &self,
        table: &TableRef,
        shape: &Shape,
        values: &[Value],
    ) -> Result<String, String> {
        let mut set = Vec::new();
        for (i, column) in shape.columns.iter().enumerate() {
            if shape.key.contains(&i) {
                continue;
            }
            let mut assignment = format!("{} = ", self.ident(&column.name));
            literal::push(&mut assignment, self.dialect, column.kind, &values[i])
                .map_err(|e| format!("column {}: {e}", column.name))?;
            set.push(assignment);
        }
        if set.is_empty() {
            return Ok(String::new());
        }
        let key_values: Vec<Value> = shape.key.iter().map(|&i| values[i].clone()).collect();
        Ok(format!(
            "UPDATE {} SET {} WHERE {}",
            self.table(table),
            set.join(", "),
            self.key_condition(shape, &key_values)?
        ))
    }

    fn key_condition(&self, shape: &Shape, key: &[Value]) -> Result<String, String> {
        let mut parts = Vec::new();
        for (&i, value) in shape.key.iter().zip(key) {
            let column = &shape.columns[i];
            let mut part = format!("{} = ", self.ident(&column.name));
            literal::push(&mut part, self.dialect, column.kind, value)?;
            parts.push(part);
        }
        Ok(parts.join(" AND "))
    }

    /// `DELETE FROM t WHERE k IN (...)` (or `(k1, k2) IN ((...), ...)`) for a set of keys.
    pub fn delete(
        &self,
        table: &TableRef,
        shape: &Shape,
        keys: &[&[Value]],
    ) -> Result<String, String> {
        let names: Vec<String> = shape
            .key
            .iter()
            .map(|&i| self.ident(&shape.columns[i].name))
            .collect();
        let mut out = format!("DELETE FROM {} WHERE ", self.table(table));
        let compound = names.len() > 1;
        if compound {
            out.push_str(&format!("({}) IN (", names.join(", ")));
        } else {
            out.push_str(&format!("{} IN (", names.join(", ")));
        }
        for (n, key) in keys.iter().enumerate() {
            if n > 0 {
                out.push_str(", ");
            }
            if compound {
                out.push('(');
            }
            for (j, (&i, value)) in shape.key.iter().zip(key.iter()).enumerate() {
                if j > 0 {
                    out.push_str(", ");
                }
                literal::push(&mut out, self.dialect, shape.columns[i].kind, value)?;
            }
            if compound {
                out.push(')');
            }
        }
        out.push(')');
        Ok(out)
    }

    /// One row's fields in COPY text format, ending the line.
    pub fn push_copy_row(
        &self,
        out: &mut String,
        shape: &Shape,
        values: &[Value],
    ) -> Result<(), String> {
        for (i, (column, value)) in shape.columns.iter().zip(values).enumerate() {
            if i > 0 {
                out.push('\t');
            }
            literal::push_copy(out, column.kind, value)
                .map_err(|e| format!("column {}: {e}", column.name))?;
        }
        out.push('\n');
        Ok(())
    }

    /// PostgreSQL's bulk path: the rows (`data`, COPY text) loaded into a staging table with the
    /// table's own column types (a temporary table of the session, one per table and shape),
    /// then moved into the table by one `INSERT ... SELECT` — with `ON CONFLICT` for an upsert.
    pub fn copy_steps(
        &self,
        table: &TableRef,
        shape: &Shape,
        stage: &str,
        data: String,
        upsert: bool,
    ) -> Vec<Step> {
        let columns: Vec<String> = shape.columns.iter().map(|c| self.ident(&c.name)).collect();
        let columns = columns.join(", ");
        let stage = self.ident(stage);
        let mut merge = format!(
            "INSERT INTO {} ({columns}) SELECT {columns} FROM {stage}",
            self.table(table)
        );
        if upsert {
            merge.push_str(&self.upsert_tail(shape));
        }
        vec![
            // Made once per connection and shape, emptied by each commit.
            Step::Sql(format!(
                "CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS SELECT {columns} FROM {} WITH NO DATA",
                self.table(table)
            )),
            Step::Copy {
                statement: format!("COPY {stage} ({columns}) FROM STDIN"),
                data,
            },
            Step::Sql(merge),
        ]
    }

    pub fn truncate(&self, table: &TableRef) -> String {
        format!("TRUNCATE TABLE {}", self.table(table))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Column;
    use ferry_api::Schema;
    use std::sync::Arc;

    fn shape() -> Shape {
        Shape {
            columns: vec![
                Column::new("Id", Arc::new(Schema::int32())),
                Column::new("name", Arc::new(Schema::optional_string())),
            ],
            key: vec![0],
        }
    }

    #[test]
    fn postgres_upsert_and_folding() {
        let sql = Sql {
            dialect: Dialect::Postgres,
            quoting: Quoting::Folded,
        };
        let t = TableRef {
            schema: None,
            name: "Customers".into(),
        };
        let s = shape();
        let mut stmt = sql.insert_head(&t, &s);
        sql.push_row(
            &mut stmt,
            &s,
            &[Value::Int32(1), Value::String("a'b".into())],
        )
        .expect("row");
        stmt.push_str(&sql.upsert_tail(&s));
        assert_eq!(
            stmt,
            "INSERT INTO \"customers\" (\"id\", \"name\") VALUES (1, 'a''b') ON CONFLICT (\"id\") DO UPDATE SET \"name\" = EXCLUDED.\"name\""
        );
        assert_eq!(
            sql.create_table(&t, &s).expect("ddl"),
            "CREATE TABLE \"customers\" (\"id\" integer NOT NULL, \"name\" text NULL, PRIMARY KEY (\"id\"))"
        );
    }

    #[test]
    fn defaults_of_text_columns_are_expressions_on_mysql() {
        let column = |name: &str, schema: Schema| Column::new(name, Arc::new(schema));
        let s = Shape {
            columns: vec![
                column("id", Schema::int32()),
                column(
                    "s",
                    ferry_api::SchemaBuilder::string()
                        .default_value("n/a")
                        .build()
                        .expect("schema"),
                ),
                column(
                    "n",
                    ferry_api::SchemaBuilder::int32()
                        .default_value(42)
                        .build()
                        .expect("schema"),
                ),
            ],
            key: vec![0],
        };
        let t = TableRef {
            schema: None,
            name: "t".into(),
        };
        let mysql = Sql {
            dialect: Dialect::MySql,
            quoting: Quoting::Always,
        };
        assert_eq!(
            mysql.create_table(&t, &s).expect("ddl"),
            "CREATE TABLE `t` (`id` int NOT NULL, `s` longtext DEFAULT ('n/a') NOT NULL, `n` int DEFAULT 42 NOT NULL, PRIMARY KEY (`id`))"
        );
        let postgres = Sql {
            dialect: Dialect::Postgres,
            quoting: Quoting::Always,
        };
        assert_eq!(
            postgres.create_table(&t, &s).expect("ddl"),
            "CREATE TABLE \"t\" (\"id\" integer NOT NULL, \"s\" text DEFAULT 'n/a' NOT NULL, \"n\" integer DEFAULT 42 NOT NULL, PRIMARY KEY (\"id\"))"
        );
    }

    #[test]
    fn mysql_upsert_delete_and_update() {
        let sql = Sql {
            dialect: Dialect::MySql,
            quoting: Quoting::Always,
        };
        let t = TableRef {
            schema: Some("shop".into()),
            name: "c".into(),
        };
        let s = shape();
        assert_eq!(
            sql.upsert_tail(&s),
            " ON DUPLICATE KEY UPDATE `name` = VALUES(`name`)"
        );
        let k1 = [Value::Int32(1)];
        let k2 = [Value::Int32(2)];
        assert_eq!(
            sql.delete(&t, &s, &[&k1, &k2]).expect("delete"),
            "DELETE FROM `shop`.`c` WHERE `Id` IN (1, 2)"
        );
        assert_eq!(
            sql.update(&t, &s, &[Value::Int32(1), Value::Null])
                .expect("update"),
            "UPDATE `shop`.`c` SET `name` = NULL WHERE `Id` = 1"
        );
    }
}
