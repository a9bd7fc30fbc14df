//! A table's structure after an ALTER TABLE (or RENAME TABLE, CREATE/DROP INDEX) read from the
//! binlog, worked out from the statement and the structure before it, as Debezium's DDL parser
//! works it out. Asking the server instead would give its structure *now*, which is wrong for
//! every change read between this statement and a later one on the same table (after a restart,
//! or while the connector lags). A statement it cannot follow gives `None`; the caller then reads
//! the structure from the server.

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnOption, DataType, Expr, MySQLColumnPosition,
    Statement, TableConstraint,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

use crate::table::{enum_values, Column, Table};

/// The structure of `before` after `sql`; `db`/`name` is the table's name afterwards.
pub fn structure_after(
    sql: &str,
    before: &Table,
    db: &str,
    name: &str,
    captured: impl Fn(&str) -> bool,
) -> Option<Table> {
    let statements = Parser::parse_sql(&MySqlDialect {}, sql).ok()?;
    let [statement] = statements.as_slice() else {
        return None;
    };
    let mut table = before.clone();
    table.db = db.to_string();
    table.name = name.to_string();
    match statement {
        Statement::AlterTable { operations, .. } => {
            for op in operations {
                apply(&mut table, op, &captured)?;
            }
        }
        Statement::RenameTable(_) | Statement::CreateIndex(_) | Statement::Drop { .. } => {}
        _ => return None,
    }
    for (i, c) in table.columns.iter_mut().enumerate() {
        c.position = i as u32 + 1;
    }
    Some(table)
}

fn index_of(table: &Table, name: &str) -> Option<usize> {
    table
        .columns
        .iter()
        .position(|c| c.name.eq_ignore_ascii_case(name))
}

/// Removes column `i`, keeping the primary key's indexes right.
fn remove(table: &mut Table, i: usize) -> Column {
    table.primary_key.retain(|&k| k != i);
    for k in table.primary_key.iter_mut() {
        if *k > i {
            *k -= 1;
        }
    }
    table.columns.remove(i)
}

/// Puts `column` where `position` says (the end when none), keeping the key's indexes right.
fn insert(
    table: &mut Table,
    column: Column,
    position: Option<&MySQLColumnPosition>,
) -> Option<usize> {
    let at = match position {
        None => table.columns.len(),
        Some(MySQLColumnPosition::First) => 0,
        Some(MySQLColumnPosition::After(after)) => index_of(table, &after.value)? + 1,
    };
    for k in table.primary_key.iter_mut() {
        if *k >= at {
            *k += 1;
        }
    }
    table.columns.insert(at, column);
    Some(at)
}

fn apply(
    table: &mut Table,
    op: &AlterTableOperation,
    captured: &impl Fn(&str) -> bool,
) -> Option<()> {
    match op {
        AlterTableOperation::AddColumn {
            column_def,
            column_position,
            if_not_exists,
            ..
        } => {
            if *if_not_exists && index_of(table, &column_def.name.value).is_some() {
                return Some(());
            }
            let options: Vec<&ColumnOption> =
                column_def.options.iter().map(|o| &o.option).collect();
            let column = column(
                table,
                &column_def.name.value,
                &column_def.data_type,
                &options,
                captured,
            )?;
            let primary = is_primary(&options);
            let at = insert(table, column, column_position.as_ref())?;
            if primary {
                table.primary_key = vec![at];
            }
        }
        AlterTableOperation::DropColumn {
            column_names,
            if_exists,
            ..
        } => {
            for name in column_names {
                match index_of(table, &name.value) {
                    Some(i) => {
                        remove(table, i);
                    }
                    None if *if_exists => {}
                    None => return None,
                }
            }
        }
        AlterTableOperation::ModifyColumn {
            col_name,
            data_type,
            options,
            column_position,
        } => replace(
            table,
            &col_name.value,
            &col_name.value,
            data_type,
            options,
            column_position.as_ref(),
            captured,
        )?,
        AlterTableOperation::ChangeColumn {
            old_name,
            new_name,
            data_type,
            options,
            column_position,
        } => replace(
            table,
            &old_name.value,
            &new_name.value,
            data_type,
            options,
            column_position.as_ref(),
            captured,
        )?,
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => {
            let i = index_of(table, &old_column_name.value)?;
            table.columns[i].name = new_column_name.value.clone();
            table.columns[i].captured = captured(&new_column_name.value);
        }
        AlterTableOperation::AlterColumn { column_name, op } => {
            let i = index_of(table, &column_name.value)?;
            let c = &mut table.columns[i];
            match op {
                AlterColumnOperation::SetDefault { value } => c.default = default(value),
                AlterColumnOperation::DropDefault => c.default = None,
                AlterColumnOperation::SetNotNull => c.nullable = false,
                AlterColumnOperation::DropNotNull => c.nullable = true,
                _ => return None,
            }
        }
        AlterTableOperation::AddConstraint { constraint, .. } => {
            if let TableConstraint::PrimaryKey { columns, .. } = constraint {
                let mut key = Vec::new();
                for c in columns {
                    let Expr::Identifier(ident) = &c.column.expr else {
                        return None;
                    };
                    let i = index_of(table, &ident.value)?;
                    table.columns[i].nullable = false;
                    key.push(i);
                }
                table.primary_key = key;
            }
        }
        AlterTableOperation::DropPrimaryKey { .. } => table.primary_key.clear(),
        // Neither changes the columns nor the key.
        AlterTableOperation::DropIndex { .. }
        | AlterTableOperation::DropConstraint { .. }
        | AlterTableOperation::DropForeignKey { .. }
        | AlterTableOperation::RenameTable { .. }
        | AlterTableOperation::Algorithm { .. }
        | AlterTableOperation::Lock { .. }
        | AlterTableOperation::AutoIncrement { .. }
        | AlterTableOperation::RenameConstraint { .. } => {}
        _ => return None,
    }
    Some(())
}

