//! The structure of captured tables, read from `information_schema`: columns in order with their
//! types as the server declares them, and the primary key.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use ferry_api::{ConnectError, Result};

/// One column, as `information_schema.COLUMNS` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    /// The type's name in lower case: `int`, `varchar`, `decimal`, `enum`, ...
    pub data_type: String,
    /// The whole declared type: `int(10) unsigned`, `enum('a','b')`, `decimal(10,2)`, ...
    pub column_type: String,
    pub nullable: bool,
    pub unsigned: bool,
    /// DECIMAL's precision and scale.
    pub precision: Option<u32>,
    pub scale: Option<u32>,
    /// Fractional seconds of TIME, DATETIME and TIMESTAMP.
    pub fsp: u32,
    /// BIT's width, CHAR's and BINARY's length.
    pub length: Option<u64>,
    pub charset: Option<String>,
    /// ENUM's and SET's values, in declaration order.
    pub values: Vec<String>,
    /// Whether the column is captured (`column.include.list` / `column.exclude.list`).
    pub captured: bool,
    /// The declared default as `information_schema` writes it (`42`, `'n/a'`,
    /// `current_timestamp()`); `None` for none or `NULL`.
    pub default: Option<String>,
    /// 1-based, as `ORDINAL_POSITION`.
    pub position: u32,
    pub auto_increment: bool,
    pub comment: Option<String>,
}

/// A captured table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub db: String,
    pub name: String,
    /// Every column in the table's order (the binlog's), captured or not.
    pub columns: Vec<Column>,
    /// Indexes into `columns` of the primary key, in the key's order.
    pub primary_key: Vec<usize>,
    /// The table's default character set, and its comment.
    pub charset: Option<String>,
    pub comment: Option<String>,
}

impl Table {
    /// `DB.TABLE`.
    pub fn id(&self) -> String {
        format!("{}.{}", self.db, self.name)
    }
}

/// The values of `enum('a','b')` or `set('x','y')`, quotes undone (`''` is one quote).
pub fn enum_values(column_type: &str) -> Vec<String> {
    let Some(start) = column_type.find('(') else {
        return Vec::new();
    };
    let inner = column_type[start + 1..].trim_end_matches(')');
    let mut values = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('\'', false) => quoted = true,
            ('\'', true) if chars.peek() == Some(&'\'') => {
                current.push('\'');
                chars.next();
            }
            ('\'', true) => {
                quoted = false;
                values.push(std::mem::take(&mut current));
            }
            ('\\', true) => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            (c, true) => current.push(c),
            _ => {}
        }
    }
    values
}

fn opt_u64(row: &Row, index: usize) -> Option<u64> {
    row.get_opt::<Option<u64>, usize>(index)
        .and_then(|r| r.ok())
        .flatten()
}

fn text(row: &Row, index: usize) -> Option<String> {
    row.get_opt::<Option<String>, usize>(index)
        .and_then(|r| r.ok())
        .flatten()
}

fn db_error(what: &str, e: mysql_async::Error) -> ConnectError {
    ConnectError::Other(format!("{what}: {e}"))
}

