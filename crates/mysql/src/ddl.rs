//! What a DDL statement read from the binlog does to tables: which tables it creates, alters
//! (renames included) or drops, and which databases it creates or drops. The statement is parsed
//! with `sqlparser`'s MySQL dialect; the new structure of a table is then read from the server,
//! so only the statement's targets matter here, not its column definitions.

use sqlparser::ast::{AlterTableOperation, ObjectName, ObjectType, RenameTableNameKind, Statement};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

/// What a statement does to one table, as Debezium's `tableChanges` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Create,
    Alter,
    Drop,
}

impl ChangeKind {
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::Create => "CREATE",
            ChangeKind::Alter => "ALTER",
            ChangeKind::Drop => "DROP",
        }
    }

    pub fn parse(name: &str) -> Option<ChangeKind> {
        match name {
            "CREATE" => Some(ChangeKind::Create),
            "ALTER" => Some(ChangeKind::Alter),
            "DROP" => Some(ChangeKind::Drop),
            _ => None,
        }
    }
}

/// One table a statement touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touched {
    pub kind: ChangeKind,
    pub db: String,
    pub table: String,
    /// For a rename: the table's former `(db, table)`, which is gone afterwards.
    pub renamed_from: Option<(String, String)>,
}

/// What a statement does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    pub tables: Vec<Touched>,
    /// Databases created or dropped.
    pub databases: Vec<String>,
}

/// `db.table` or `table` in the statement's default database.
fn split_name(name: &ObjectName, default_db: &str) -> (String, String) {
    let parts: Vec<String> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident().map(|i| i.value.clone()))
        .collect();
    match parts.as_slice() {
        [db, table] => (db.clone(), table.clone()),
        [.., table] => (default_db.to_string(), table.clone()),
        [] => (default_db.to_string(), String::new()),
    }
}

/// The effects of `sql` run in database `default_db`; `None` when the statement cannot be parsed
/// (the caller then re-reads every captured table of the database).
pub fn effects(sql: &str, default_db: &str) -> Option<Effects> {
    let statements = Parser::parse_sql(&MySqlDialect {}, sql).ok()?;
    let mut out = Effects::default();
    let mut touch = |kind, name: &ObjectName, renamed_from: Option<(String, String)>| {
        let (db, table) = split_name(name, default_db);
        out.tables.push(Touched {
            kind,
            db,
            table,
            renamed_from,
        });
    };
    let mut databases = Vec::new();
    for statement in &statements {
        match statement {
            Statement::CreateTable(create) => touch(ChangeKind::Create, &create.name, None),
            Statement::AlterTable {
                name, operations, ..
            } => {
                let renamed = operations.iter().find_map(|op| match op {
                    AlterTableOperation::RenameTable { table_name } => match table_name {
                        RenameTableNameKind::As(n) | RenameTableNameKind::To(n) => Some(n.clone()),
                    },
                    _ => None,
                });
                match renamed {
                    Some(new_name) => {
                        touch(
                            ChangeKind::Alter,
                            &new_name,
                            Some(split_name(name, default_db)),
                        );
                    }
                    None => touch(ChangeKind::Alter, name, None),
                }
            }
            Statement::RenameTable(renames) => {
                for r in renames {
                    touch(
                        ChangeKind::Alter,
                        &r.new_name,
                        Some(split_name(&r.old_name, default_db)),
                    );
                }
            }
            Statement::CreateIndex(index) => touch(ChangeKind::Alter, &index.table_name, None),
            Statement::Drop {
                object_type,
                names,
                table,
                ..
            } => match object_type {
                ObjectType::Table => {
                    for name in names {
                        touch(ChangeKind::Drop, name, None);
                    }
                }
                ObjectType::Index => {
                    if let Some(t) = table {
                        touch(ChangeKind::Alter, t, None);
                    }
                }
                ObjectType::Database | ObjectType::Schema => {
                    databases.extend(names.iter().map(|n| split_name(n, default_db).1));
                }
                _ => {}
            },
            Statement::CreateDatabase { db_name, .. } => {
                databases.push(split_name(db_name, default_db).1)
            }
            Statement::CreateSchema { schema_name, .. } => {
                databases.push(schema_name.to_string().trim_matches('`').to_string())
            }
            _ => {}
        }
    }
    out.databases = databases;
    Some(out)
}