/// MODIFY or CHANGE: the column replaced by a new definition, moved when asked.
fn replace(
    table: &mut Table,
    old: &str,
    new: &str,
    data_type: &DataType,
    options: &[ColumnOption],
    position: Option<&MySQLColumnPosition>,
    captured: &impl Fn(&str) -> bool,
) -> Option<()> {
    let i = index_of(table, old)?;
    let options: Vec<&ColumnOption> = options.iter().collect();
    let mut column = column(table, new, data_type, &options, captured)?;
    let in_key = table.primary_key.contains(&i);
    if in_key {
        // A key column stays NOT NULL whatever the new definition says.
        column.nullable = false;
    }
    match position {
        None => table.columns[i] = column,
        Some(p) => {
            let key: Vec<String> = table
                .primary_key
                .iter()
                .map(|&k| table.columns[k].name.clone())
                .collect();
            remove(table, i);
            insert(table, column, Some(p))?;
            table.primary_key = key
                .iter()
                .map(|k| if k == old { new } else { k.as_str() })
                .filter_map(|k| index_of(table, k))
                .collect();
        }
    }
    Some(())
}

fn is_primary(options: &[&ColumnOption]) -> bool {
    options.iter().any(|o| {
        matches!(
            o,
            ColumnOption::Unique {
                is_primary: true,
                ..
            }
        )
    })
}

/// A declared default as `information_schema` writes it; `None` for `NULL`.
fn default(expr: &Expr) -> Option<String> {
    let text = expr.to_string();
    (!text.eq_ignore_ascii_case("NULL")).then_some(text)
}