/// Reads the structure of `db.table`; `None` when it does not exist.
pub async fn load(
    conn: &mut Conn,
    db: &str,
    table: &str,
    captured: impl Fn(&str) -> bool,
) -> Result<Option<Table>> {
    let rows: Vec<Row> = conn
        .exec(
            "SELECT COLUMN_NAME, LOWER(DATA_TYPE), COLUMN_TYPE, IS_NULLABLE, NUMERIC_PRECISION, \
             NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_MAXIMUM_LENGTH, CHARACTER_SET_NAME, \
             COLUMN_DEFAULT, ORDINAL_POSITION, EXTRA, COLUMN_COMMENT \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? \
             ORDER BY ORDINAL_POSITION",
            (db, table),
        )
        .await
        .map_err(|e| db_error(&format!("cannot read the columns of {db}.{table}"), e))?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut columns = Vec::with_capacity(rows.len());
    for row in &rows {
        let name = text(row, 0).unwrap_or_default();
        let data_type = text(row, 1).unwrap_or_default();
        let column_type = text(row, 2).unwrap_or_default();
        let length = if data_type == "bit" {
            opt_u64(row, 4)
        } else {
            opt_u64(row, 7)
        };
        columns.push(Column {
            captured: captured(&name),
            unsigned: column_type.to_ascii_lowercase().contains("unsigned"),
            nullable: text(row, 3).is_some_and(|n| n.eq_ignore_ascii_case("YES")),
            precision: opt_u64(row, 4).map(|p| p as u32),
            scale: opt_u64(row, 5).map(|s| s as u32),
            fsp: opt_u64(row, 6).unwrap_or(0) as u32,
            length,
            charset: text(row, 8),
            default: text(row, 9).filter(|d| !d.eq_ignore_ascii_case("NULL")),
            position: opt_u64(row, 10).unwrap_or(columns.len() as u64 + 1) as u32,
            auto_increment: text(row, 11)
                .is_some_and(|e| e.to_ascii_lowercase().contains("auto_increment")),
            comment: text(row, 12).filter(|c| !c.is_empty()),
            values: if data_type == "enum" || data_type == "set" {
                enum_values(&column_type)
            } else {
                Vec::new()
            },
            name,
            data_type,
            column_type,
        });
    }
    let key_rows: Vec<Row> = conn
        .exec(
            "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' \
             ORDER BY ORDINAL_POSITION",
            (db, table),
        )
        .await
        .map_err(|e| db_error(&format!("cannot read the primary key of {db}.{table}"), e))?;
    let primary_key = key_rows
        .iter()
        .filter_map(|r| text(r, 0))
        .filter_map(|k| columns.iter().position(|c| c.name == k))
        .collect();
    let about: Option<(Option<String>, Option<String>)> = conn
        .exec_first(
            "SELECT c.CHARACTER_SET_NAME, t.TABLE_COMMENT FROM information_schema.TABLES t \
             LEFT JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY c \
             ON c.COLLATION_NAME = t.TABLE_COLLATION \
             WHERE t.TABLE_SCHEMA = ? AND t.TABLE_NAME = ?",
            (db, table),
        )
        .await
        .map_err(|e| db_error(&format!("cannot read the character set of {db}.{table}"), e))?;
    let (charset, comment) = about.unwrap_or_default();
    Ok(Some(Table {
        db: db.to_string(),
        name: table.to_string(),
        columns,
        primary_key,
        charset,
        comment: comment.filter(|c| !c.is_empty()),
    }))
}

/// The text of `SHOW CREATE TABLE`, the DDL a snapshot records for a table.
/// `SHOW CREATE TABLE`; `None` when the table (or its database) was dropped since it was
/// listed: another session's DDL, which the binlog carries after the snapshot's position.
pub async fn show_create(conn: &mut Conn, db: &str, table: &str) -> Result<Option<String>> {
    let sql = format!("SHOW CREATE TABLE {}.{}", quote(db), quote(table));
    let row: Option<(String, String)> = match conn.query_first(sql).await {
        Ok(row) => row,
        Err(mysql_async::Error::Server(e)) if gone(e.code) => return Ok(None),
        Err(e) => {
            return Err(db_error(
                &format!("cannot read the definition of {db}.{table}"),
                e,
            ))
        }
    };
    row.map(|(_, ddl)| Some(ddl))
        .ok_or_else(|| ConnectError::Other(format!("{db}.{table} has no definition")))
}

/// MySQL's "no such table" (1146) and "unknown database" (1049).
fn gone(code: u16) -> bool {
    matches!(code, 1146 | 1049)
}

/// A name quoted for MySQL: `` `a``b` ``.
pub fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// The base tables of the server (`DB`, `TABLE`), for the filters to choose from.
pub async fn list(conn: &mut Conn) -> Result<Vec<(String, String)>> {
    let rows: Vec<(String, String)> = conn
        .query(
            "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES \
             WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME",
        )
        .await
        .map_err(|e| db_error("cannot list the tables", e))?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_and_set_values_come_out_of_the_declared_type() {
        assert_eq!(
            enum_values("enum('a','b c','it''s')"),
            vec!["a", "b c", "it's"]
        );
        assert_eq!(enum_values("set('x','y,z')"), vec!["x", "y,z"]);
        assert!(enum_values("int(11)").is_empty());
    }
}