/// A statement that may change the structure of tables or databases. Everything else that the
/// binlog carries as a query (BEGIN, COMMIT, SAVEPOINT, statements on non-transactional
/// tables) is not.
pub fn is_ddl(query: &str) -> bool {
    let q = query.trim_start().to_ascii_uppercase();
    ["ALTER ", "CREATE ", "DROP ", "RENAME "]
        .iter()
        .any(|k| q.starts_with(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touched(sql: &str) -> Vec<(ChangeKind, String, String)> {
        effects(sql, "shop")
            .expect("parsed")
            .tables
            .into_iter()
            .map(|t| (t.kind, t.db, t.table))
            .collect()
    }

    #[test]
    fn alter_create_drop_and_rename_name_their_tables() {
        assert_eq!(
            touched("ALTER TABLE customers ADD COLUMN phone VARCHAR(20)"),
            vec![(ChangeKind::Alter, "shop".into(), "customers".into())]
        );
        assert_eq!(
            touched("alter table `other`.`t` drop column c, modify column d bigint"),
            vec![(ChangeKind::Alter, "other".into(), "t".into())]
        );
        assert_eq!(
            touched("CREATE TABLE t2 (id INT PRIMARY KEY, v JSON) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"),
            vec![(ChangeKind::Create, "shop".into(), "t2".into())]
        );
        assert_eq!(
            touched("DROP TABLE IF EXISTS a, other.b"),
            vec![
                (ChangeKind::Drop, "shop".into(), "a".into()),
                (ChangeKind::Drop, "other".into(), "b".into())
            ]
        );
        let renamed = effects("RENAME TABLE a TO b", "shop").expect("parsed");
        assert_eq!(renamed.tables[0].table, "b");
        assert_eq!(
            renamed.tables[0].renamed_from,
            Some(("shop".into(), "a".into()))
        );
        assert_eq!(
            touched("ALTER TABLE t CHANGE COLUMN a b INT NOT NULL"),
            vec![(ChangeKind::Alter, "shop".into(), "t".into())]
        );
        assert_eq!(
            touched("ALTER TABLE t RENAME COLUMN a TO b"),
            vec![(ChangeKind::Alter, "shop".into(), "t".into())]
        );
        assert_eq!(
            touched("CREATE INDEX i ON t (a)"),
            vec![(ChangeKind::Alter, "shop".into(), "t".into())]
        );
    }

    #[test]
    fn mariadb_show_create_table_text_parses() {
        let sql = "CREATE TABLE `all_types` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  `c_bigint_u` bigint(20) unsigned DEFAULT NULL,\n  `c_json` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`c_json`)),\n  `c_enum` enum('small','medium','large') DEFAULT NULL,\n  `c_ts_def` timestamp NOT NULL DEFAULT current_timestamp(),\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci";
        assert_eq!(
            touched(sql),
            vec![(ChangeKind::Create, "shop".into(), "all_types".into())]
        );
    }

    #[test]
    fn databases_created_and_dropped_are_named() {
        let e = effects("CREATE DATABASE IF NOT EXISTS newdb", "").expect("parsed");
        assert_eq!(e.databases, vec!["newdb"]);
        let e = effects("DROP DATABASE `newdb`", "").expect("parsed");
        assert_eq!(e.databases, vec!["newdb"]);
    }

    #[test]
    fn statements_that_change_structure_are_told_apart() {
        assert!(is_ddl("ALTER TABLE t ADD COLUMN c INT"));
        assert!(is_ddl("  create table x (a int)"));
        assert!(!is_ddl("BEGIN"));
        assert!(!is_ddl("INSERT INTO t VALUES (1)"));
        assert!(!is_ddl("TRUNCATE TABLE t"));
    }
}