/// A column from its definition in a DDL statement.
fn column(
    table: &Table,
    name: &str,
    data_type: &DataType,
    options: &[&ColumnOption],
    captured: &impl Fn(&str) -> bool,
) -> Option<Column> {
    let declared = data_type
        .to_string()
        .to_ascii_lowercase()
        .replace("', '", "','");
    let (base, rest) = match declared.find(['(', ' ']) {
        Some(i) => (&declared[..i], &declared[i..]),
        None => (declared.as_str(), ""),
    };
    let (data_type, column_type) = match base {
        "integer" => ("int", format!("int{rest}")),
        "bool" | "boolean" => ("tinyint", "tinyint(1)".to_string()),
        "real" => ("double", format!("double{rest}")),
        "double" if rest.starts_with(" precision") => ("double", "double".to_string()),
        "numeric" | "dec" | "fixed" => ("decimal", format!("decimal{rest}")),
        "character" if rest.starts_with(" varying") => return None,
        other => (other, declared.clone()),
    };
    let data_type = data_type.to_string();
    let unsigned = column_type.contains(" unsigned");
    let numbers: Vec<u64> = column_type
        .find('(')
        .filter(|_| data_type != "enum" && data_type != "set")
        .and_then(|open| {
            let inner = &column_type[open + 1..];
            inner.find(')').map(|close| {
                inner[..close]
                    .split(',')
                    .filter_map(|n| n.trim().parse().ok())
                    .collect()
            })
        })
        .unwrap_or_default();
    let first = numbers.first().copied();
    let decimal = data_type == "decimal";
    let temporal = matches!(data_type.as_str(), "time" | "datetime" | "timestamp");
    let textual = matches!(
        data_type.as_str(),
        "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" | "enum" | "set"
    );
    let mut charset = None;
    let mut nullable = true;
    let mut default_value = None;
    let mut auto_increment = false;
    let mut comment = None;
    for option in options {
        match option {
            ColumnOption::NotNull => nullable = false,
            ColumnOption::Null => nullable = true,
            ColumnOption::Default(expr) => default_value = default(expr),
            ColumnOption::CharacterSet(cs) => charset = Some(cs.to_string()),
            ColumnOption::Collation(collation) => {
                let c = collation.to_string();
                charset.get_or_insert(c.split('_').next().unwrap_or(&c).to_string());
            }
            ColumnOption::Comment(text) => comment = Some(text.clone()),
            ColumnOption::Unique {
                is_primary: true, ..
            } => nullable = false,
            ColumnOption::DialectSpecific(tokens)
                if tokens
                    .iter()
                    .any(|t| t.to_string().eq_ignore_ascii_case("AUTO_INCREMENT")) =>
            {
                auto_increment = true
            }
            ColumnOption::Generated { .. } => return None,
            _ => {}
        }
    }
    if textual && charset.is_none() {
        charset = table.charset.clone();
    }
    Some(Column {
        name: name.to_string(),
        captured: captured(name),
        nullable,
        unsigned,
        precision: if decimal {
            Some(first.unwrap_or(10) as u32)
        } else {
            None
        },
        scale: if decimal {
            Some(numbers.get(1).copied().unwrap_or(0) as u32)
        } else {
            None
        },
        fsp: if temporal {
            first.unwrap_or(0) as u32
        } else {
            0
        },
        length: match data_type.as_str() {
            "bit" => Some(first.unwrap_or(1)),
            "char" | "binary" => Some(first.unwrap_or(1)),
            "varchar" | "varbinary" => first,
            _ => None,
        },
        charset: charset.filter(|_| textual),
        values: if data_type == "enum" || data_type == "set" {
            enum_values(&column_type)
        } else {
            Vec::new()
        },
        default: default_value,
        position: 0,
        auto_increment,
        comment,
        data_type,
        column_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let column = |name: &str, data_type: &str, column_type: &str, position: u32| Column {
            name: name.into(),
            data_type: data_type.into(),
            column_type: column_type.into(),
            nullable: position != 1,
            unsigned: false,
            precision: None,
            scale: None,
            fsp: 0,
            length: None,
            charset: (data_type == "varchar").then(|| "utf8mb4".into()),
            values: Vec::new(),
            captured: true,
            default: None,
            position,
            auto_increment: false,
            comment: None,
        };
        Table {
            db: "shop".into(),
            name: "items".into(),
            columns: vec![
                column("id", "int", "int(11)", 1),
                column("name", "varchar", "varchar(20)", 2),
                column("qty", "int", "int(11)", 3),
            ],
            primary_key: vec![0],
            charset: Some("utf8mb4".into()),
            comment: None,
        }
    }

    fn after(sql: &str) -> Table {
        structure_after(sql, &table(), "shop", "items", |_| true).expect("followed")
    }

    fn names(t: &Table) -> Vec<&str> {
        t.columns.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn columns_added_dropped_and_moved_follow_the_statement() {
        let t = after("ALTER TABLE items ADD COLUMN phone VARCHAR(20)");
        assert_eq!(names(&t), ["id", "name", "qty", "phone"]);
        let phone = &t.columns[3];
        assert_eq!(
            (
                phone.data_type.as_str(),
                phone.length,
                phone.charset.as_deref(),
                phone.position
            ),
            ("varchar", Some(20), Some("utf8mb4"), 4)
        );
        let t = after(
            "ALTER TABLE items ADD a INT UNSIGNED NOT NULL DEFAULT 7 FIRST, DROP COLUMN name",
        );
        assert_eq!(names(&t), ["a", "id", "qty"]);
        assert_eq!(t.primary_key, vec![1], "the key follows its column");
        assert!(t.columns[0].unsigned && !t.columns[0].nullable);
        assert_eq!(t.columns[0].default.as_deref(), Some("7"));
        let t = after("ALTER TABLE items MODIFY qty DECIMAL(10,2) AFTER id, CHANGE name title VARCHAR(40) NOT NULL DEFAULT 'n/a'");
        assert_eq!(names(&t), ["id", "qty", "title"]);
        assert_eq!(
            (t.columns[1].precision, t.columns[1].scale),
            (Some(10), Some(2))
        );
        assert_eq!(t.columns[2].default.as_deref(), Some("'n/a'"));
        let t = after("ALTER TABLE items RENAME COLUMN qty TO amount");
        assert_eq!(names(&t), ["id", "name", "amount"]);
        let t = after("ALTER TABLE items DROP PRIMARY KEY, ADD PRIMARY KEY (id, qty)");
        assert_eq!(t.primary_key, vec![0, 2]);
        let t = after("ALTER TABLE items ADD kind ENUM('a','b') , ADD at DATETIME(6)");
        assert_eq!(t.columns[3].values, ["a", "b"]);
        assert_eq!(t.columns[4].fsp, 6);
    }

    #[test]
    fn statements_it_cannot_follow_are_left_to_the_server() {
        assert!(structure_after(
            "ALTER TABLE items ADD z INT ZEROFILL",
            &table(),
            "shop",
            "items",
            |_| true
        )
        .is_none());
        assert!(structure_after(
            "ALTER TABLE items DROP COLUMN nope",
            &table(),
            "shop",
            "items",
            |_| true
        )
        .is_none());
    }
}
